package spec

import (
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// LinuxResources converts r to the spec's cgroup resources (device rules
// aside). The same JSON is what `runc update --resources` reads, so the
// runtime can reuse it for a CRI UpdateContainerResources. It returns nil
// when r sets nothing.
func LinuxResources(r Resources) (*specs.LinuxResources, error) {
	if err := validateResources(r); err != nil {
		return nil, err
	}
	out := &specs.LinuxResources{}
	set := false
	if r.CPUShares != 0 || r.CPUQuota != 0 || r.CPUPeriod != 0 || r.CPUSetCPUs != "" || r.CPUSetMems != "" {
		cpu := &specs.LinuxCPU{Cpus: r.CPUSetCPUs, Mems: r.CPUSetMems}
		if r.CPUShares != 0 {
			cpu.Shares = ptr(r.CPUShares)
		}
		if r.CPUQuota != 0 {
			cpu.Quota = ptr(r.CPUQuota)
		}
		if r.CPUPeriod != 0 {
			cpu.Period = ptr(r.CPUPeriod)
		}
		out.CPU, set = cpu, true
	}
	if r.MemoryLimit != 0 || r.MemorySwapLimit != 0 {
		mem := &specs.LinuxMemory{}
		if r.MemoryLimit != 0 {
			mem.Limit = ptr(r.MemoryLimit)
		}
		if r.MemorySwapLimit != 0 {
			mem.Swap = ptr(r.MemorySwapLimit)
		}
		out.Memory, set = mem, true
	}
	if r.PidsLimit != 0 {
		out.Pids, set = &specs.LinuxPids{Limit: ptr(r.PidsLimit)}, true
	}
	for _, size := range slices.Sorted(maps.Keys(r.Hugepages)) {
		out.HugepageLimits = append(out.HugepageLimits, specs.LinuxHugepageLimit{Pagesize: size, Limit: r.Hugepages[size]})
		set = true
	}
	if len(r.Unified) > 0 {
		out.Unified, set = maps.Clone(r.Unified), true
	}
	if !set {
		return nil, nil
	}
	return out, nil
}

var (
	hugepageSize = regexp.MustCompile(`^[1-9][0-9]*[KMG]B$`)
	// cpuList is the kernel's list format: "0-3,8,10-11".
	cpuList = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)
)

// validateResources refuses values the kernel would reject, so the error
// names the field instead of a cgroup file runc failed to write.
func validateResources(r Resources) error {
	switch {
	case r.CPUShares == 1 || r.CPUShares > 262144:
		return invalidf("cpu shares %d is outside 2..262144", r.CPUShares)
	case r.CPUQuota != 0 && r.CPUQuota != -1 && r.CPUQuota < 1000:
		return invalidf("cpu quota %d µs is below 1000 (use -1 for none)", r.CPUQuota)
	case r.CPUPeriod != 0 && (r.CPUPeriod < 1000 || r.CPUPeriod > 1000000):
		return invalidf("cpu period %d µs is outside 1000..1000000", r.CPUPeriod)
	case r.CPUSetCPUs != "" && !cpuList.MatchString(r.CPUSetCPUs):
		return invalidf("cpuset cpus %q is not a list like 0-3,6", r.CPUSetCPUs)
	case r.CPUSetMems != "" && !cpuList.MatchString(r.CPUSetMems):
		return invalidf("cpuset mems %q is not a list like 0-1", r.CPUSetMems)
	case r.MemoryLimit < -1:
		return invalidf("memory limit %d", r.MemoryLimit)
	case r.MemorySwapLimit < -1:
		return invalidf("memory+swap limit %d", r.MemorySwapLimit)
	case r.MemorySwapLimit > 0 && (r.MemoryLimit <= 0 || r.MemorySwapLimit < r.MemoryLimit):
		// cgroup v1 refuses memsw below memory, and v2's swap is derived
		// from the difference.
		return invalidf("memory+swap limit %d needs a memory limit no larger (have %d)", r.MemorySwapLimit, r.MemoryLimit)
	case r.PidsLimit < -1:
		return invalidf("pids limit %d", r.PidsLimit)
	}
	for size := range r.Hugepages {
		if !hugepageSize.MatchString(size) {
			return invalidf("hugepage size %q is not like 2MB or 1GB", size)
		}
	}
	for file, value := range r.Unified {
		if file == "" || strings.ContainsAny(file, "/\x00") || file[0] == '.' || !strings.Contains(file, ".") {
			return invalidf("unified cgroup file %q is not like memory.high", file)
		}
		if strings.ContainsRune(value, 0) {
			return invalidf("unified cgroup %s value has a NUL", file)
		}
	}
	return nil
}

// validateCgroupsPath accepts "/ocid/<id>" (cgroupfs) or
// "slice:prefix:name" (systemd, slice may be empty for the default).
func validateCgroupsPath(p string) error {
	if p == "" {
		return nil
	}
	if strings.ContainsRune(p, 0) {
		return invalidf("cgroups path %q has a NUL", p)
	}
	if strings.HasPrefix(p, "/") {
		if path.Clean(p) != p || p == "/" {
			return invalidf("cgroups path %q is not a clean path below /", p)
		}
		return nil
	}
	parts := strings.Split(p, ":")
	if len(parts) != 3 || parts[2] == "" || strings.Contains(p, "/") ||
		(parts[0] != "" && !strings.HasSuffix(parts[0], ".slice")) {
		return invalidf("cgroups path %q is neither /absolute/path nor slice:prefix:name", p)
	}
	return nil
}

// validateOOMScoreAdj checks the kernel's range.
func validateOOMScoreAdj(v *int) error {
	if v != nil && (*v < -1000 || *v > 1000) {
		return invalidf("oom_score_adj %s is outside -1000..1000", strconv.Itoa(*v))
	}
	return nil
}
