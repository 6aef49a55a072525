package cgstats

// Test fixtures on the real kernel: a throw-away cgroup and a child
// process (this test binary, re-executed) that runs in it.

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const (
	testPrefix = "ocid-cgstats-test-"
	childEnv   = "OCID_CGSTATS_TEST_CHILD"
	filesEnv   = "OCID_CGSTATS_TEST_FILES"

	testQuotaUs  = 20000
	testPeriodUs = 100000
	testShares   = 1024
	testMemLimit = 64 << 20
	testPidsMax  = 100
	// The child allocates and touches this much, and burns this much CPU.
	childAlloc = 16 << 20
	childBurn  = 60 * time.Millisecond
)

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(child())
	}
	removeStaleCgroups()
	os.Exit(m.Run())
}

// ballast keeps the child's allocation alive.
var ballast []byte

// child waits for "go" on stdin (sent once it is in the test cgroup), then
// uses some of every resource, says "ready" and blocks until stdin closes.
func child() int {
	in := bufio.NewReader(os.Stdin)
	if line, err := in.ReadString('\n'); err != nil || line != "go\n" {
		return 2
	}
	var ru unix.Rusage
	cpuTime := func() time.Duration {
		unix.Getrusage(unix.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start, x := cpuTime(), uint64(1)
	for cpuTime()-start < childBurn {
		for i := 0; i < 1_000_000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
	}
	ballast = make([]byte, childAlloc)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = byte(x)
	}
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return 3
	}
	defer unix.Close(fds[0])
	defer unix.Close(fds[1])
	if dir := os.Getenv(filesEnv); dir != "" {
		for i := range 10 {
			if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte(strings.Repeat("x", 100*(i+1))), 0o644); err != nil {
				return 4
			}
		}
	}
	os.Stdout.WriteString("ready\n")
	io.Copy(io.Discard, in)
	return 0
}

// testCgroup is a cgroup made for one test: PATH = /ocid-cgstats-test-RANDOM/c.
type testCgroup struct {
	path string
	dirs []string // every directory created, parents first
}

// newTestCgroup makes the cgroup in every hierarchy the reader looks at,
// sets the limits critest uses, and removes it all when the test ends.
func newTestCgroup(t *testing.T, h Hierarchy) *testCgroup {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to create cgroups")
	}
	b := make([]byte, 8)
	rand.Read(b)
	// The creator's PID in the name lets a later run tell a leftover (its
	// creator is gone) from a cgroup another test process is using.
	parent := fmt.Sprintf("/%s%d-%s", testPrefix, os.Getpid(), hex.EncodeToString(b))
	cg := &testCgroup{path: parent + "/c"}
	var roots []string
	if h.V2 {
		roots = []string{h.Root}
	} else {
		for _, c := range []string{"cpu", "cpuacct", "memory", "pids", "blkio"} {
			roots = append(roots, filepath.Join(h.Root, c))
		}
		if h.HybridUnified != "" {
			roots = append(roots, h.HybridUnified)
		}
	}
	t.Cleanup(func() { cg.remove(t) })
	for _, root := range roots {
		if _, err := os.Stat(root); err != nil {
			continue // controller not mounted (cpu and cpuacct may be one)
		}
		for _, d := range []string{filepath.Join(root, parent), filepath.Join(root, cg.path)} {
			if err := os.Mkdir(d, 0o755); err != nil {
				if errors.Is(err, os.ErrExist) {
					continue // cpu and cpuacct co-mounted: same directory
				}
				t.Fatal(err)
			}
			cg.dirs = append(cg.dirs, d)
			if h.V2 && d == filepath.Join(root, parent) {
				// Let the child have the controllers; those the root does not
				// delegate are refused, and their files are then missing.
				for _, c := range []string{"cpu", "memory", "pids", "io"} {
					os.WriteFile(filepath.Join(d, "cgroup.subtree_control"), []byte("+"+c), 0o644)
				}
			}
		}
	}
	cg.setLimits(t, h)
	return cg
}

