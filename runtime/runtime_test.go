package runtime_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/attach"
	"github.com/ocid-project/ocid/runtime/crilog"
	"github.com/ocid-project/ocid/runtime/spec"
)

// names matches the "(name)" parts of id's output.
var names = regexp.MustCompile(`\([^)]*\)`)

func sh(script string) spec.Options {
	return spec.Options{Args: []string{"sh", "-c", script}}
}

func entries(t *testing.T, text string) []crilog.Entry {
	t.Helper()
	es, err := crilog.ReadAll(strings.NewReader(text))
	if err != nil {
		t.Fatalf("log is not in the CRI format: %v\n%s", err, text)
	}
	return es
}

func TestOutputExitCodeAndLogFormat(t *testing.T) {
	e := newEnv(t)
	st := e.run(runtime.CreateOptions{Spec: sh("echo out; echo err >&2; exit 3")})
	if st.State != runtime.Exited || st.ExitCode != 3 || st.Reason != "Error" {
		t.Fatalf("status: %+v", st)
	}
	es := entries(t, e.logText(st))
	var gotOut, gotErr bool
	for _, en := range es {
		switch {
		case en.Stream == crilog.Stdout && string(en.Content) == "out" && !en.Partial:
			gotOut = true
		case en.Stream == crilog.Stderr && string(en.Content) == "err" && !en.Partial:
			gotErr = true
		}
	}
	if !gotOut || !gotErr {
		t.Fatalf("stdout/stderr not separated as F lines: %+v", es)
	}
	if !st.Finished.After(st.Started) || st.Started.IsZero() {
		t.Fatalf("times: started %v finished %v", st.Started, st.Finished)
	}
}

func TestLongLinesArePartial(t *testing.T) {
	e := newEnv(t)
	st := e.run(runtime.CreateOptions{Spec: sh(`printf '%040000d\n' 7`)})
	es := entries(t, e.logText(st))
	if len(es) < 3 {
		t.Fatalf("a 40000-byte line should be split: %d records", len(es))
	}
	var joined []byte
	for i, en := range es {
		if last := i == len(es)-1; en.Partial == last {
			t.Fatalf("record %d: partial=%v", i, en.Partial)
		}
		joined = append(joined, en.Content...)
	}
	if len(joined) != 40000 || !strings.HasSuffix(string(joined), "7") {
		t.Fatalf("joined line has %d bytes", len(joined))
	}
}

func TestUserEnvWorkdir(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct{ user, want string }{
		// Compared as numbers: busybox-static may or may not manage to
		// look names up (glibc NSS in a static binary).
		{"", "uid=0 gid=0 groups=10"},
		{"tester", "uid=1000 gid=1000 groups=10,1001,1002"},
		{"1000:10", "uid=1000 gid=10 groups=10,1001,1002"},
		{"tester:testers", "uid=1000 gid=1000 groups=10,1001,1002"},
		{"4242", "uid=4242 gid=0"},
		{"nobody", "uid=65534 gid=65534"},
	} {
		o := sh("id")
		o.User = tc.user
		st := e.run(runtime.CreateOptions{Spec: o})
		got := names.ReplaceAllString(strings.TrimSpace(string(entries(t, e.logText(st))[0].Content)), "")
		if got != tc.want && !strings.HasPrefix(got, tc.want+" ") {
			t.Errorf("user %q: id says %q, want %q", tc.user, got, tc.want)
		}
	}
	o := sh(`echo "$FOO $PWD"`)
	o.Env, o.WorkingDir = []string{"FOO=bar"}, "/tmp"
	st := e.run(runtime.CreateOptions{Spec: o})
	if got := string(entries(t, e.logText(st))[0].Content); got != "bar /tmp" {
		t.Fatalf("env/workdir: %q", got)
	}
}

func TestReadOnlyRootfs(t *testing.T) {
	e := newEnv(t)
	o := sh("touch /tmp/ok && echo tmp-ok; touch /x 2>&1 || echo root-refused")
	o.ReadOnlyRootfs = true
	o.Mounts = []spec.Mount{{Type: spec.MountTmpfs, Destination: "/tmp"}}
	st := e.run(runtime.CreateOptions{Spec: o})
	text := e.logText(st)
	if !strings.Contains(text, "tmp-ok") || !strings.Contains(text, "root-refused") || !strings.Contains(text, "Read-only file system") {
		t.Fatalf("read-only root:\n%s", text)
	}
}

