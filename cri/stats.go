package cri

import (
	"context"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/cgstats"
)

func (s *Server) ctrStats(c *container) *runtimeapi.ContainerStats {
	ts := now().UnixNano()
	out := &runtimeapi.ContainerStats{Attributes: &runtimeapi.ContainerAttributes{Id: c.ID, Metadata: c.Metadata, Labels: c.Labels, Annotations: c.Annotations}}
	rst, err := s.rt.Status(c.ID)
	if err != nil {
		return out
	}
	cg, _ := cgstats.Read(rst.CgroupsPath)
	if cg.CPU.Valid {
		out.Cpu = &runtimeapi.CpuUsage{Timestamp: ts, UsageCoreNanoSeconds: &runtimeapi.UInt64Value{Value: cg.CPU.UsageNs}}
	}
	if cg.Memory.Valid {
		m := cg.Memory
		out.Memory = &runtimeapi.MemoryUsage{
			Timestamp: ts, WorkingSetBytes: &runtimeapi.UInt64Value{Value: m.WorkingSet}, UsageBytes: &runtimeapi.UInt64Value{Value: m.Usage},
			RssBytes: &runtimeapi.UInt64Value{Value: m.RSS}, PageFaults: &runtimeapi.UInt64Value{Value: m.PgFault},
			MajorPageFaults: &runtimeapi.UInt64Value{Value: m.PgMajFault},
		}
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
		}
		if cs.Memory != nil {
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
