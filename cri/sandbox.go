package cri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/containerd/nri/pkg/api"
	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/cri/pinns"
	"github.com/ocid-project/ocid/internal/cgpath"
	"github.com/ocid-project/ocid/internal/crashpoint"
	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime"
)

// shmSize is a pod's /dev/shm, as the kubelet's other runtimes give.
const shmSize = 64 << 20

// RunPodSandbox creates a pod: its namespaces (pinned), /dev/shm, DNS and
// host files, its network (CNI), and, when it shares a PID namespace, the
// pause process. A retried request for a pod that exists returns it.
func (s *Server) RunPodSandbox(ctx context.Context, req *runtimeapi.RunPodSandboxRequest) (resp *runtimeapi.RunPodSandboxResponse, err error) {
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md == nil || md.Name == "" || md.Namespace == "" || md.Uid == "" {
		return nil, invalid("pod sandbox metadata (name, namespace, uid) is required")
	}
	if _, err := s.rt.Handler(req.RuntimeHandler); err != nil {
		return nil, toStatus(err)
	}
	if err := validateUserns(cfg.GetLinux().GetSecurityContext().GetNamespaceOptions().GetUsernsOptions()); err != nil {
		return nil, toStatus(err)
	}
	if err := s.validatePodUserns(cfg); err != nil {
		return nil, toStatus(err)
	}
	if err := checkCgroupParent(s.rt.SystemdCgroup(), cfg.GetLinux().GetCgroupParent()); err != nil {
		return nil, toStatus(err)
	}
	unlock := s.creating.lock("pod/" + podName(md))
	defer unlock()
	if p := s.podByName(podName(md)); p != nil {
		return &runtimeapi.RunPodSandboxResponse{PodSandboxId: p.ID}, nil
	}
	id := runtime.NewID()
	log := s.log.With("pod", id, "podName", md.Namespace+"/"+md.Name)
	p := &sandbox{
		ID: id, Metadata: md, Labels: cfg.Labels, Annotations: cfg.Annotations, Created: now(),
		Handler: req.RuntimeHandler, LogDir: cfg.LogDirectory, Hostname: cfg.Hostname,
		Options: cfg.GetLinux().GetSecurityContext().GetNamespaceOptions(), CgroupPar: cfg.GetLinux().GetCgroupParent(),
		Sysctls: cfg.GetLinux().GetSysctls(), Security: cfg.GetLinux().GetSecurityContext(),
		Overhead: cfg.GetLinux().GetOverhead(), Resources: cfg.GetLinux().GetResources(), Ports: cfg.PortMappings,
	}
	if p.Hostname == "" {
		// As containerd: a pod that names no host name gets the node's.
		p.Hostname, _ = os.Hostname()
	}
	u := &undo.Stack{}
	defer u.RunIfFailed(&err)
	if err := s.savePod(p); err != nil {
		return nil, toStatus(err)
	}
	u.Add(func() { s.deletePodRecord(id) })
	dir := s.podRunDir(id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, toStatus(err)
	}
	u.Add(func() { os.RemoveAll(dir) })
	t0 := time.Now()
	if err := s.makeNamespaces(p, dir, u); err != nil {
		return nil, toStatus(err)
	}
	crashpoint.Hit("cri.pod-namespaces")
	if err := s.writePodFiles(p, cfg, dir, u); err != nil {
		return nil, toStatus(err)
	}
	t1 := time.Now()
	if err := s.networkAndPause(ctx, p, u); err != nil {
		return nil, toStatus(err)
	}
	t2 := time.Now()
	if !p.hostNetwork() {
		writeHosts(dir, p)
		crashpoint.Hit("cri.pod-network")
	}
	// Plugins are told before the pod is listed; a registering plugin
	// waits until it is.
	unblock := s.nri.BlockSync()
	defer unblock()
	if err := s.nriRunPod(ctx, p, u); err != nil {
		return nil, toStatus(err)
	}
	p.Ready, p.Complete = true, true
	if err := s.savePod(p); err != nil {
		return nil, toStatus(err)
	}
	s.mu.Lock()
	s.pods[id] = p
	s.mu.Unlock()
	unblock()
	log.Info("pod sandbox ready", "ips", p.IPs, "namespaces", t1.Sub(t0), "networkAndPause", t2.Sub(t1), "total", time.Since(t0))
	return &runtimeapi.RunPodSandboxResponse{PodSandboxId: id}, nil
}