func TestExecAndExecSync(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st, err := e.rt.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Spec: sh("sleep 1000")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Start(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	out, errOut, code, err := e.rt.ExecSync(ctx, st.ID, []string{"sh", "-c", "echo hi; echo oops >&2; exit 7"}, 10*time.Second)
	if err != nil || code != 7 || string(out) != "hi\n" || string(errOut) != "oops\n" {
		t.Fatalf("exec sync: %q %q %d %v", out, errOut, code, err)
	}
	start := time.Now()
	_, _, _, err = e.rt.ExecSync(ctx, st.ID, []string{"sleep", "100"}, 300*time.Millisecond)
	if !errors.Is(err, runtime.ErrTimeout) {
		t.Fatalf("timeout: %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("the timed-out exec was not killed (took %v)", time.Since(start))
	}
	// The killed exec left no process behind.
	out, _, _, err = e.rt.ExecSync(ctx, st.ID, []string{"ps", "-o", "args"}, 10*time.Second)
	if err != nil || strings.Contains(string(out), "sleep 100\n") {
		t.Fatalf("after the timeout: %q %v", out, err)
	}
	var tty strings.Builder
	code, err = e.rt.Exec(ctx, st.ID, runtime.ExecOptions{Args: []string{"readlink", "/proc/self/fd/0"}, Terminal: true, Stdout: &tty})
	if err != nil || code != 0 || !strings.Contains(tty.String(), "/dev/pts/") {
		t.Fatalf("exec with a terminal: %q %d %v", tty.String(), code, err)
	}
	if err := e.rt.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
}

func TestStopGracePeriod(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	mk := func(script string) string {
		st, err := e.rt.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Spec: sh(script)})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.rt.Start(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		return st.ID
	}
	// Handles SIGTERM: exits with its own code within the grace period.
	polite := mk(`trap "exit 42" TERM; echo ready; while true; do sleep 0.05; done`)
	waitForLog(t, e, polite, "ready")
	if err := e.rt.Stop(ctx, polite, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.rt.Status(polite); st.ExitCode != 42 {
		t.Fatalf("polite container exited %d, want 42", st.ExitCode)
	}
	// Ignores SIGTERM: killed when the grace period ends.
	stubborn := mk(`trap "" TERM; echo ready; while true; do sleep 0.05; done`)
	waitForLog(t, e, stubborn, "ready")
	start := time.Now()
	if err := e.rt.Stop(ctx, stubborn, time.Second); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.rt.Status(stubborn); st.ExitCode != 128+int(syscall.SIGKILL) {
		t.Fatalf("stubborn container exited %d, want 137", st.ExitCode)
	}
	if d := time.Since(start); d < time.Second {
		t.Fatalf("killed before the grace period ended (%v)", d)
	}
	// Stopping again is fine.
	if err := e.rt.Stop(ctx, stubborn, time.Second); err != nil {
		t.Fatalf("second stop: %v", err)
	}
}

// waitForLog waits until a container's log has a line (the container is
// then known to be past its setup).
func waitForLog(t *testing.T, e *env, id, want string) {
	t.Helper()
	st, err := e.rt.Status(id)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	found := errors.New("found")
	err = crilog.Follow(ctx, st.LogPath, 0, crilog.FollowOptions{}, func(en crilog.Entry) error {
		if strings.Contains(string(en.Content), want) {
			return found
		}
		return nil
	})
	if !errors.Is(err, found) {
		t.Fatalf("%q never appeared in the log: %v", want, err)
	}
}

func TestOOMKillIsRecorded(t *testing.T) {
	e := newEnv(t)
	o := sh("dd if=/dev/zero of=/dev/null bs=256M count=1")
	o.Resources.MemoryLimit = 32 << 20
	o.Resources.MemorySwapLimit = 32 << 20
	st := e.run(runtime.CreateOptions{Spec: o})
	if !st.OOMKilled || st.Reason != "OOMKilled" || st.ExitCode != 137 {
		t.Fatalf("want an OOM kill, got %+v", st)
	}
}

// TestNewProcessFindsContainers: a second Manager (a new ocid process)
// finds the running containers, stops and removes them.
func TestNewProcessFindsContainers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ids []string
	for range 3 {
		st, err := e.rt.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Spec: sh("sleep 1000")})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.rt.Start(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, st.ID)
	}
	fresh := e.manager()
	list, err := fresh.List()
	if err != nil || len(list) != 3 {
		t.Fatalf("new manager lists %d containers (%v)", len(list), err)
	}
	for _, st := range list {
		if st.State != runtime.Running || st.Pid == 0 {
			t.Fatalf("container %s: %+v", st.ID, st)
		}
	}
	for _, id := range ids {
		if err := fresh.Stop(ctx, id, time.Second); err != nil {
			t.Fatal(err)
		}
		if err := fresh.Delete(ctx, id, false); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNameReservation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.rt.Create(ctx, runtime.CreateOptions{Name: "web", Image: "busybox:test", Spec: sh("true")}); err != nil {
		t.Fatal(err)
	}
	_, err := e.rt.Create(ctx, runtime.CreateOptions{Name: "web", Image: "busybox:test", Spec: sh("true")})
	var inUse *runtime.NameInUseError
	if !errors.As(err, &inUse) || inUse.ID == "" {
		t.Fatalf("second create with the name: %v", err)
	}
	// A failed create (bad user) leaves no name, mount or record behind.
	bad := sh("true")
	bad.User = "no-such-user"
	if _, err := e.rt.Create(ctx, runtime.CreateOptions{Name: "bad", Image: "busybox:test", Spec: bad}); err == nil {
		t.Fatal("a missing user was accepted")
	}
	if _, err := e.rt.Lookup("bad"); err == nil {
		t.Fatal("the failed create left its name")
	}
	_ = fixtures.FixedTime
}

