package cgstats

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestReadFS checks ReadFS against GNU du and df on a real directory.
func TestReadFS(t *testing.T) {
	dir := t.TempDir()
	for i := range 10 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%d", i)), []byte(strings.Repeat("x", 1000*(i+1))), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	os.WriteFile(filepath.Join(dir, "sub", "big"), make([]byte, 1<<20), 0o644)
	if err := os.Link(filepath.Join(dir, "f9"), filepath.Join(dir, "sub", "f9-link")); err != nil {
		t.Fatal(err)
	}
	os.Symlink("f0", filepath.Join(dir, "sym"))

	fs, err := ReadFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fs: %+v", fs)

	duBytes := command(t, "du", "-s", "-B1", dir)
	if got := strconv.FormatUint(fs.UsageBytes, 10); got != duBytes {
		t.Errorf("usage %s bytes, du says %s", got, duBytes)
	}
	duInodes := command(t, "du", "-s", "--inodes", dir)
	if got := strconv.FormatUint(fs.UsageInodes, 10); got != duInodes {
		t.Errorf("usage %s inodes, du says %s", got, duInodes)
	}
	// Total size and inode count do not move; free space may.
	df := strings.Fields(command(t, "df", "-B1", "--output=source,size,itotal", dir))
	want := []string{df[0], df[1], df[2]}
	got := []string{fs.Device, strconv.FormatUint(fs.CapacityBytes, 10), strconv.FormatUint(fs.Inodes, 10)}
	if !slices.Equal(got, want) {
		t.Errorf("device, size, inodes = %v, df says %v", got, want)
	}
	if fs.AvailableBytes > fs.CapacityBytes || fs.InodesFree > fs.Inodes {
		t.Errorf("free exceeds total: %+v", fs)
	}

	if _, err := ReadFS(filepath.Join(dir, "missing")); err == nil {
		t.Error("ReadFS(missing) succeeded")
	}
}

// command runs a tool and returns the first field of the last line of its
// output (df prints a header line).
func command(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		t.Skipf("%s: %v", name, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if name == "df" {
		return last
	}
	return strings.Fields(last)[0]
}

// TestReadNetwork compares /proc/PID/net/dev with the interfaces sysfs
// lists for this network namespace.
func TestReadNetwork(t *testing.T) {
	ifcs, err := ReadNetwork(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		t.Skip(err)
	}
	var want, got []string
	for _, e := range entries {
		if e.Name() != "lo" {
			want = append(want, e.Name())
		}
	}
	for _, i := range ifcs {
		got = append(got, i.Name)
		// Counters only grow: the sysfs value read now is at least ours.
		for _, c := range []struct {
			file string
			v    uint64
		}{{"rx_bytes", i.RxBytes}, {"tx_packets", i.TxPackets}, {"rx_dropped", i.RxDropped}} {
			b, err := os.ReadFile(filepath.Join("/sys/class/net", i.Name, "statistics", c.file))
			if err != nil {
				t.Fatal(err)
			}
			now, _ := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64)
			if c.v > now {
				t.Errorf("%s %s = %d, later sysfs reads %d", i.Name, c.file, c.v, now)
			}
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("interfaces %v, sysfs lists %v", got, want)
	}
	if _, err := ReadNetwork(0); err == nil {
		t.Error("ReadNetwork(0) succeeded")
	}
}

func TestReadUlimits(t *testing.T) {
	ls, err := ReadUlimits(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 16 {
		t.Errorf("%d limits, want Linux's 16: %+v", len(ls), ls)
	}
	soft := map[string]uint64{}
	for _, l := range ls {
		soft[l.Name] = l.Soft
	}
	for name, res := range map[string]int{
		"max_open_files": unix.RLIMIT_NOFILE, "max_stack_size": unix.RLIMIT_STACK,
		"max_cpu_time": unix.RLIMIT_CPU, "max_core_file_size": unix.RLIMIT_CORE,
	} {
		var rl unix.Rlimit
		if err := unix.Getrlimit(res, &rl); err != nil {
			t.Fatal(err)
		}
		if got, ok := soft[name]; !ok || got != rl.Cur {
			t.Errorf("%s = %d (present %v), getrlimit says %d", name, got, ok, rl.Cur)
		}
	}
}
