package cri

import (
	"fmt"
	"maps"
	"slices"

	"github.com/containerd/nri/pkg/api"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/cri/nri"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
	"github.com/ocid-project/ocid/store"
)

// The pods and containers as NRI plugins see them: the api types, built
// from the records and the containers' OCI specs.

// nriPod is p as plugins see it.
func (s *Server) nriPod(p *sandbox) *api.PodSandbox {
	// Stop changes Ready and IPs under s.mu.
	s.mu.RLock()
	ips := slices.Clone(p.IPs)
	s.mu.RUnlock()
	pod := &api.PodSandbox{
		Id: p.ID, Name: p.Metadata.Name, Uid: p.Metadata.Uid, Namespace: p.Metadata.Namespace,
		Labels: maps.Clone(p.Labels), Annotations: maps.Clone(p.Annotations), RuntimeHandler: p.Handler, Ips: ips,
		Linux: &api.LinuxPodSandbox{
			CgroupParent: s.cgroupParent(p),
			PodOverhead:  nri.ResourcesFromCRI(p.Overhead),
			PodResources: nri.ResourcesFromCRI(p.Resources),
		},
	}
	ns := func(t specs.LinuxNamespaceType, path string) {
		if path != "" {
			pod.Linux.Namespaces = append(pod.Linux.Namespaces, &api.LinuxNamespace{Type: string(t), Path: path})
		}
	}
	ns(specs.NetworkNamespace, p.NetNS)
	ns(specs.IPCNamespace, p.IPCNS)
	ns(specs.UTSNamespace, p.UTSNS)
	ns(specs.UserNamespace, p.UserNS)
	if p.PauseID != "" {
		pod.Linux.CgroupsPath = s.pauseCgroupsPath(p)
		if pid, err := s.pausePid(p); err == nil {
			pod.Pid = uint32(pid)
			ns(specs.PIDNamespace, fmt.Sprintf("/proc/%d/ns/pid", pid))
		}
	}
	return pod
}

// nriCtr is c as plugins see it: its record, its runtime state, and its
// OCI spec (when the bundle is still there).
func (s *Server) nriCtr(c *container) *api.Container {
	ctr := nriCtrBase(c)
	if sp, err := s.rt.Spec(c.ID); err == nil {
		nri.FillFromSpec(ctr, sp)
	}
	if st, err := s.rt.Status(c.ID); err == nil {
		ctr.State = nriState(st.State)
		ctr.Pid = uint32(st.Pid)
		if !st.Started.IsZero() {
			ctr.StartedAt = st.Started.UnixNano()
		}
		if st.State == runtime.Exited {
			ctr.FinishedAt, ctr.ExitCode, ctr.StatusReason = st.Finished.UnixNano(), int32(st.ExitCode), st.Reason
		}
	}
	return ctr
}

func nriCtrBase(c *container) *api.Container {
	ctr := &api.Container{
		Id: c.ID, PodSandboxId: c.PodID, Name: c.Metadata.Name, Labels: maps.Clone(c.Labels),
		Annotations: maps.Clone(c.Annotations), CreatedAt: c.Created.UnixNano(),
		Image: &api.Image{ConfigDigest: c.ImageRef},
	}
	if c.Image != nil {
		ctr.Image.Name = c.Image.UserSpecifiedImage
		if ctr.Image.Name == "" {
			ctr.Image.Name = c.Image.Image
		}
	}
	return ctr
}

// nriCreateView is the container about to be created, as its spec would
// be made from so now (the runtime makes it again after plugins adjust
// so).
func (s *Server) nriCreateView(c *container, img *store.Image, so spec.Options, tty bool) (*api.Container, error) {
	raw, err := s.st.ImageBlob(img, img.ID)
	if err != nil {
		return nil, err
	}
	cfg, err := image.ParseConfig(raw)
	if err != nil {
		return nil, err
	}
	so.Rootfs, so.Terminal = s.st.CheckoutPath(img), tty
	sp, err := spec.Generate(cfg, so)
	if err != nil {
		return nil, err
	}
	ctr := nriCtrBase(c)
	nri.FillFromSpec(ctr, sp)
	ctr.State = api.ContainerState_CONTAINER_UNKNOWN // not created yet
	return ctr, nil
}

func nriState(st runtime.State) api.ContainerState {
	switch st {
	case runtime.Created:
		return api.ContainerState_CONTAINER_CREATED
	case runtime.Running:
		return api.ContainerState_CONTAINER_RUNNING
	case runtime.Exited:
		return api.ContainerState_CONTAINER_STOPPED
	}
	return api.ContainerState_CONTAINER_UNKNOWN
}
