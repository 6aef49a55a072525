package cri

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// cgroupStats reads a cgroup's CPU and memory use (v1 or v2).
type cgroupStats struct {
	cpuNanos            uint64
	memUsage, workingSt uint64
	ok                  bool
}

func readCgroup(path string) cgroupStats {
	var st cgroupStats
	if v, err := readUint("/sys/fs/cgroup/cpuacct", path, "cpuacct.usage"); err == nil {
		st.cpuNanos, st.ok = v, true
		st.memUsage, _ = readUint("/sys/fs/cgroup/memory", path, "memory.usage_in_bytes")
		inactive := statField(filepath.Join("/sys/fs/cgroup/memory", path, "memory.stat"), "total_inactive_file")
		st.workingSt = sub(st.memUsage, inactive)
		return st
	}
	if usec := statField(filepath.Join("/sys/fs/cgroup", path, "cpu.stat"), "usage_usec"); usec > 0 {
		st.cpuNanos, st.ok = usec*1000, true
		st.memUsage, _ = readUint("/sys/fs/cgroup", path, "memory.current")
		st.workingSt = sub(st.memUsage, statField(filepath.Join("/sys/fs/cgroup", path, "memory.stat"), "inactive_file"))
	}
	return st
}

func readUint(root, path, file string) (uint64, error) {
	raw, err := os.ReadFile(filepath.Join(root, path, file))
	if err != nil {
		return 0, err
	}
	return strconv.ParseUint(strings.TrimSpace(string(raw)), 10, 64)
}

func statField(file, key string) uint64 {
	raw, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseUint(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func sub(a, b uint64) uint64 {
	if b > a {
		return 0
	}
	return a - b
}

func (s *Server) ctrStats(c *container) *runtimeapi.ContainerStats {
	ts := now().UnixNano()
	out := &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: c.ID, Metadata: c.Metadata, Labels: c.Labels, Annotations: c.Annotations}}
	rst, err := s.rt.Status(c.ID)
	if err != nil {
		return out
	}
	cg := readCgroup(rst.CgroupsPath)
	if cg.ok {
		out.Cpu = &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cg.cpuNanos}}
		out.Memory = &runtimeapi.MemoryUsage{Timestamp: ts, WorkingSetBytes: &runtimeapi.UInt64Value{Value: cg.workingSt}, UsageBytes: &runtimeapi.UInt64Value{Value: cg.memUsage}}
	}
	bytes, inodes := s.st.ContainerUsage(c.ID)
	out.WritableLayer = &runtimeapi.FilesystemUsage{
		Timestamp: ts, FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: s.st.Root()},
		UsedBytes: &runtimeapi.UInt64Value{Value: bytes}, InodesUsed: &runtimeapi.UInt64Value{Value: inodes},
	}
	return out
}

// ContainerStats reports one container's resource use.
func (s *Server) ContainerStats(ctx context.Context, req *runtimeapi.ContainerStatsRequest) (*runtimeapi.ContainerStatsResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.ContainerStatsResponse{Stats: s.ctrStats(c)}, nil
}

// ListContainerStats reports the use of the containers that match.
func (s *Server) ListContainerStats(ctx context.Context, req *runtimeapi.ListContainerStatsRequest) (*runtimeapi.ListContainerStatsResponse, error) {
	f := req.GetFilter()
	s.mu.RLock()
	var ctrs []*container
	for _, c := range s.ctrs {
		if f != nil && (f.Id != "" && !strings.HasPrefix(c.ID, f.Id) || f.PodSandboxId != "" && !strings.HasPrefix(c.PodID, f.PodSandboxId) || !labelsMatch(c.Labels, f.LabelSelector)) {
			continue
		}
		ctrs = append(ctrs, c)
	}
	s.mu.RUnlock()
	resp := &runtimeapi.ListContainerStatsResponse{}
	for _, c := range ctrs {
		resp.Stats = append(resp.Stats, s.ctrStats(c))
	}
	return resp, nil
}

