package spec

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// cgroupPrefix names every cgroup these tests make, so TestMain can prove
// runc removed them all.
const cgroupPrefix = "ocid-spec-test"

// runcRootfs builds a minimal rootfs: the host's static busybox and the
// test passwd and group files.
func runcRootfs(t *testing.T) string {
	t.Helper()
	root := makeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	for _, dir := range []string{"bin", "tmp", "proc", "sys", "dev", "work/dir"} {
		if err := os.MkdirAll(filepath.Join(root, dir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(filepath.Join(root, "tmp"), 0o1777); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open("/bin/busybox")
	if err != nil {
		t.Fatalf("busybox-static is needed: %v", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(filepath.Join(root, "bin/busybox"), os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return root
}

// busybox is the process args of a busybox applet.
func busybox(applet string, args ...string) []string {
	return append([]string{"/bin/busybox", applet}, args...)
}

type runResult struct {
	stdout, stderr string
	exitCode       int
}

var nonIDChars = regexp.MustCompile(`[^a-zA-Z0-9]+`)

// runContainer runs s with real runc, in a private state dir and a cgroup
// named after the test, and checks runc removed the cgroup afterwards.
func runContainer(t *testing.T, s *specs.Spec) runResult {
	t.Helper()
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		t.Fatal(err)
	}
	name := strings.ToLower(nonIDChars.ReplaceAllString(t.Name(), "-"))
	if len(name) > 40 {
		name = name[:40]
	}
	id := fmt.Sprintf("%s-%s-%s", cgroupPrefix, name, hex.EncodeToString(suffix))
	s.Linux.CgroupsPath = "/" + id
	bundle := writeBundle(t, s)
	state := t.TempDir()
	t.Cleanup(func() {
		// Only does something when the run failed half-way.
		out, err := exec.Command("runc", "--root", state, "delete", "--force", id).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "does not exist") {
			t.Errorf("runc delete %s: %v: %s", id, err, out)
		}
		checkNoCgroups(t, id)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "runc", "--root", state, "run", "--bundle", bundle, id)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := runResult{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		res.exitCode = exit.ExitCode()
	case err != nil:
		t.Fatalf("runc run: %v: %s", err, stderr.String())
	}
	checkNoCgroups(t, id)
	return res
}

// checkNoCgroups fails the test if a cgroup whose name starts with prefix
// is left in any hierarchy.
func checkNoCgroups(t *testing.T, prefix string) {
	t.Helper()
	left, err := filepath.Glob("/sys/fs/cgroup/*/" + prefix + "*")
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := filepath.Glob("/sys/fs/cgroup/" + prefix + "*"); len(v2) > 0 {
		left = append(left, v2...)
	}
	if len(left) > 0 {
		t.Errorf("cgroups left behind: %q", left)
	}
}

// mustRun runs s and requires exit status 0.
func mustRun(t *testing.T, s *specs.Spec) string {
	t.Helper()
	r := runContainer(t, s)
	if r.exitCode != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.exitCode, r.stdout, r.stderr)
	}
	return r.stdout
}

func runcSpec(t *testing.T, o Options) *specs.Spec {
	t.Helper()
	if o.Rootfs == "" {
		o.Rootfs = runcRootfs(t)
	}
	s, err := Generate(nil, o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return s
}

func TestRuncUser(t *testing.T) {
	t.Parallel()
	cases := []struct {
		user   string
		policy SupplementalGroupsPolicy
		extra  []int64
		want   string
	}{
		// busybox prints "groups=" only when there are supplementary ones.
		{user: "", want: "uid=0(root) gid=0(root)"},
		{user: "1000", want: "uid=1000(alice) gid=1000(alice) groups=2000(devs),2001(ops)"},
		{user: "alice", want: "uid=1000(alice) gid=1000(alice) groups=2000(devs),2001(ops)"},
		{user: "alice:ops", want: "uid=1000(alice) gid=2001(ops) groups=2000(devs),2001(ops)"},
		{user: "bob", extra: []int64{3000}, want: "uid=1001(bob) gid=1001(bob) groups=2000(devs),3000"},
		{user: "bob", policy: SupplementalGroupsStrict, extra: []int64{3000}, want: "uid=1001(bob) gid=1001(bob) groups=3000"},
		{user: "4242:4343", want: "uid=4242 gid=4343"},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			t.Parallel()
			s := runcSpec(t, Options{Command: busybox("id"), User: c.user, SupplementalGroupsPolicy: c.policy, AdditionalGIDs: c.extra})
			if got := strings.TrimSpace(mustRun(t, s)); got != c.want {
				t.Errorf("id: %q, want %q", got, c.want)
			}
		})
	}
}

// statusField returns a field of /proc/self/status output.
func statusField(t *testing.T, status, field string) string {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + field + `:\s*(\S+)$`).FindStringSubmatch(status)
	if m == nil {
		t.Fatalf("no %s in status:\n%s", field, status)
	}
	return m[1]
}

func TestRuncDefaultCapabilitiesAndSeccomp(t *testing.T) {
	t.Parallel()
	status := mustRun(t, runcSpec(t, Options{Command: busybox("cat", "/proc/self/status")}))
	// CHOWN 0, DAC_OVERRIDE 1, FOWNER 3, FSETID 4, KILL 5, SETGID 6,
	// SETUID 7, SETPCAP 8, NET_BIND_SERVICE 10.
	const nine = "00000000000005fb"
	for field, want := range map[string]string{
		"CapEff": nine, "CapPrm": nine, "CapBnd": nine, "CapInh": "0000000000000000", "CapAmb": "0000000000000000",
		"Seccomp": "2", "NoNewPrivs": "0",
	} {
		if got := statusField(t, status, field); got != want {
			t.Errorf("%s %s, want %s", field, got, want)
		}
	}
}

func TestRuncNoNewPrivileges(t *testing.T) {
	t.Parallel()
	status := mustRun(t, runcSpec(t, Options{Command: busybox("cat", "/proc/self/status"), NoNewPrivileges: true}))
	if got := statusField(t, status, "NoNewPrivs"); got != "1" {
		t.Errorf("NoNewPrivs %s, want 1", got)
	}
}

func TestRuncPrivileged(t *testing.T) {
	t.Parallel()
	status := mustRun(t, runcSpec(t, Options{Command: busybox("cat", "/proc/self/status"), Privileged: true}))
	// Every capability the kernel has and ocid itself holds.
	var mask uint64
	for _, c := range grantableCapabilities() {
		mask |= 1 << slices.Index(allCapabilities, c)
	}
	want := fmt.Sprintf("%016x", mask)
	if got := statusField(t, status, "CapEff"); got != want {
		t.Errorf("CapEff %s, want %s", got, want)
	}
	if got := statusField(t, status, "Seccomp"); got != "0" {
		t.Errorf("Seccomp %s, want 0", got)
	}
}

func TestRuncReadOnlyRootfs(t *testing.T) {
	t.Parallel()
	s := runcSpec(t, Options{ReadOnlyRootfs: true, Command: busybox("sh", "-c", "touch /dev/shm/ok && echo shm-writable; touch /x")})
	r := runContainer(t, s)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("touch /x on a read-only rootfs: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	if strings.TrimSpace(r.stdout) != "shm-writable" {
		t.Errorf("stdout %q: /dev/shm must stay writable", r.stdout)
	}
}

func TestRuncMaskedAndReadonlyPaths(t *testing.T) {
	t.Parallel()
	script := `wc -c < /proc/timer_list; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/domainname`
	r := runContainer(t, runcSpec(t, Options{Command: busybox("sh", "-c", script)}))
	if got := strings.Fields(r.stdout); len(got) != 2 || got[0] != "0" || got[1] != "0" {
		t.Errorf("masked /proc/timer_list and /sys/firmware: %q, want 0 and 0", r.stdout)
	}
	if r.exitCode == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("write to /proc/sys: exit %d, stderr %q", r.exitCode, r.stderr)
	}
}