// makeNamespaces creates and pins the pod's namespaces.
func (s *Server) makeNamespaces(p *sandbox, dir string, u *undo.Stack) error {
	// (POD is the mode's zero value: only a present option means it.)
	if um := p.Security.GetNamespaceOptions().GetUsernsOptions(); um != nil && um.Mode == runtimeapi.NamespaceMode_POD {
		if err := s.makeUsernsNamespaces(p, dir, um, u); err != nil {
			return err
		}
		return s.mountShm(dir, u)
	}
	if !p.hostNetwork() {
		ns, err := network.NewNetNS(filepath.Join(s.o.RunRoot, "netns"))
		if err != nil {
			return err
		}
		u.Add(func() { ns.Remove() })
		p.NetNS = ns.Path()
		// Recorded at once, so a crash from here on leaves a pod record
		// that names what to take apart.
		if err := s.savePod(p); err != nil {
			return err
		}
		// A pod on the host network also shares the host's UTS.
		p.UTSNS = filepath.Join(dir, "uts")
		if err := pinns.Pin(pinns.UTS, p.UTSNS, p.Hostname); err != nil {
			return err
		}
		u.Add(func() { pinns.Unpin(p.UTSNS) })
	}
	if !p.hostIPC() {
		p.IPCNS = filepath.Join(dir, "ipc")
		if err := pinns.Pin(pinns.IPC, p.IPCNS, ""); err != nil {
			return err
		}
		u.Add(func() { pinns.Unpin(p.IPCNS) })
		return s.mountShm(dir, u)
	}
	return nil
}

