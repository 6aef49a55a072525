package cgstats

import "fmt"

// Stats is one reading of a container's cgroup. Times are nanoseconds and
// sizes bytes whatever unit the kernel file uses; limits read Unlimited
// when none is set.
type Stats struct {
	CPU    CPU
	Memory Memory
	Pids   Pids
	// Blkio is the block I/O per device since the cgroup was created. It is
	// empty when the blkio (v1) or io (v2) controller is not enabled or the
	// cgroup has done no I/O to a block device.
	Blkio []BlkioDevice
	// Hugetlb has one entry per huge page size the kernel supports; empty
	// without the hugetlb controller.
	Hugetlb []Hugetlb
	// Pressure is nil when the kernel keeps no per-cgroup pressure (PSI)
	// for this cgroup: v1 without a cgroup2 mount beside it, or a kernel
	// without CONFIG_PSI or booted with psi=0.
	Pressure *Pressure
}

// CPU is CPU time used and the CFS bandwidth settings.
type CPU struct {
	// Valid is false when the CPU accounting files could not be read
	// (cpuacct not mounted on v1); the other fields are then zero.
	Valid bool
	// UsageNs, UserNs and SystemNs are cumulative CPU time.
	UsageNs, UserNs, SystemNs uint64
	// Periods is the number of CFS enforcement periods that have elapsed
	// while the cgroup had runnable tasks, ThrottledPeriods those in which
	// it hit its quota, ThrottledNs the total time it was throttled.
	Periods, ThrottledPeriods, ThrottledNs uint64
	// Shares is the relative weight: cpu.shares on v1; on v2 cpu.weight
	// mapped back to shares (approximate, see sharesFromWeight).
	Shares uint64
	// QuotaUs is the CPU time allowed per period, 0 when there is no quota.
	// PeriodUs is the length of the period. Both in microseconds, as set.
	QuotaUs, PeriodUs uint64
}

// Memory is memory use and limits.
type Memory struct {
	// Valid is false when the memory controller's files could not be read.
	Valid bool
	// Usage is all memory charged to the cgroup, page cache included.
	Usage uint64
	// MaxUsage is the peak of Usage (memory.max_usage_in_bytes on v1,
	// memory.peak on v2 since Linux 5.19; 0 if the kernel does not track it).
	MaxUsage uint64
	// WorkingSet is Usage minus inactive file-backed pages: what the
	// kubelet treats as memory the container cannot give back easily.
	WorkingSet uint64
	// RSS is anonymous memory, Cache page cache, MappedFile page cache
	// that is mmap()ed, Swap swap in use and Kernel kernel memory (slab,
	// stacks, page tables, ...) charged to the cgroup.
	RSS, Cache, MappedFile, Swap, Kernel uint64
	// Failcnt counts the times usage hit the limit (memory.failcnt on v1,
	// the "max" event of memory.events on v2).
	Failcnt uint64
	// OOMKills counts processes of this cgroup killed by the OOM killer.
	OOMKills uint64
	// PgFault and PgMajFault count page faults of this cgroup's tasks;
	// HierPgFault and HierPgMajFault include its descendants. v2 only
	// keeps the hierarchical counts, so the two pairs are equal there.
	PgFault, PgMajFault, HierPgFault, HierPgMajFault uint64
	// Limit is the memory limit. SwapLimit is the limit on memory plus
	// swap, as on v1 and as the CRI's MemorySwapLimitInBytes means it; on v2
	// it is memory.max + memory.swap.max. Reservation is the soft limit
	// (v1) or memory.min (v2). Each is Unlimited when not set.
	Limit, SwapLimit, Reservation uint64
}

// Pids is the number of tasks (threads) and its limit.
type Pids struct {
	// Valid is false without the pids controller.
	Valid bool
	// Current counts tasks, threads included.
	Current uint64
	// Max is the limit, Unlimited for "max".
	Max uint64
}

// BlkioDevice is the cgroup's I/O to one block device.
type BlkioDevice struct {
	Major, Minor          uint64
	ReadBytes, WriteBytes uint64
	Reads, Writes         uint64 // operations
}

// Hugetlb is the use of one huge page size.
type Hugetlb struct {
	// PageSize as the kernel names it in file names: "2MB", "1GB".
	PageSize string
	Usage    uint64
	// MaxUsage is the peak usage (v1 only; 0 on v2).
	MaxUsage uint64
	// HasMaxUsage tells a real 0 from a kernel that does not record it.
	HasMaxUsage bool
}

// Pressure is cumulative stall time from the cgroup's PSI files, in
// nanoseconds. "Some" is time in which at least one task was stalled on
// the resource (cadvisor's "waiting"), "Full" time in which all non-idle
// tasks were (cadvisor's "stalled").
type Pressure struct {
	CPUSomeNs, CPUFullNs       uint64
	MemorySomeNs, MemoryFullNs uint64
	IOSomeNs, IOFullNs         uint64
}

// Read reads a container's cgroup in the hierarchy under /sys/fs/cgroup.
// cgroupPath is the cgroupfs path, relative to each hierarchy's root, as
// given to the OCI runtime ("/ocid/<id>"). See Hierarchy.Read.
func Read(cgroupPath string) (Stats, error) {
	h, err := Default()
	if err != nil {
		return Stats{}, err
	}
	return h.Read(cgroupPath)
}

// Read reads a cgroup's statistics. If the cgroup does not exist the error
// wraps errdefs.ErrNotFound and os.ErrNotExist. Files of controllers that
// are not enabled are skipped (their part of Stats stays zero and, where
// there is one, its Valid false); any other failure to read or parse a file
// is returned, joined, together with everything that could be read.
func (h Hierarchy) Read(cgroupPath string) (Stats, error) {
	if !h.exists(cgroupPath) {
		return Stats{}, notFound(cgroupPath)
	}
	var st Stats
	var err error
	if h.V2 {
		err = h.readV2(cgroupPath, &st)
	} else {
		err = h.readV1(cgroupPath, &st)
	}
	// A cgroup removed while we read it leaves zeros behind; say so rather
	// than return them as a reading.
	if !h.exists(cgroupPath) {
		return Stats{}, notFound(cgroupPath)
	}
	if err != nil {
		return st, fmt.Errorf("read cgroup %q: %w", cgroupPath, err)
	}
	return st, nil
}

// readPressure fills st.Pressure from the PSI files in dir, if it has them.
func readPressure(dir string, st *Stats) error {
	r := &reader{dir: dir}
	var p Pressure
	found := false
	for _, res := range []struct {
		file       string
		some, full *uint64
	}{
		{"cpu.pressure", &p.CPUSomeNs, &p.CPUFullNs},
		{"memory.pressure", &p.MemorySomeNs, &p.MemoryFullNs},
		{"io.pressure", &p.IOSomeNs, &p.IOFullNs},
	} {
		m := r.nested(res.file)
		if m == nil {
			continue
		}
		some, full, err := psiTotals(m)
		if err != nil {
			r.fail(res.file, err)
			continue
		}
		*res.some, *res.full = some*1000, full*1000 // µs to ns
		found = true
	}
	if found {
		st.Pressure = &p
	}
	return r.err()
}

// sub is a-b, or 0 if b is larger (counters read at slightly different
// moments can cross).
func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

// addLimits adds two limits, staying Unlimited if either is.
func addLimits(a, b uint64) uint64 {
	if a == Unlimited || b == Unlimited || a+b < a {
		return Unlimited
	}
	return a + b
}
