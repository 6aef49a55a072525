package cgstats

import (
	"errors"
	"path/filepath"
	"sort"
	"strings"
)

// userHZ is the unit of cpuacct.stat: USER_HZ ticks, 100 per second on
// every Linux architecture's user ABI.
const userHZ = 100

// readV1 reads a cgroup from the per-controller v1 mounts.
func (h Hierarchy) readV1(cgroupPath string, st *Stats) error {
	var errs []error
	add := func(err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	add(v1CPU(h.dir("cpuacct", cgroupPath), h.dir("cpu", cgroupPath), &st.CPU))
	add(v1Memory(h.dir("memory", cgroupPath), &st.Memory))
	add(readPids(h.dir("pids", cgroupPath), &st.Pids))
	devs, err := v1Blkio(h.dir("blkio", cgroupPath))
	st.Blkio = devs
	add(err)
	pages, err := readHugetlb(h.dir("hugetlb", cgroupPath), "usage_in_bytes", "max_usage_in_bytes")
	st.Hugetlb = pages
	add(err)
	if h.HybridUnified != "" {
		add(readPressure(filepath.Join(h.HybridUnified, filepath.Clean("/"+cgroupPath)), st))
	}
	return errors.Join(errs...)
}

// v1CPU reads usage from cpuacct and CFS bandwidth from cpu (the two are
// often co-mounted as "cpu,cpuacct", with both names as symlinks).
func v1CPU(acctDir, cpuDir string, c *CPU) error {
	acct := &reader{dir: acctDir}
	c.UsageNs, c.Valid = acct.uint("cpuacct.usage")
	if !c.Valid {
		return acct.err()
	}
	// cpuacct.usage_user/_sys (Linux 4.7+) are nanoseconds; cpuacct.stat
	// is ticks, kept as the fallback for older kernels.
	user, okU := acct.uint("cpuacct.usage_user")
	sys, okS := acct.uint("cpuacct.usage_sys")
	if okU && okS {
		c.UserNs, c.SystemNs = user, sys
	} else if m := acct.flat("cpuacct.stat"); m != nil {
		c.UserNs, c.SystemNs = m["user"]*(1e9/userHZ), m["system"]*(1e9/userHZ)
	}

	cpu := &reader{dir: cpuDir}
	if m := cpu.flat("cpu.stat"); m != nil {
		c.Periods, c.ThrottledPeriods, c.ThrottledNs = m["nr_periods"], m["nr_throttled"], m["throttled_time"]
	}
	c.Shares, _ = cpu.uint("cpu.shares")
	c.PeriodUs, _ = cpu.uint("cpu.cfs_period_us")
	// cpu.cfs_quota_us is -1 without a quota, which parseLimit maps to
	// Unlimited; CPU.QuotaUs says "none" with 0.
	if q, ok := cpu.limit("cpu.cfs_quota_us"); ok && q != Unlimited {
		c.QuotaUs = q
	}
	return errors.Join(acct.err(), cpu.err())
}

func v1Memory(dir string, m *Memory) error {
	r := &reader{dir: dir}
	m.Usage, m.Valid = r.uint("memory.usage_in_bytes")
	if !m.Valid {
		return r.err()
	}
	m.MaxUsage, _ = r.uint("memory.max_usage_in_bytes")
	m.Failcnt, _ = r.uint("memory.failcnt")
	m.Kernel, _ = r.uint("memory.kmem.usage_in_bytes")
	m.Limit, _ = r.limit("memory.limit_in_bytes")
	m.Reservation, _ = r.limit("memory.soft_limit_in_bytes")
	// memory.memsw.* exist only with swap accounting; without it swap use
	// is not limited per cgroup at all.
	var ok bool
	if m.SwapLimit, ok = r.limit("memory.memsw.limit_in_bytes"); !ok {
		m.SwapLimit = Unlimited
	}
	if oom := r.flat("memory.oom_control"); oom != nil {
		m.OOMKills = oom["oom_kill"] // Linux 4.13+
	}
	// The total_ keys include descendant cgroups, as usage_in_bytes does.
	s := r.flat("memory.stat")
	m.RSS, m.Cache, m.MappedFile = s["total_rss"], s["total_cache"], s["total_mapped_file"]
	m.WorkingSet = sub(m.Usage, s["total_inactive_file"])
	m.PgFault, m.PgMajFault = s["pgfault"], s["pgmajfault"]
	m.HierPgFault, m.HierPgMajFault = s["total_pgfault"], s["total_pgmajfault"]
	if swap, ok := s["total_swap"]; ok {
		m.Swap = swap
	} else if memsw, ok := r.uint("memory.memsw.usage_in_bytes"); ok {
		m.Swap = sub(memsw, m.Usage)
	}
	return r.err()
}

// readPids reads pids.current and pids.max, the same files on v1 and v2.
func readPids(dir string, p *Pids) error {
	r := &reader{dir: dir}
	p.Current, p.Valid = r.uint("pids.current")
	if p.Valid {
		var ok bool
		if p.Max, ok = r.limit("pids.max"); !ok {
			p.Max = Unlimited
		}
	}
	return r.err()
}

// v1BlkioFiles are the pairs of (bytes, operations) files that may hold a
// v1 cgroup's I/O, best first. The throttle layer sees every bio whatever
// the I/O scheduler; the plain and bfq files are filled only by the CFQ
// and BFQ schedulers, so they are used when the throttle ones are empty.
var v1BlkioFiles = [][2]string{
	{"blkio.throttle.io_service_bytes_recursive", "blkio.throttle.io_serviced_recursive"},
	{"blkio.io_service_bytes_recursive", "blkio.io_serviced_recursive"},
	{"blkio.bfq.io_service_bytes_recursive", "blkio.bfq.io_serviced_recursive"},
}

func v1Blkio(dir string) ([]BlkioDevice, error) {
	r := &reader{dir: dir}
	for _, pair := range v1BlkioFiles {
		bytes := v1BlkioFile(r, pair[0])
		if len(bytes) == 0 {
			continue
		}
		devs := map[[2]uint64]*BlkioDevice{}
		get := func(e blkioEntry) *BlkioDevice {
			k := [2]uint64{e.Major, e.Minor}
			if devs[k] == nil {
				devs[k] = &BlkioDevice{Major: e.Major, Minor: e.Minor}
			}
			return devs[k]
		}
		for _, e := range bytes {
			switch e.Op {
			case "Read":
				get(e).ReadBytes = e.Value
			case "Write":
				get(e).WriteBytes = e.Value
			}
		}
		for _, e := range v1BlkioFile(r, pair[1]) {
			switch e.Op {
			case "Read":
				get(e).Reads = e.Value
			case "Write":
				get(e).Writes = e.Value
			}
		}
		return sortedDevices(devs), r.err()
	}
	return nil, r.err()
}

func v1BlkioFile(r *reader, name string) []blkioEntry {
	s, ok := r.text(name)
	if !ok {
		return nil
	}
	es, err := parseBlkioV1(s)
	if err != nil {
		r.fail(name, err)
		return nil
	}
	return es
}

func sortedDevices(m map[[2]uint64]*BlkioDevice) []BlkioDevice {
	out := make([]BlkioDevice, 0, len(m))
	for _, d := range m {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Major != out[j].Major {
			return out[i].Major < out[j].Major
		}
		return out[i].Minor < out[j].Minor
	})
	return out
}

// readHugetlb reads hugetlb.SIZE.<usage> (and .<peak> if peak is not
// empty) for every page size present in dir.
func readHugetlb(dir, usage, peak string) ([]Hugetlb, error) {
	r := &reader{dir: dir}
	names, _ := filepath.Glob(filepath.Join(dir, "hugetlb.*."+usage))
	var out []Hugetlb
	for _, name := range names {
		size := strings.TrimSuffix(strings.TrimPrefix(filepath.Base(name), "hugetlb."), "."+usage)
		if strings.Contains(size, ".") {
			continue // hugetlb.2MB.rsvd.*: reservations, not use
		}
		u, ok := r.uint("hugetlb." + size + "." + usage)
		if !ok {
			continue
		}
		e := Hugetlb{PageSize: size, Usage: u}
		if peak != "" {
			e.MaxUsage, e.HasMaxUsage = r.uint("hugetlb." + size + "." + peak)
		}
		out = append(out, e)
	}
	return out, r.err()
}