func TestRuncEnvAndWorkingDir(t *testing.T) {
	t.Parallel()
	s := runcSpec(t, Options{
		Command: busybox("sh", "-c", "pwd; hostname; env"), User: "alice", WorkingDir: "/work/dir",
		Env: []string{"FOO=bar", "PATH=/bin"}, Hostname: "web-1",
	})
	lines := strings.Split(strings.TrimSpace(mustRun(t, s)), "\n")
	if len(lines) < 2 || lines[0] != "/work/dir" || lines[1] != "web-1" {
		t.Fatalf("pwd and hostname: %q", lines)
	}
	env := lines[2:]
	for _, want := range []string{"FOO=bar", "PATH=/bin", "HOME=/home/alice", "HOSTNAME=web-1"} {
		if !containsString(env, want) {
			t.Errorf("env %q lacks %s", env, want)
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestRuncSeccompLocalhost(t *testing.T) {
	t.Parallel()
	profile := filepath.Join(t.TempDir(), "deny-mkdir.json")
	err := os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	s := runcSpec(t, Options{Command: busybox("mkdir", "/tmp/x"), Seccomp: Seccomp{Kind: SeccompLocalhost, LocalhostPath: profile}})
	r := runContainer(t, s)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "Operation not permitted") {
		t.Errorf("mkdir under a profile denying it: exit %d, stderr %q", r.exitCode, r.stderr)
	}
	// The default profile allows mkdir.
	mustRun(t, runcSpec(t, Options{Command: busybox("mkdir", "/tmp/x")}))
}

func TestRuncResources(t *testing.T) {
	t.Parallel()
	s := runcSpec(t, Options{
		// cgroup v1 (this machine: runc picks v1 on a hybrid host), else v2.
		Command:   busybox("sh", "-c", `cd /sys/fs/cgroup; if [ -d pids ]; then cat pids/pids.max memory/memory.limit_in_bytes; else cat pids.max memory.max; fi`),
		Resources: Resources{PidsLimit: 42, MemoryLimit: 64 << 20},
	})
	if got := strings.Fields(mustRun(t, s)); len(got) != 2 || got[0] != "42" || got[1] != "67108864" {
		t.Errorf("pids.max and memory.limit_in_bytes: %q", got)
	}
}

// TestRuncHostNetworkSys: on the host's network /sys is a bind of the
// host's, and every mount under it must be read-only, the host's
// submounts (its cgroup hierarchies) too.
func TestRuncHostNetworkSys(t *testing.T) {
	t.Parallel()
	s := runcSpec(t, Options{
		Command:    busybox("cat", "/proc/self/mountinfo"),
		Namespaces: []Namespace{{Type: specs.NetworkNamespace, Host: true}},
	})
	var sys [][]string
	for _, line := range strings.Split(mustRun(t, s), "\n") {
		f := strings.Fields(line)
		if len(f) >= 9 && (f[4] == "/sys" || strings.HasPrefix(f[4], "/sys/")) {
			sys = append(sys, f)
		}
	}
	// runc 1.1 mounts a fresh tmpfs on /sys/fs/cgroup to hold the cgroup
	// binds and leaves it writable whatever the spec says; it is private
	// and empty, so it is the one exception.
	runcTmpfs := -1
	for i, f := range sys {
		if f[4] == "/sys/fs/cgroup" && f[8] == "tmpfs" {
			runcTmpfs = i
		}
	}
	hostSubmounts := 0
	for i, f := range sys {
		if i == runcTmpfs {
			continue
		}
		if f[3] == "/" && strings.HasPrefix(f[4], "/sys/fs/cgroup/") {
			hostSubmounts++ // the host's own hierarchy roots, shadowed
		}
		if !strings.HasPrefix(f[5], "ro,") && f[5] != "ro" {
			t.Errorf("%s (%s) is mounted %s in the container", f[4], f[8], f[5])
		}
	}
	if hostSubmounts == 0 {
		t.Errorf("no host submounts under /sys: is /sys a recursive bind? %q", sys)
	}
}

func TestRuncMounts(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello"), []byte("from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `cat /data/hello; touch /data/x 2>&1; touch /scratch/x && stat -c %a /scratch`
	s := runcSpec(t, Options{
		Command: busybox("sh", "-c", script),
		Mounts: []Mount{
			{Source: src, Destination: "/data", ReadOnly: true, RecursiveReadOnly: true},
			{Type: MountTmpfs, Destination: "/scratch", TmpfsSize: 1 << 20, TmpfsMode: 0o750},
		},
	})
	out := mustRun(t, s)
	want := "from the host\ntouch: /data/x: Read-only file system\n750\n"
	if out != want {
		t.Errorf("output %q, want %q", out, want)
	}
}

// TestRuncRecursiveReadOnlyBind: "rro" must reach a submount of the
// volume, which a plain "ro" bind leaves writable.
func TestRuncRecursiveReadOnlyBind(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	sub := filepath.Join(src, "sub")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", sub, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatalf("mount a submount: %v", err)
	}
	t.Cleanup(func() {
		if err := unix.Unmount(sub, unix.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", sub, err)
		}
	})
	script := `touch /plain/sub/x && echo plain-writable; touch /rro/sub/y`
	r := runContainer(t, runcSpec(t, Options{
		Command: busybox("sh", "-c", script),
		Mounts: []Mount{
			{Source: src, Destination: "/plain", ReadOnly: true},
			{Source: src, Destination: "/rro", ReadOnly: true, RecursiveReadOnly: true},
		},
	}))
	if strings.TrimSpace(r.stdout) != "plain-writable" {
		t.Errorf("a plain ro bind should leave its submount writable (that is why rro exists): %q %q", r.stdout, r.stderr)
	}
	if r.exitCode == 0 || !strings.Contains(r.stderr, "Read-only file system") {
		t.Errorf("write under an rro bind: exit %d, stderr %q", r.exitCode, r.stderr)
	}
}

// TestRuncUserNamespace: a container in a user namespace starts, sees its
// mappings, and keeps a working devpts with and without gid 5 mapped.
func TestRuncUserNamespace(t *testing.T) {
	t.Parallel()
	for name, gidSize := range map[string]uint32{"tty mapped": 65536, "tty unmapped": 1} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			rootfs := runcRootfs(t)
			// The mapped root must be able to reach its rootfs: t.TempDir
			// makes it and its parent (the test's own directory) 0700.
			for _, dir := range []string{rootfs, filepath.Dir(rootfs)} {
				if err := os.Chmod(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			s := runcSpec(t, Options{
				Rootfs:  rootfs,
				Command: busybox("sh", "-c", "id; cat /proc/self/uid_map /proc/self/gid_map; ls /dev/pts/ptmx"),
				UserNS: &UserNamespace{
					UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}},
					GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: gidSize}},
				},
			})
			out := strings.Fields(mustRun(t, s))
			want := []string{"uid=0(root)", "gid=0(root)", "0", "100000", "65536", "0", "100000", fmt.Sprint(gidSize), "/dev/pts/ptmx"}
			if !slices.Equal(out, want) {
				t.Errorf("output %q, want %q", out, want)
			}
		})
	}
}

