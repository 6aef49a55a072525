package cri

import (
	"context"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/cgstats"
	"github.com/ocid-project/ocid/runtime"
)

// ListMetricDescriptors lists the metrics ListPodSandboxMetrics reports:
// cadvisor's names, which the kubelet serves as they are.
func (s *Server) ListMetricDescriptors(ctx context.Context, req *runtimeapi.ListMetricDescriptorsRequest) (*runtimeapi.ListMetricDescriptorsResponse, error) {
	return &runtimeapi.ListMetricDescriptorsResponse{Descriptors: cgstats.Descriptors()}, nil
}

// ListPodSandboxMetrics reports every pod's network counters and its
// containers' cgroup, process and file system metrics. A container whose
// cgroup is gone (exited and cleaned up) has none; a reading that failed
// in part is logged and reported as far as it went.
func (s *Server) ListPodSandboxMetrics(ctx context.Context, req *runtimeapi.ListPodSandboxMetricsRequest) (*runtimeapi.ListPodSandboxMetricsResponse, error) {
	s.mu.RLock()
	pods := make([]*sandbox, 0, len(s.pods))
	for _, p := range s.pods {
		pods = append(pods, p)
	}
	s.mu.RUnlock()
	resp := &runtimeapi.ListPodSandboxMetricsResponse{}
	for _, p := range pods {
		resp.PodMetrics = append(resp.PodMetrics, s.podMetrics(p))
	}
	return resp, nil
}

func (s *Server) podMetrics(p *sandbox) *runtimeapi.PodSandboxMetrics {
	at := now()
	pm := &runtimeapi.PodSandboxMetrics{PodSandboxId: p.ID}
	netPid := 0 // a process in the pod's network namespace
	if p.PauseID != "" {
		if st, err := s.rt.Status(p.PauseID); err == nil && st.State == runtime.Running {
			netPid = st.Pid
		}
	}
	for _, c := range s.podContainers(p.ID) {
		st, err := s.rt.Status(c.ID)
		if err != nil {
			continue
		}
		in := cgstats.Input{
			ID: c.ID, Name: c.Metadata.GetName(), PodName: p.Metadata.GetName(), PodNamespace: p.Metadata.GetNamespace(),
			Image: c.Image.GetImage(), CgroupPath: st.CgroupsPath, StartedAt: st.Started, RootfsDir: s.st.UpperDir(c.ID),
		}
		if st.State == runtime.Running {
			in.Pid = st.Pid
			if netPid == 0 {
				netPid = st.Pid
			}
		}
		ms, err := cgstats.ContainerMetrics(in, at)
		if err != nil && len(ms) == 0 {
			continue
		}
		if err != nil {
			s.log.Debug("container metrics incomplete", "pod", p.ID, "container", c.ID, "err", err)
		}
		pm.ContainerMetrics = append(pm.ContainerMetrics, &runtimeapi.ContainerMetrics{ContainerId: c.ID, Metrics: ms})
	}
	// A pod on the host network would report the host's interfaces.
	if netPid > 0 && !p.hostNetwork() {
		ms, err := cgstats.PodNetworkMetrics(cgstats.Pod{ID: p.ID, Name: p.Metadata.GetName(), Namespace: p.Metadata.GetNamespace(),
			CgroupPath: s.cgroupParent(p), Pid: netPid}, at)
		if err != nil {
			s.log.Debug("pod network metrics", "pod", p.ID, "err", err)
		}
		pm.Metrics = ms
	}
	return pm
}
