package cri

import (
	"context"
	"encoding/json"
	"sort"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// PodSandboxStatus reports a pod.
func (s *Server) PodSandboxStatus(ctx context.Context, req *runtimeapi.PodSandboxStatusRequest) (*runtimeapi.PodSandboxStatusResponse, error) {
	p, err := s.findPod(req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	s.mu.RLock()
	st := s.podStatus(p)
	s.mu.RUnlock()
	resp := &runtimeapi.PodSandboxStatusResponse{Status: st, Timestamp: now().UnixNano()}
	if req.Verbose {
		raw, _ := json.Marshal(p)
		resp.Info = map[string]string{"info": string(raw)}
	}
	for _, c := range s.podContainers(p.ID) {
		if cs, err := s.containerStatus(c); err == nil {
			resp.ContainersStatuses = append(resp.ContainersStatuses, cs)
		}
	}
	return resp, nil
}

func (s *Server) podStatus(p *sandbox) *runtimeapi.PodSandboxStatus {
	st := &runtimeapi.PodSandboxStatus{
		Id: p.ID, Metadata: p.Metadata, CreatedAt: p.Created.UnixNano(), State: runtimeapi.PodSandboxState_SANDBOX_NOTREADY,
		Labels: p.Labels, Annotations: p.Annotations, RuntimeHandler: p.Handler,
		Linux: &runtimeapi.LinuxPodSandboxStatus{Namespaces: &runtimeapi.Namespace{Options: p.Options}},
	}
	if p.Ready {
		st.State = runtimeapi.PodSandboxState_SANDBOX_READY
	}
	if len(p.IPs) > 0 {
		st.Network = &runtimeapi.PodSandboxNetworkStatus{Ip: p.IPs[0]}
		for _, ip := range p.IPs[1:] {
			st.Network.AdditionalIps = append(st.Network.AdditionalIps, &runtimeapi.PodIP{Ip: ip})
		}
	}
	return st
}

// ListPodSandbox lists pods, filtered by ID (or prefix), state and labels.
func (s *Server) ListPodSandbox(ctx context.Context, req *runtimeapi.ListPodSandboxRequest) (*runtimeapi.ListPodSandboxResponse, error) {
	f := req.GetFilter()
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*runtimeapi.PodSandbox
	for _, p := range s.pods {
		if f != nil {
			if f.Id != "" && !strings.HasPrefix(p.ID, f.Id) {
				continue
			}
			if f.State != nil && podState(p) != f.State.State {
				continue
			}
			if !labelsMatch(p.Labels, f.LabelSelector) {
				continue
			}
		}
		out = append(out, &runtimeapi.PodSandbox{
			Id: p.ID, Metadata: p.Metadata, State: podState(p), CreatedAt: p.Created.UnixNano(),
			Labels: p.Labels, Annotations: p.Annotations, RuntimeHandler: p.Handler,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt < out[j].CreatedAt })
	return &runtimeapi.ListPodSandboxResponse{Items: out}, nil
}

func podState(p *sandbox) runtimeapi.PodSandboxState {
	if p.Ready {
		return runtimeapi.PodSandboxState_SANDBOX_READY
	}
	return runtimeapi.PodSandboxState_SANDBOX_NOTREADY
}

func labelsMatch(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}