// TestRuncHostNamespaces: sharing the host's network, IPC, UTS and PID
// namespaces starts (no hostname set, /sys bound from the host, mqueue
// mounted) and shows the host's hostname and processes.
func TestRuncHostNamespaces(t *testing.T) {
	t.Parallel()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	s := runcSpec(t, Options{
		Hostname: "ignored",
		Command:  busybox("sh", "-c", `hostname; ls -d /dev/mqueue; [ $$ -ne 1 ] && echo host-pids`),
		Namespaces: []Namespace{
			{Type: specs.NetworkNamespace, Host: true}, {Type: specs.IPCNamespace, Host: true},
			{Type: specs.UTSNamespace, Host: true}, {Type: specs.PIDNamespace, Host: true},
		},
	})
	if got, want := strings.Fields(mustRun(t, s)), []string{host, "/dev/mqueue", "host-pids"}; !slices.Equal(got, want) {
		t.Errorf("output %q, want %q", got, want)
	}
}

// TestRuncExtraDevice: a host device given for the container appears at
// its container path and the device cgroup lets it be written.
func TestRuncExtraDevice(t *testing.T) {
	t.Parallel()
	null, err := HostDevice("/dev/null", "/dev/extra-null", "rw")
	if err != nil {
		t.Fatal(err)
	}
	s := runcSpec(t, Options{Command: busybox("sh", "-c", "echo x > /dev/extra-null && echo written"), Devices: []Device{null}})
	if got := strings.TrimSpace(mustRun(t, s)); got != "written" {
		t.Errorf("output %q", got)
	}
}
