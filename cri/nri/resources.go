package nri

import (
	"maps"
	"slices"

	"github.com/containerd/nri/pkg/api"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/runtime/spec"
)

// Resources in their three forms: NRI's, the CRI's (updates, status)
// and ocid's spec options (creation).

// ResourcesFromCRI converts the CRI's container resources; fields the
// CRI leaves zero (unset) stay unset.
func ResourcesFromCRI(r *runtimeapi.LinuxContainerResources) *api.LinuxResources {
	if r == nil {
		return nil
	}
	out := &api.LinuxResources{
		Cpu:     &api.LinuxCPU{Cpus: r.CpusetCpus, Mems: r.CpusetMems},
		Memory:  &api.LinuxMemory{},
		Unified: maps.Clone(r.Unified),
	}
	if r.CpuShares != 0 {
		out.Cpu.Shares = api.UInt64(uint64(r.CpuShares))
	}
	if r.CpuQuota != 0 {
		out.Cpu.Quota = api.Int64(r.CpuQuota)
	}
	if r.CpuPeriod != 0 {
		out.Cpu.Period = api.UInt64(uint64(r.CpuPeriod))
	}
	if r.MemoryLimitInBytes != 0 {
		out.Memory.Limit = api.Int64(r.MemoryLimitInBytes)
	}
	if r.MemorySwapLimitInBytes != 0 {
		out.Memory.Swap = api.Int64(r.MemorySwapLimitInBytes)
	}
	for _, h := range r.HugepageLimits {
		out.HugepageLimits = append(out.HugepageLimits, &api.HugepageLimit{PageSize: h.PageSize, Limit: h.Limit})
	}
	return out
}

// MergeIntoCRI returns base (not changed) with the fields r sets, for
// the CRI's UpdateContainerResources. Fields the CRI cannot carry are an
// error naming them (errdefs.ErrInvalidArgument).
func MergeIntoCRI(base *runtimeapi.LinuxContainerResources, r *api.LinuxResources) (*runtimeapi.LinuxContainerResources, error) {
	out := &runtimeapi.LinuxContainerResources{}
	if base != nil {
		out = proto.Clone(base).(*runtimeapi.LinuxContainerResources)
	}
	if r == nil {
		return out, nil
	}
	bad := unsupportedResources(r)
	if p := r.GetPids(); p != nil {
		bad = append(bad, "pids limit (the CRI updates no pids limit)")
	}
	if len(bad) > 0 {
		return nil, unsupportedError(bad)
	}
	if c := r.GetCpu(); c != nil {
		if v := c.GetShares(); v != nil {
			out.CpuShares = int64(v.GetValue())
		}
		if v := c.GetQuota(); v != nil {
			out.CpuQuota = v.GetValue()
		}
		if v := c.GetPeriod(); v != nil {
			out.CpuPeriod = int64(v.GetValue())
		}
		if c.Cpus != "" {
			out.CpusetCpus = c.Cpus
		}
		if c.Mems != "" {
			out.CpusetMems = c.Mems
		}
	}
	if m := r.GetMemory(); m != nil {
		if v := m.GetLimit(); v != nil {
			out.MemoryLimitInBytes = v.GetValue()
		}
		if v := m.GetSwap(); v != nil {
			out.MemorySwapLimitInBytes = v.GetValue()
		}
	}
	for _, h := range r.HugepageLimits {
		out.HugepageLimits = slices.DeleteFunc(out.HugepageLimits, func(x *runtimeapi.HugepageLimit) bool { return x.PageSize == h.PageSize })
		out.HugepageLimits = append(out.HugepageLimits, &runtimeapi.HugepageLimit{PageSize: h.PageSize, Limit: h.Limit})
	}
	if len(r.Unified) > 0 {
		if out.Unified == nil {
			out.Unified = map[string]string{}
		}
		maps.Copy(out.Unified, r.Unified)
	}
	return out, nil
}