func (s *Server) podStats(p *sandbox) *runtimeapi.PodSandboxStats {
	ts := now().UnixNano()
	out := &runtimeapi.PodSandboxStats{
		Attributes: &runtimeapi.PodSandboxAttributes{Id: p.ID, Metadata: p.Metadata, Labels: p.Labels, Annotations: p.Annotations},
		Linux:      &runtimeapi.LinuxPodSandboxStats{},
	}
	var cpu, mem, ws uint64
	for _, c := range s.podContainers(p.ID) {
		cs := s.ctrStats(c)
		out.Linux.Containers = append(out.Linux.Containers, cs)
		if cs.Cpu != nil {
			cpu += cs.Cpu.UsageCoreNanoSeconds.Value
			mem += cs.Memory.UsageBytes.Value
			ws += cs.Memory.WorkingSetBytes.Value
		}
	}
	out.Linux.Cpu = &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cpu}}
	out.Linux.Memory = &runtimeapi.MemoryUsage{Timestamp: ts, UsageBytes: &runtimeapi.UInt64Value{Value: mem}, WorkingSetBytes: &runtimeapi.UInt64Value{Value: ws}}
	out.Linux.Process = &runtimeapi.ProcessUsage{Timestamp: ts, ProcessCount: &runtimeapi.UInt64Value{Value: uint64(len(out.Linux.Containers))}}
	return out
}

// PodSandboxStats reports a pod's resource use.
func (s *Server) PodSandboxStats(ctx context.Context, req *runtimeapi.PodSandboxStatsRequest) (*runtimeapi.PodSandboxStatsResponse, error) {
	p, err := s.findPod(req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	return &runtimeapi.PodSandboxStatsResponse{Stats: s.podStats(p)}, nil
}

// ListPodSandboxStats reports the use of the pods that match.
func (s *Server) ListPodSandboxStats(ctx context.Context, req *runtimeapi.ListPodSandboxStatsRequest) (*runtimeapi.ListPodSandboxStatsResponse, error) {
	f := req.GetFilter()
	s.mu.RLock()
	var pods []*sandbox
	for _, p := range s.pods {
		if f != nil && (f.Id != "" && !strings.HasPrefix(p.ID, f.Id) || !labelsMatch(p.Labels, f.LabelSelector)) {
			continue
		}
		pods = append(pods, p)
	}
	s.mu.RUnlock()
	resp := &runtimeapi.ListPodSandboxStatsResponse{}
	for _, p := range pods {
		resp.Stats = append(resp.Stats, s.podStats(p))
	}
	return resp, nil
}

// ListMetricDescriptors lists the metrics ListPodSandboxMetrics reports.
func (s *Server) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	return &runtimeapi.ListMetricDescriptorsResponse{Descriptors: []*runtimeapi.MetricDescriptor{
		{Name: "container_cpu_usage_seconds_total", Help: "Cumulative cpu time consumed in seconds.", LabelKeys: []string{"container"}},
		{Name: "container_memory_working_set_bytes", Help: "Current working set in bytes.", LabelKeys: []string{"container"}},
	}}, nil
}

// ListPodSandboxMetrics reports per-container metrics of every pod.
func (s *Server) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	s.mu.RLock()
	var pods []*sandbox
	for _, p := range s.pods {
		pods = append(pods, p)
	}
	s.mu.RUnlock()
	resp := &runtimeapi.ListPodSandboxMetricsResponse{}
	for _, p := range pods {
		pm := &runtimeapi.PodSandboxMetrics{PodSandboxId: p.ID}
		for _, c := range s.podContainers(p.ID) {
			cs := s.ctrStats(c)
			cm := &runtimeapi.ContainerMetrics{ContainerId: c.ID}
			if cs.Cpu != nil {
				ts := cs.Cpu.Timestamp
				cm.Metrics = append(cm.Metrics,
					&runtimeapi.Metric{Name: "container_cpu_usage_seconds_total", Timestamp: ts, MetricType: runtimeapi.MetricType_COUNTER, LabelValues: []string{c.Metadata.Name}, Value: &runtimeapi.UInt64Value{Value: cs.Cpu.UsageCoreNanoSeconds.Value / 1e9}},
					&runtimeapi.Metric{Name: "container_memory_working_set_bytes", Timestamp: ts, MetricType: runtimeapi.MetricType_GAUGE, LabelValues: []string{c.Metadata.Name}, Value: &runtimeapi.UInt64Value{Value: cs.Memory.WorkingSetBytes.Value}})
			}
			pm.ContainerMetrics = append(pm.ContainerMetrics, cm)
		}
		resp.PodMetrics = append(resp.PodMetrics, pm)
	}
	return resp, nil
}
