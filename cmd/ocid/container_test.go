package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures"
)

// ctrEnv is a private store and runtime with the busybox image.
type ctrEnv struct {
	t      *testing.T
	dir    string
	conf   string
	cgroup string
}

func newCtrEnv(t *testing.T) *ctrEnv {
	fixtures.RequireTool(t, "runc")
	dir := t.TempDir()
	e := &ctrEnv{t: t, dir: dir, conf: filepath.Join(dir, "ocid.toml"), cgroup: fmt.Sprintf("/ocid-clitest-%d", time.Now().UnixNano())}
	os.WriteFile(e.conf, []byte(fmt.Sprintf(`root = %q
runroot = %q
[runtime]
cgroup_parent = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "run"), e.cgroup)), 0o644)
	layout := fixtures.NewOCILayout(t, "bb", fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip))
	e.ocid("--insecure-policy", "image", "pull", "-q", "--name", "busybox:test", "oci:"+layout+":bb").mustSucceed(t)
	t.Cleanup(e.cleanup)
	return e
}

func (e *ctrEnv) ocid(args ...string) result {
	cmd := exec.Command(ocidBin, append([]string{"--config", e.conf}, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatal(err)
	}
	return result{so.String(), se.String(), code}
}

// cleanup removes every container and checks nothing is left.
func (e *ctrEnv) cleanup() {
	ids := strings.Fields(e.ocid("container", "ps", "-a", "--format", "{{.ID}}").stdout)
	if len(ids) > 0 {
		e.ocid(append([]string{"container", "rm", "-f"}, ids...)...)
	}
	e.assertNothingLeft()
}

func (e *ctrEnv) assertNothingLeft() {
	e.t.Helper()
	if m := fixtures.MountsUnder(e.dir); len(m) > 0 {
		e.t.Errorf("mounts left: %v", m)
		fixtures.UnmountUnder(e.dir)
	}
	if cg := fixtures.ChildCgroups("/sys/fs/cgroup/*" + e.cgroup); len(cg) > 0 {
		e.t.Errorf("cgroups left: %v", cg)
	}
	fixtures.RemoveCgroups("/sys/fs/cgroup/*" + e.cgroup)
	fixtures.RemoveCgroups("/sys/fs/cgroup" + e.cgroup)
	if procs := fixtures.ProcessesMentioning(e.dir); len(procs) > 0 {
		e.t.Errorf("processes left: %v", procs)
	}
	out, _ := exec.Command("runc", "--root", filepath.Join(e.dir, "run", "runtime", "runc"), "list", "-q").Output()
	if s := strings.TrimSpace(string(out)); s != "" {
		e.t.Errorf("runc still knows: %s", s)
	}
}

func TestContainerRunForeground(t *testing.T) {
	e := newCtrEnv(t)
	r := e.ocid("container", "run", "--rm", "-e", "WHO=world", "busybox:test", "sh", "-c", "echo hello $WHO; echo oops >&2; exit 4")
	if r.code != 4 || r.stdout != "hello world\n" || !strings.Contains(r.stderr, "oops") {
		t.Fatalf("run: %+v", r)
	}
	if ids := strings.Fields(e.ocid("container", "ps", "-a", "--format", "{{.ID}}").stdout); len(ids) != 0 {
		t.Fatalf("--rm left %v", ids)
	}
	// Stdin goes through attach.
	cmd := exec.Command(ocidBin, "--config", e.conf, "container", "run", "--rm", "-i", "busybox:test", "sh", "-c", "tr a-z A-Z")
	cmd.Stdin = strings.NewReader("shout\n")
	out, err := cmd.Output()
	if err != nil || string(out) != "SHOUT\n" {
		t.Fatalf("stdin: %q %v", out, err)
	}
	// A read-only root with a volume and a tmpfs.
	vol := t.TempDir()
	os.WriteFile(filepath.Join(vol, "in"), []byte("from host"), 0o644)
	r = e.ocid("container", "run", "--rm", "--read-only", "-v", vol+":/data:ro", "--tmpfs", "/scratch", "busybox:test",
		"sh", "-c", "cat /data/in; echo; touch /scratch/ok && echo scratch-ok; touch /data/x 2>/dev/null || echo data-ro; touch /etc/x 2>/dev/null || echo root-ro")
	if r.code != 0 || r.stdout != "from host\nscratch-ok\ndata-ro\nroot-ro\n" {
		t.Fatalf("read-only run: %+v", r)
	}
}

func TestContainerDetachedLifecycle(t *testing.T) {
	e := newCtrEnv(t)
	id := strings.TrimSpace(e.ocid("container", "run", "-d", "--name", "svc", "busybox:test", "sh", "-c", "echo started; exec sleep 1000").mustSucceed(t).stdout)
	var st []map[string]any
	json.Unmarshal([]byte(e.ocid("container", "ps", "--format", "json").mustSucceed(t).stdout), &st)
	if len(st) != 1 || st[0]["state"] != "running" || st[0]["name"] != "svc" {
		t.Fatalf("ps: %v", st)
	}
	r := e.ocid("container", "exec", "svc", "sh", "-c", "echo in-container; exit 3")
	if r.code != 3 || r.stdout != "in-container\n" {
		t.Fatalf("exec: %+v", r)
	}
	logs := e.ocid("container", "logs", "svc").mustSucceed(t).stdout
	if logs != "started\n" {
		t.Fatalf("logs: %q", logs)
	}
	e.ocid("container", "rm", "svc").mustFail(t, "running")
	e.ocid("container", "stop", "-t", "1", id).mustSucceed(t)
	insp := e.ocid("container", "inspect", "--format", "{{.State}} {{.ExitCode}}", "svc").mustSucceed(t).stdout
	if strings.TrimSpace(insp) != "exited 137" {
		t.Fatalf("after stop: %q", insp)
	}
	e.ocid("container", "rm", "svc").mustSucceed(t)
	e.ocid("container", "rm", "svc").mustFail(t, "no container")
	e.assertNothingLeft()
}

// TestContainersSurviveOcid: containers started by ocid keep running when
// every ocid process that is not a monitor is killed with SIGKILL
// (including one attached to a container); a new ocid finds them all,
// stops and removes them, and nothing is left behind.
func TestContainersSurviveOcid(t *testing.T) {
	e := newCtrEnv(t)
	var ids []string
	for i := range 3 {
		ids = append(ids, strings.TrimSpace(e.ocid("container", "run", "-d", "--name", fmt.Sprintf("c%d", i), "busybox:test", "sleep", "1000").mustSucceed(t).stdout))
	}
	// A foreground run: an ocid process attached to its container.
	fg := exec.Command(ocidBin, "--config", e.conf, "container", "run", "--name", "fg", "busybox:test", "sh", "-c", "echo up; exec sleep 1000")
	stdout, _ := fg.StdoutPipe()
	if err := fg.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 3)
	if _, err := stdout.Read(buf); err != nil || string(buf) != "up\n" {
		t.Fatalf("foreground container did not start: %q %v", buf, err)
	}
	killed, monitors := 0, 0
	for _, p := range fixtures.ProcessesMentioning(e.dir) {
		pid := 0
		fmt.Sscan(p, &pid)
		switch {
		case strings.Contains(p, ocidBin+"-monitor "):
			monitors++
			continue
		case strings.Contains(p, " monitor ") || !strings.Contains(p, ocidBin+" "):
			continue
		}
		syscall.Kill(pid, syscall.SIGKILL)
		killed++
	}
	fg.Wait()
	if killed == 0 {
		t.Fatal("no non-monitor ocid process was found to kill")
	}
	// ocid runs ocid-monitor, found next to it, as the monitors.
	if monitors != 4 {
		t.Fatalf("%d ocid-monitor processes, want one per container (4)", monitors)
	}
	var st []map[string]any
	json.Unmarshal([]byte(e.ocid("container", "ps", "--format", "json").mustSucceed(t).stdout), &st)
	if len(st) != 4 {
		t.Fatalf("after killing ocid, %d containers run, want 4: %v", len(st), st)
	}
	e.ocid(append([]string{"container", "stop", "-t", "1", "fg"}, ids...)...).mustSucceed(t)
	e.ocid(append([]string{"container", "rm", "fg"}, ids...)...).mustSucceed(t)
	e.assertNothingLeft()
}

// Container commands collect garbage later (containerGC); others, and a
// GOGC from the environment, keep Go's setting.
func TestContainerGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	root := newRootCommand()
	for _, tc := range []struct {
		args []string
		gogc string
		want int
	}{
		{[]string{"container", "ps"}, "", 400},
		{[]string{"image", "ls"}, "", 100},
		{[]string{"container", "ps"}, "50", 100},
	} {
		debug.SetGCPercent(100)
		if tc.gogc != "" {
			t.Setenv("GOGC", tc.gogc)
		}
		cmd, _, err := root.Find(tc.args)
		if err != nil {
			t.Fatal(err)
		}
		containerGC(cmd)
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("%v (GOGC=%q): GC percent %d, want %d", tc.args, tc.gogc, got, tc.want)
		}
	}
}