// unsupportedResources names the resources ocid cannot set, in neither
// its spec options nor the CRI's update.
func unsupportedResources(r *api.LinuxResources) []string {
	var bad []string
	add := func(set bool, what string) {
		if set {
			bad = append(bad, what)
		}
	}
	if m := r.GetMemory(); m != nil {
		add(m.Reservation != nil, "memory reservation")
		add(m.Kernel != nil, "kernel memory limit")
		add(m.KernelTcp != nil, "kernel TCP memory limit")
		add(m.Swappiness != nil, "memory swappiness")
		add(m.DisableOomKiller != nil, "disabling the OOM killer")
		add(m.UseHierarchy != nil, "memory use_hierarchy")
	}
	if c := r.GetCpu(); c != nil {
		add(c.RealtimeRuntime != nil, "CPU realtime runtime")
		add(c.RealtimePeriod != nil, "CPU realtime period")
	}
	add(r.BlockioClass != nil, "block I/O class")
	add(r.RdtClass != nil, "RDT class")
	add(len(r.Devices) > 0, "device cgroup rules (add devices instead)")
	return bad
}

// applyResources sets the cgroup limits spec.Resources has (the others
// were refused by Unsupported).
func applyResources(r *spec.Resources, in *api.LinuxResources) {
	if in == nil {
		return
	}
	if c := in.Cpu; c != nil {
		if v := c.Shares; v != nil {
			r.CPUShares = v.GetValue()
		}
		if v := c.Quota; v != nil {
			r.CPUQuota = v.GetValue()
		}
		if v := c.Period; v != nil {
			r.CPUPeriod = v.GetValue()
		}
		if c.Cpus != "" {
			r.CPUSetCPUs = c.Cpus
		}
		if c.Mems != "" {
			r.CPUSetMems = c.Mems
		}
	}
	if m := in.Memory; m != nil {
		if v := m.Limit; v != nil {
			r.MemoryLimit = v.GetValue()
		}
		if v := m.Swap; v != nil {
			r.MemorySwapLimit = v.GetValue()
		}
	}
	if p := in.Pids; p != nil {
		r.PidsLimit = p.Limit
		if p.Limit <= 0 {
			r.PidsLimit = -1 // as runc reads 0: no limit
		}
	}
	if len(in.HugepageLimits) > 0 {
		r.Hugepages = maps.Clone(r.Hugepages)
		if r.Hugepages == nil {
			r.Hugepages = map[string]uint64{}
		}
		for _, h := range in.HugepageLimits {
			r.Hugepages[h.PageSize] = h.Limit
		}
	}
	if len(in.Unified) > 0 {
		r.Unified = maps.Clone(r.Unified)
		if r.Unified == nil {
			r.Unified = map[string]string{}
		}
		maps.Copy(r.Unified, in.Unified)
	}
}

// CRIResources is r as the CRI reports a container's resources, keeping
// base's OOM score adjustment (oom, when set, replaces it).
func CRIResources(r spec.Resources, base *runtimeapi.LinuxContainerResources, oom *int) *runtimeapi.LinuxContainerResources {
	out := &runtimeapi.LinuxContainerResources{
		CpuShares: int64(r.CPUShares), CpuQuota: r.CPUQuota, CpuPeriod: int64(r.CPUPeriod),
		CpusetCpus: r.CPUSetCPUs, CpusetMems: r.CPUSetMems, MemoryLimitInBytes: r.MemoryLimit,
		MemorySwapLimitInBytes: r.MemorySwapLimit, Unified: maps.Clone(r.Unified),
	}
	if base != nil {
		out.OomScoreAdj = base.OomScoreAdj
	}
	if oom != nil {
		out.OomScoreAdj = int64(*oom)
	}
	for _, size := range slices.Sorted(maps.Keys(r.Hugepages)) {
		out.HugepageLimits = append(out.HugepageLimits, &runtimeapi.HugepageLimit{PageSize: size, Limit: r.Hugepages[size]})
	}
	return out
}
