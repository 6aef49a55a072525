package cgstats

import (
	"errors"
	"strconv"
)

// readV2 reads a cgroup of the unified hierarchy, where every controller's
// files are in the one directory. A controller that the parent has not
// enabled (cgroup.subtree_control) just has no files.
func (h Hierarchy) readV2(cgroupPath string, st *Stats) error {
	dir := h.dir("", cgroupPath)
	r := &reader{dir: dir}
	v2CPU(r, &st.CPU)
	v2Memory(r, &st.Memory)
	st.Blkio = v2IO(r)
	errs := []error{r.err(), readPids(dir, &st.Pids), readPressure(dir, st)}
	pages, err := readHugetlb(dir, "current", "")
	st.Hugetlb = pages
	errs = append(errs, err)
	return errors.Join(errs...)
}

func v2CPU(r *reader, c *CPU) {
	// cpu.stat's usage lines are there even without the cpu controller;
	// the nr_* and throttled_usec lines come with it.
	m := r.flat("cpu.stat")
	if m == nil {
		return
	}
	c.Valid = true
	c.UsageNs, c.UserNs, c.SystemNs = m["usage_usec"]*1000, m["user_usec"]*1000, m["system_usec"]*1000
	c.Periods, c.ThrottledPeriods, c.ThrottledNs = m["nr_periods"], m["nr_throttled"], m["throttled_usec"]*1000
	if w, ok := r.uint("cpu.weight"); ok {
		c.Shares = sharesFromWeight(w)
	}
	if s, ok := r.text("cpu.max"); ok {
		q, p, err := parseCPUMax(s)
		if err != nil {
			r.fail("cpu.max", err)
		} else {
			c.QuotaUs, c.PeriodUs = q, p
		}
	}
}

// sharesFromWeight maps a v2 cpu.weight (1-10000) back to v1 cpu.shares
// (2-262144), inverting the linear mapping of the OCI runtime spec and
// runc before 1.3:
//
//	weight = 1 + (shares-2)*9999/262142
//
// That mapping rounds down, so the result is approximate (shares 1024 is
// written as weight 39, read back as 998). Newer runc and crun use a
// different curve that maps 1024 to the default weight 100; a daemon
// using them should prefer the shares it asked for.
func sharesFromWeight(weight uint64) uint64 {
	if weight == 0 {
		return 0
	}
	return 2 + (weight-1)*262142/9999
}

func v2Memory(r *reader, m *Memory) {
	m.Usage, m.Valid = r.uint("memory.current")
	if !m.Valid {
		return
	}
	m.MaxUsage, _ = r.uint("memory.peak") // Linux 5.19+
	m.Limit, _ = r.limit("memory.max")
	m.Reservation, _ = r.limit("memory.min")
	m.Swap, _ = r.uint("memory.swap.current")
	// v2 limits swap alone; report memory+swap like v1 and the CRI do. No
	// memory.swap.max (swap accounting off) means swap is not limited.
	swapMax, ok := r.limit("memory.swap.max")
	if !ok {
		swapMax = Unlimited
	}
	m.SwapLimit = addLimits(m.Limit, swapMax)
	if ev := r.flat("memory.events"); ev != nil {
		m.Failcnt, m.OOMKills = ev["max"], ev["oom_kill"]
	}
	s := r.flat("memory.stat")
	m.RSS, m.Cache, m.MappedFile = s["anon"], s["file"], s["file_mapped"]
	m.WorkingSet = sub(m.Usage, s["inactive_file"])
	m.PgFault, m.PgMajFault = s["pgfault"], s["pgmajfault"]
	m.HierPgFault, m.HierPgMajFault = m.PgFault, m.PgMajFault
	if k, ok := s["kernel"]; ok { // Linux 5.18+
		m.Kernel = k
	} else {
		m.Kernel = s["kernel_stack"] + s["pagetables"] + s["percpu"] + s["sock"] + s["slab"]
	}
}

// v2IO reads io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ...".
func v2IO(r *reader) []BlkioDevice {
	m := r.nested("io.stat")
	devs := map[[2]uint64]*BlkioDevice{}
	for dev, kv := range m {
		major, minor, err := parseDevice(dev)
		if err != nil {
			r.fail("io.stat", err)
			continue
		}
		d := &BlkioDevice{Major: major, Minor: minor}
		for _, f := range []struct {
			key string
			dst *uint64
		}{{"rbytes", &d.ReadBytes}, {"wbytes", &d.WriteBytes}, {"rios", &d.Reads}, {"wios", &d.Writes}} {
			v, ok := kv[f.key]
			if !ok {
				continue
			}
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				r.fail("io.stat", err)
				continue
			}
			*f.dst = n
		}
		devs[[2]uint64{major, minor}] = d
	}
	if len(devs) == 0 {
		return nil
	}
	return sortedDevices(devs)
}