// mountShm mounts the pod's /dev/shm, a tmpfs its containers share.
func (s *Server) mountShm(dir string, u *undo.Stack) error {
	shm := filepath.Join(dir, "shm")
	if err := os.MkdirAll(shm, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("shm", shm, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, fmt.Sprintf("mode=1777,size=%d", shmSize)); err != nil {
		return fmt.Errorf("mounting the pod's /dev/shm: %w", err)
	}
	u.Add(func() { unix.Unmount(shm, unix.MNT_DETACH) })
	return nil
}

func (s *Server) podNetwork(p *sandbox) network.PodNetwork {
	pn := network.PodNetwork{ID: p.ID, Name: p.Metadata.Name, Namespace: p.Metadata.Namespace, UID: p.Metadata.Uid, NetNS: p.NetNS, Annotations: p.Annotations}
	for _, pm := range p.Ports {
		if pm.HostPort == 0 {
			continue
		}
		proto := strings.ToLower(pm.Protocol.String())
		pn.PortMappings = append(pn.PortMappings, network.PortMapping{HostPort: pm.HostPort, ContainerPort: pm.ContainerPort, Protocol: proto, HostIP: pm.HostIp})
	}
	return pn
}

func (s *Server) cgroupParent(p *sandbox) string {
	if p.CgroupPar != "" {
		return p.CgroupPar
	}
	return s.rt.CgroupParent()
}

// cgroupsPath is where a pod's container (or pause) named name goes: below
// the pod's cgroup parent, in the cgroup driver's form.
func (s *Server) cgroupsPath(p *sandbox, name string) string {
	return cgroupsPathFor(s.rt.SystemdCgroup(), s.cgroupParent(p), name)
}

// cgroupsPathFor is "parent/name" for cgroupfs and "parent:ocid:name" for
// systemd: the transient unit ocid-name.scope in the parent slice, as
// containerd ("cri-containerd") and CRI-O ("crio") name theirs.
func cgroupsPathFor(systemd bool, parent, name string) string {
	if systemd {
		return cgpath.Systemd(parent, "ocid", name)
	}
	return parent + "/" + name
}

// checkCgroupParent refuses a pod cgroup parent the cgroup driver cannot
// use: the kubelet's cgroup driver must match ocid's.
func checkCgroupParent(systemd bool, parent string) error {
	switch {
	case parent == "":
		return nil
	case systemd:
		if _, err := cgpath.ExpandSlice(parent); err != nil {
			return fmt.Errorf("cgroup parent %q: the systemd cgroup driver takes a slice name (name.slice; is the kubelet's cgroup driver cgroupfs?): %w", parent, errInvalid)
		}
	case !strings.HasPrefix(parent, "/") || cgpath.IsSystemd(parent):
		return fmt.Errorf("cgroup parent %q: the cgroupfs driver takes an absolute path (is the kubelet's cgroup driver systemd?): %w", parent, errInvalid)
	}
	return nil
}

// StopPodSandbox stops the pod's containers and releases its network
// (IP, port mappings). Stopping a stopped or unknown pod is not an error.
func (s *Server) StopPodSandbox(ctx context.Context, req *runtimeapi.StopPodSandboxRequest) (*runtimeapi.StopPodSandboxResponse, error) {
	p, err := s.findPod(req.PodSandboxId)
	if err != nil {
		if isNotFound(err) {
			return &runtimeapi.StopPodSandboxResponse{}, nil
		}
		return nil, err
	}
	unlock := s.creating.lock("pod/" + podName(p.Metadata))
	defer unlock()
	if err := s.stopPod(ctx, p); err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.StopPodSandboxResponse{}, nil
}

func (s *Server) stopPod(ctx context.Context, p *sandbox) error {
	for _, c := range s.podContainers(p.ID) {
		if err := s.rt.Stop(ctx, c.ID, 0); err != nil {
			return fmt.Errorf("stopping container %s: %w", c.ID, err)
		}
		s.emit(c, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
		s.nriStopped(ctx, c, nil)
	}
	// Plugins hear of a pod's stop once, with its network still up.
	s.mu.RLock()
	ready := p.Ready
	s.mu.RUnlock()
	if ready {
		s.nriStopPod(ctx, p)
	}
	if p.PauseID != "" {
		if err := s.rt.Stop(ctx, p.PauseID, 0); err != nil && !isNotFound(err) {
			return err
		}
	}
	if p.NetNS != "" {
		if err := s.net.TearDown(ctx, s.podNetwork(p)); err != nil {
			return fmt.Errorf("tearing down the pod network: %w", err)
		}
		if err := pinns.Unpin(p.NetNS); err != nil {
			return err
		}
	}
	s.mu.Lock()
	p.Ready = false
	p.IPs = nil
	s.mu.Unlock()
	return s.savePod(p)
}

// RemovePodSandbox removes a pod and everything in it; removing a pod
// that is gone is not an error.
func (s *Server) RemovePodSandbox(ctx context.Context, req *runtimeapi.RemovePodSandboxRequest) (*runtimeapi.RemovePodSandboxResponse, error) {
	p, err := s.findPod(req.PodSandboxId)
	if err != nil {
		if isNotFound(err) {
			return &runtimeapi.RemovePodSandboxResponse{}, nil
		}
		return nil, err
	}
	unlock := s.creating.lock("pod/" + podName(p.Metadata))
	defer unlock()
	if err := s.removePod(ctx, p); err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.RemovePodSandboxResponse{}, nil
}

func (s *Server) removePod(ctx context.Context, p *sandbox) error {
	var view *api.PodSandbox
	if s.nri.Active() {
		view = s.nriPod(p)
	}
	if p.Ready || p.NetNS != "" {
		if err := s.stopPod(ctx, p); err != nil {
			return err
		}
	}
	for _, c := range s.podContainers(p.ID) {
		if err := s.removeContainer(ctx, c); err != nil {
			return err
		}
	}
	if p.PauseID != "" {
		if err := s.rt.Delete(ctx, p.PauseID, true); err != nil {
			return err
		}
	}
	dir := s.podRunDir(p.ID)
	for _, ns := range []string{p.IPCNS, p.UTSNS, p.UserNS} {
		if ns != "" {
			if err := pinns.Unpin(ns); err != nil {
				return err
			}
		}
	}
	unix.Unmount(filepath.Join(dir, "shm"), unix.MNT_DETACH)
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := s.deletePodRecord(p.ID); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.pods, p.ID)
	s.mu.Unlock()
	s.nriRemovePod(ctx, view)
	s.log.Info("pod sandbox removed", "pod", p.ID)
	return nil
}

func (s *Server) podByName(name string) *sandbox {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.pods {
		if podName(p.Metadata) == name {
			return p
		}
	}
	return nil
}

var _ = syscall.SIGKILL
var _ = time.Second