// TestAttachWithTerminal: a client attached to a TTY container types
// into its shell and gets its exit code.
func TestAttachWithTerminal(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := e.rt.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Terminal: true, Stdin: true, StdinOnce: true, Spec: spec.Options{Args: []string{"sh"}}})
	if err != nil {
		t.Fatal(err)
	}
	sock, _, err := e.rt.AttachSocket(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	client, err := attach.Dial(sock, attach.ClientOptions{Stdin: true, Stdout: true, TTY: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Start(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	sizes := make(chan attach.Size, 1)
	sizes <- attach.Size{Width: 123, Height: 45}
	code, err := client.Run(ctx, strings.NewReader("echo typed-$((40+2))\nexit 7\n"), &out, io.Discard, sizes)
	if err != nil || code != 7 {
		t.Fatalf("attach: code %d err %v output %q", code, err, out.String())
	}
	if !strings.Contains(out.String(), "typed-42") {
		t.Fatalf("terminal output lacks the command's: %q", out.String())
	}
}

// TestReopenLog: after the log file is renamed (the kubelet rotates this
// way), ReopenLog makes new output go to a new file at the same path.
func TestReopenLog(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st, err := e.rt.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Stdin: true,
		Spec: sh(`while read line; do echo "got $line"; done`)})
	if err != nil {
		t.Fatal(err)
	}
	sock, _, _ := e.rt.AttachSocket(st.ID)
	client, err := attach.Dial(sock, attach.ClientOptions{Stdin: true, Stdout: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Start(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	pr, pw := io.Pipe()
	go client.Run(ctx, pr, io.Discard, io.Discard, nil)
	fmt.Fprintln(pw, "one")
	waitForLog(t, e, st.ID, "got one")
	rotated := st.LogPath + ".1"
	if err := os.Rename(st.LogPath, rotated); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.ReopenLog(st.ID); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(pw, "two")
	waitForLog(t, e, st.ID, "got two")
	old, _ := os.ReadFile(rotated)
	if !strings.Contains(string(old), "got one") || strings.Contains(string(old), "got two") {
		t.Fatalf("rotated file: %q", old)
	}
	pw.Close()
	if err := e.rt.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
}

// An exited container is deleted from the OCI runtime by its monitor (as
// containerd deletes a task at exit): its cgroups and the runtime's
// state are gone before the container is removed, while ocid still
// reports it exited with its code; the removal then has only ocid's
// files to remove.
func TestExitedContainerLeavesTheRuntime(t *testing.T) {
	e := newEnv(t)
	st := e.run(runtime.CreateOptions{Spec: sh("exit 7")})
	if st.State != runtime.Exited || st.ExitCode != 7 {
		t.Fatalf("status %+v", st)
	}
	out, err := exec.Command("runc", "--root", filepath.Join(e.dir, "run", "runtime", "runc"), "list", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("runc list: %v: %s", err, out)
	}
	if strings.Contains(string(out), st.ID) {
		t.Fatalf("runc still has the exited container: %s", out)
	}
	for _, h := range []string{"memory", "pids", "cpu"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", h, e.cgParent, st.ID)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s cgroup of the exited container: %v", h, err)
		}
	}
	if got, err := e.rt.Status(st.ID); err != nil || got.State != runtime.Exited || got.ExitCode != 7 {
		t.Fatalf("status after the runtime's delete: %+v %v", got, err)
	}
	if err := e.rt.Delete(context.Background(), st.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.rt.Status(st.ID); !errdefs.IsNotFound(err) {
		t.Fatalf("after removal: %v", err)
	}
}
