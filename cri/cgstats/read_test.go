package cgstats

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

func TestDetectHierarchy(t *testing.T) {
	h := hostHierarchy(t)
	var st unix.Statfs_t
	if err := unix.Statfs(DefaultRoot, &st); err != nil {
		t.Fatal(err)
	}
	if want := st.Type == unix.CGROUP2_SUPER_MAGIC; h.V2 != want {
		t.Errorf("V2 = %v, statfs says %v", h.V2, want)
	}
	if h.HybridUnified != "" && h.HybridUnified != filepath.Join(DefaultRoot, "unified") {
		t.Errorf("HybridUnified = %q", h.HybridUnified)
	}
	t.Logf("host: %+v", h)

	tmp, err := DetectHierarchy(t.TempDir())
	if err != nil || tmp.V2 || tmp.HybridUnified != "" {
		t.Errorf("DetectHierarchy(tmpdir) = %+v, %v; want v1 without unified", tmp, err)
	}
	if _, err := DetectHierarchy(filepath.Join(t.TempDir(), "missing")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DetectHierarchy(missing) error = %v, want ErrNotExist", err)
	}
}

// TestReadRealCgroup reads a cgroup holding a process that burnt CPU and
// allocated memory, and checks the numbers against what it did and the
// limits that were set.
func TestReadRealCgroup(t *testing.T) {
	h := hostHierarchy(t)
	cg := newTestCgroup(t, h)
	startChild(t, cg, "")

	st, err := h.Read(cg.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats: %+v", st)

	cpu := st.CPU
	if !cpu.Valid || cpu.UsageNs < uint64(childBurn) {
		t.Errorf("CPU usage %v ns (valid %v), want at least the %v burnt", cpu.UsageNs, cpu.Valid, childBurn)
	}
	if cpu.UserNs == 0 || cpu.UserNs > cpu.UsageNs+uint64(childBurn) {
		t.Errorf("CPU user %d ns, usage %d ns: implausible", cpu.UserNs, cpu.UsageNs)
	}
	if cpu.PeriodUs != testPeriodUs || cpu.QuotaUs != testQuotaUs {
		t.Errorf("CFS quota/period = %d/%d, want %d/%d", cpu.QuotaUs, cpu.PeriodUs, testQuotaUs, testPeriodUs)
	}
	if want := uint64(testShares); h.V2 {
		if got, want := cpu.Shares, sharesFromWeight(1+(testShares-2)*9999/262142); got != want {
			t.Errorf("shares = %d, want %d", got, want)
		}
	} else if cpu.Shares != want {
		t.Errorf("shares = %d, want %d", cpu.Shares, want)
	}
	// Burning 60ms of CPU with 20ms allowed per 100ms period spans several
	// periods and must hit the quota.
	if cpu.Periods < 2 || cpu.ThrottledPeriods == 0 || cpu.ThrottledNs == 0 {
		t.Errorf("CFS periods %d, throttled %d (%d ns): want throttling", cpu.Periods, cpu.ThrottledPeriods, cpu.ThrottledNs)
	}

	m := st.Memory
	if !m.Valid || m.Usage < childAlloc {
		t.Errorf("memory usage %d (valid %v), want at least the %d touched", m.Usage, m.Valid, childAlloc)
	}
	if m.RSS < childAlloc/2 || m.RSS > m.Usage {
		t.Errorf("rss %d, usage %d: implausible", m.RSS, m.Usage)
	}
	if m.WorkingSet > m.Usage || m.WorkingSet < m.RSS/2 {
		t.Errorf("working set %d, usage %d, rss %d: implausible", m.WorkingSet, m.Usage, m.RSS)
	}
	if m.MaxUsage != 0 && m.MaxUsage < m.Usage {
		t.Errorf("max usage %d < usage %d", m.MaxUsage, m.Usage)
	}
	if !h.V2 && m.MaxUsage == 0 {
		t.Error("v1 max usage is 0")
	}
	if m.Limit != testMemLimit {
		t.Errorf("memory limit %d, want %d", m.Limit, testMemLimit)
	}
	if m.SwapLimit != testMemLimit && m.SwapLimit != Unlimited {
		t.Errorf("memory+swap limit %d, want %d (or unlimited without swap accounting)", m.SwapLimit, testMemLimit)
	}
	if m.Reservation != Unlimited && m.Reservation != 0 {
		t.Errorf("reservation %d, want none", m.Reservation)
	}
	if m.HierPgFault == 0 || m.HierPgFault < m.PgFault || m.OOMKills != 0 {
		t.Errorf("page faults %d (hierarchy %d), oom kills %d: implausible", m.PgFault, m.HierPgFault, m.OOMKills)
	}

	if p := st.Pids; !p.Valid || p.Current < 1 || p.Max != testPidsMax {
		t.Errorf("pids %+v, want current >= 1, max %d", p, testPidsMax)
	}
	if h.HybridUnified != "" || h.V2 {
		if st.Pressure == nil {
			t.Error("no pressure figures from the cgroup2 mount")
		}
	}

	procs, err := h.ReadProcesses(cg.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("processes: %+v", procs)
	if procs.Processes != 1 || procs.Threads < 1 || procs.FDs < 5 || procs.Sockets < 2 {
		t.Errorf("processes %+v: want 1 process with stdio and 2 sockets", procs)
	}
	if procs.Threads > st.Pids.Current+5 {
		t.Errorf("%d threads but pids.current %d", procs.Threads, st.Pids.Current)
	}
}

// TestReadHybridUnified reads the cgroup through the cgroup2 mount of a
// hybrid host with the v2 reader. That mount has no controllers here, so
// only what cgroup2 always provides (CPU time, pressure, membership) is
// there, and the rest must be reported missing, not as zeros.
func TestReadHybridUnified(t *testing.T) {
	host := hostHierarchy(t)
	if host.HybridUnified == "" {
		t.Skip("no cgroup2 mount beside the v1 ones")
	}
	cg := newTestCgroup(t, host)
	startChild(t, cg, "")

	h := Hierarchy{Root: host.HybridUnified, V2: true}
	st, err := h.Read(cg.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("stats: %+v", st)
	if !st.CPU.Valid || st.CPU.UsageNs < uint64(childBurn) || st.CPU.UserNs == 0 {
		t.Errorf("CPU %+v: want the burnt time", st.CPU)
	}
	if st.Pressure == nil {
		t.Error("no pressure")
	}
	if st.Memory.Valid {
		t.Errorf("memory %+v valid without the memory controller", st.Memory)
	}
	procs, err := h.ReadProcesses(cg.path)
	if err != nil || procs.Processes != 1 {
		t.Errorf("processes %+v, %v: want 1", procs, err)
	}
}

func TestReadMissingCgroup(t *testing.T) {
	h := hostHierarchy(t)
	for _, p := range []string{"/" + testPrefix + "absent/c", "../../" + testPrefix + "absent"} {
		_, err := h.Read(p)
		if !errors.Is(err, errdefs.ErrNotFound) || !errors.Is(err, os.ErrNotExist) {
			t.Errorf("Read(%q) error = %v, want ErrNotFound and ErrNotExist", p, err)
		}
		_, err = h.ReadProcesses(p)
		if !errdefs.IsNotFound(err) {
			t.Errorf("ReadProcesses(%q) error = %v, want ErrNotFound", p, err)
		}
	}
}

// TestReadAfterRemoval reads a cgroup that existed and was removed.
func TestReadAfterRemoval(t *testing.T) {
	h := hostHierarchy(t)
	cg := newTestCgroup(t, h)
	if _, err := h.Read(cg.path); err != nil {
		t.Fatal(err)
	}
	cg.remove(t)
	if _, err := h.Read(cg.path); !errdefs.IsNotFound(err) {
		t.Errorf("Read after removal error = %v, want ErrNotFound", err)
	}
}

func TestDotDotStaysInRoot(t *testing.T) {
	h := Hierarchy{Root: "/sys/fs/cgroup"}
	if got := h.dir("memory", "../../etc"); got != "/sys/fs/cgroup/memory/etc" {
		t.Errorf("dir = %q", got)
	}
	h.V2 = true
	if got := h.dir("", "a/../../../x"); got != "/sys/fs/cgroup/x" {
		t.Errorf("dir = %q", got)
	}
}

// Systemd driver names are read where runc's systemd driver puts the
// cgroup, and labelled with that directory.
func TestSystemdNames(t *testing.T) {
	h := Hierarchy{Root: "/sys/fs/cgroup"}
	const want = "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/ocid-abc.scope"
	if got := h.dir("memory", "kubepods-besteffort-pod1.slice:ocid:abc"); got != "/sys/fs/cgroup/memory"+want {
		t.Errorf("dir = %q", got)
	}
	if got := cgroupID("kubepods-besteffort-pod1.slice:ocid:abc"); got != want {
		t.Errorf("id label = %q", got)
	}
	h.V2 = true
	if got := h.dir("", "kubepods-besteffort-pod1.slice"); got != "/sys/fs/cgroup/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice" {
		t.Errorf("pod slice dir = %q", got)
	}
	// A malformed name is a plain path, kept inside the root.
	if got := h.dir("", "../a--b.slice:x:y"); got != "/sys/fs/cgroup/a--b.slice:x:y" {
		t.Errorf("malformed name dir = %q", got)
	}
}