func (cg *testCgroup) setLimits(t *testing.T, h Hierarchy) {
	t.Helper()
	write := func(dir, file, value string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
			t.Fatalf("set %s: %v", file, err)
		}
	}
	if h.V2 {
		d := h.dir("", cg.path)
		write(d, "cpu.max", fmt.Sprintf("%d %d", testQuotaUs, testPeriodUs))
		write(d, "cpu.weight", strconv.Itoa(1+(testShares-2)*9999/262142))
		write(d, "memory.max", strconv.Itoa(testMemLimit))
		if _, err := os.Stat(filepath.Join(d, "memory.swap.max")); err == nil {
			write(d, "memory.swap.max", "0") // memory+swap = 64MiB, as critest asks
		}
		write(d, "pids.max", strconv.Itoa(testPidsMax))
		return
	}
	cpu := h.dir("cpu", cg.path)
	write(cpu, "cpu.cfs_period_us", strconv.Itoa(testPeriodUs))
	write(cpu, "cpu.cfs_quota_us", strconv.Itoa(testQuotaUs))
	write(cpu, "cpu.shares", strconv.Itoa(testShares))
	mem := h.dir("memory", cg.path)
	write(mem, "memory.limit_in_bytes", strconv.Itoa(testMemLimit))
	if _, err := os.Stat(filepath.Join(mem, "memory.memsw.limit_in_bytes")); err == nil {
		write(mem, "memory.memsw.limit_in_bytes", strconv.Itoa(testMemLimit))
	}
	write(h.dir("pids", cg.path), "pids.max", strconv.Itoa(testPidsMax))
}

// join moves a process into the cgroup in every hierarchy.
func (cg *testCgroup) join(t *testing.T, pid int) {
	t.Helper()
	for _, d := range cg.dirs {
		if !strings.HasSuffix(d, cg.path) {
			continue
		}
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			t.Fatalf("move %d into %s: %v", pid, d, err)
		}
	}
}

// remove deletes the cgroup directories, children first. A cgroup can
// stay busy for a moment after its last process is reaped, so it retries
// until a deadline.
func (cg *testCgroup) remove(t *testing.T) {
	deadline := time.Now().Add(10 * time.Second)
	for i := len(cg.dirs) - 1; i >= 0; i-- {
		for {
			err := unix.Rmdir(cg.dirs[i])
			if err == nil || errors.Is(err, unix.ENOENT) {
				break
			}
			if !errors.Is(err, unix.EBUSY) || time.Now().After(deadline) {
				t.Errorf("remove cgroup %s: %v", cg.dirs[i], err)
				break
			}
			time.Sleep(10 * time.Millisecond) // polling for the kernel to let go
		}
	}
}

// removeStaleCgroups removes the test cgroups of runs that were killed
// before their cleanup, recognised by the creator PID in the name no longer
// being alive. Cgroups that still hold processes are left alone (rmdir
// fails).
func removeStaleCgroups() {
	if os.Geteuid() != 0 {
		return
	}
	for _, pattern := range []string{DefaultRoot + "/" + testPrefix + "*", DefaultRoot + "/*/" + testPrefix + "*"} {
		parents, _ := filepath.Glob(pattern)
		for _, p := range parents {
			pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(p), testPrefix), "-")
			pid, err := strconv.Atoi(pidText)
			if err == nil && pid > 0 && unix.Kill(pid, 0) != unix.ESRCH {
				continue // its test process is still running
			}
			kids, _ := filepath.Glob(p + "/*/cgroup.procs")
			for _, k := range kids {
				unix.Rmdir(filepath.Dir(k)) // fails, harmlessly, if it still has processes
			}
			unix.Rmdir(p)
		}
	}
}

// testChild is a running child process in a test cgroup.
type testChild struct {
	cmd *exec.Cmd
	pid int
}

// startChild starts the child, moves it into cg, lets it run and waits
// for it to report that it has used its resources. filesDir, if not
// empty, is where it writes 10 small files.
func startChild(t *testing.T, cg *testCgroup, filesDir string) *testChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1", filesEnv+"="+filesDir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	cg.join(t, cmd.Process.Pid)
	if _, err := io.WriteString(stdin, "go\n"); err != nil {
		t.Fatal(err)
	}
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(stdout).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("child said %q", line)
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("child: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("child did not get ready in 60s")
	}
	return &testChild{cmd: cmd, pid: cmd.Process.Pid}
}

// hostHierarchy returns the host's hierarchy or skips the test.
func hostHierarchy(t *testing.T) Hierarchy {
	t.Helper()
	h, err := Default()
	if err != nil {
		t.Skipf("no cgroup file system: %v", err)
	}
	return h
}
