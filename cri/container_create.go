package cri

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/crashpoint"
	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
)

// CreateContainer creates a container in a pod. A retried request for a
// name that exists in the pod returns that container.
func (s *Server) CreateContainer(ctx context.Context, req *runtimeapi.CreateContainerRequest) (resp *runtimeapi.CreateContainerResponse, err error) {
	cfg := req.GetConfig()
	md := cfg.GetMetadata()
	if md == nil || md.Name == "" {
		return nil, invalid("container metadata (name) is required")
	}
	if cfg.GetImage().GetImage() == "" {
		return nil, invalid("container image is required")
	}
	p, err := s.findPod(req.PodSandboxId)
	if err != nil {
		return nil, err
	}
	key := ctrKey(p.ID, md)
	unlock := s.creating.lock("ctr/" + key)
	defer unlock()
	if c := s.ctrByKey(key); c != nil {
		return &runtimeapi.CreateContainerResponse{ContainerId: c.ID}, nil
	}
	if !p.Ready {
		return nil, toStatus(fmt.Errorf("pod sandbox %s is not ready: %w", p.ID, errPrecondition))
	}
	img, err := s.st.Lookup(cfg.Image.Image)
	if err != nil {
		return nil, toStatus(fmt.Errorf("image %q: %w", cfg.Image.Image, err))
	}
	id := runtime.NewID()
	c := &container{
		ID: id, PodID: p.ID, Metadata: md, Image: cfg.Image, ImageRef: img.ID.String(),
		Labels: cfg.Labels, Annotations: cfg.Annotations, Mounts: cfg.Mounts, Created: now(),
		Resources: cfg.GetLinux().GetResources(),
	}
	if p.LogDir != "" && cfg.LogPath != "" {
		c.LogPath = filepath.Join(p.LogDir, cfg.LogPath)
	}
	u := &undo.Stack{}
	defer u.RunIfFailed(&err)
	if err := s.saveCtr(c); err != nil {
		return nil, toStatus(err)
	}
	u.Add(func() { s.deleteCtrRecord(id) })
	so, err := s.specOptions(p, cfg, c, u)
	if err != nil {
		return nil, toStatus(err)
	}
	// Plugins see the container (and may adjust it) before it is made and
	// listed; a registering plugin waits until it is listed.
	unblock := s.nri.BlockSync()
	defer unblock()
	if err := s.nriCreateContainer(ctx, p, c, img, &so, cfg.Tty, u); err != nil {
		return nil, toStatus(err)
	}
	logPath := c.LogPath
	if logPath == "" {
		// Keep a log anyway (ReopenContainerLog, attach replay).
		logPath = filepath.Join(s.podRunDir(p.ID), "logs", id+".log")
	}
	st, err := s.rt.Create(ctx, runtime.CreateOptions{
		ID: id, Name: strings.ReplaceAll(key, "/", "_"), Image: img.ID.String(), Handler: p.Handler,
		Spec: so, LogPath: logPath, Terminal: cfg.Tty, Stdin: cfg.Stdin, StdinOnce: cfg.StdinOnce,
		Labels: cfg.Labels, Annotations: cfg.Annotations,
	})
	if err != nil {
		return nil, toStatus(err)
	}
	u.Add(func() { s.rt.Delete(context.Background(), st.ID, true) })
	crashpoint.Hit("cri.container-created")
	if uid, gid, groups, err := s.rt.ProcessUser(id); err == nil {
		c.User = &runtimeapi.ContainerUser{Linux: &runtimeapi.LinuxContainerUser{Uid: uid, Gid: gid, SupplementalGroups: groups}}
	}
	c.Complete = true
	if err := s.saveCtr(c); err != nil {
		return nil, toStatus(err)
	}
	s.mu.Lock()
	s.ctrs[id] = c
	s.mu.Unlock()
	unblock()
	s.nriPostCreate(ctx, c)
	s.emit(c, runtimeapi.ContainerEventType_CONTAINER_CREATED_EVENT)
	s.log.Info("container created", "pod", p.ID, "container", id, "name", md.Name)
	return &runtimeapi.CreateContainerResponse{ContainerId: id}, nil
}

// specOptions turns a CRI container config into the runtime's options.
func (s *Server) specOptions(p *sandbox, cfg *runtimeapi.ContainerConfig, c *container, u *undo.Stack) (spec.Options, error) {
	lc := cfg.GetLinux()
	sc := lc.GetSecurityContext()
	so := spec.Options{
		Command: cfg.Command, Args: cfg.Args, WorkingDir: cfg.WorkingDir,
		ReadOnlyRootfs: sc.GetReadonlyRootfs(), Privileged: sc.GetPrivileged(),
		NoNewPrivileges: sc.GetNoNewPrivs(), Sysctls: p.Sysctls,
		CgroupsPath: s.cgroupsPath(p, c.ID),
		Annotations: cfg.Annotations,
	}
	if !p.hostNetwork() {
		so.Hostname = p.Hostname
	}
	for _, kv := range cfg.Envs {
		so.Env = append(so.Env, kv.Key+"="+string(kv.Value))
	}
	user, err := userString(sc)
	if err != nil {
		return so, err
	}
	so.User = user
	for _, g := range sc.GetSupplementalGroups() {
		so.AdditionalGIDs = append(so.AdditionalGIDs, g)
	}
	if sc.GetSupplementalGroupsPolicy() == runtimeapi.SupplementalGroupsPolicy_Strict {
		so.SupplementalGroupsPolicy = spec.SupplementalGroupsStrict
	}
	if caps := sc.GetCapabilities(); caps != nil {
		so.CapAdd, so.CapDrop = caps.AddCapabilities, caps.DropCapabilities
	}
	if mp := sc.GetMaskedPaths(); len(mp) > 0 {
		so.MaskedPaths = mp
	}
	if rp := sc.GetReadonlyPaths(); len(rp) > 0 {
		so.ReadonlyPaths = rp
	}
	seccomp, err := seccompFor(sc)
	if err != nil {
		return so, err
	}
	so.Seccomp = seccomp
	so.Namespaces = s.podNamespaces(p)
	switch sc.GetNamespaceOptions().GetPid() {
	case runtimeapi.NamespaceMode_NODE:
		so.Namespaces = append(so.Namespaces, spec.Namespace{Type: specs.PIDNamespace, Host: true})
	case runtimeapi.NamespaceMode_POD:
		// The zero value: the pod's PID namespace, whatever the pod has
		// (the host's, the pause process's, or none shared).
		switch {
		case p.hostPID():
			so.Namespaces = append(so.Namespaces, spec.Namespace{Type: specs.PIDNamespace, Host: true})
		case p.PauseID != "":
			pid, err := s.pausePIDNamespace(p)
			if err != nil {
				return so, err
			}
			so.Namespaces = append(so.Namespaces, pid)
		}
	case runtimeapi.NamespaceMode_TARGET:
		target, err := s.findCtr(sc.GetNamespaceOptions().GetTargetId())
		if err != nil {
			return so, err
		}
		tst, err := s.rt.Status(target.ID)
		if err != nil || tst.Pid == 0 {
			return so, fmt.Errorf("target container %s is not running: %w", target.ID, errPrecondition)
		}
		so.Namespaces = append(so.Namespaces, spec.Namespace{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", tst.Pid)})
	}
	so.UserNS = p.userNS()
	if r := lc.GetResources(); r != nil {
		so.Resources = resources(r)
		if r.OomScoreAdj != 0 {
			adj := clampOOMScoreAdj(int(r.OomScoreAdj))
			so.OOMScoreAdj = &adj
		}
	}
	mounts, err := s.mounts(p, cfg, c, u)
	if err != nil {
		return so, err
	}
	so.Mounts = mounts
	for _, d := range cfg.Devices {
		dev, err := spec.HostDevice(d.HostPath, d.ContainerPath, d.Permissions)
		if err != nil {
			return so, err
		}
		so.Devices = append(so.Devices, dev)
	}
	return so, nil
}

// userString renders the CRI's run-as fields as a user string. A group
// without a user is refused, as the CRI defines it (the kubelet never
// sends one; the image's user with another group would be a guess).
func userString(sc *runtimeapi.LinuxContainerSecurityContext) (string, error) {
	var user string
	switch {
	case sc.GetRunAsUsername() != "":
		user = sc.GetRunAsUsername()
	case sc.GetRunAsUser() != nil:
		user = strconv.FormatInt(sc.GetRunAsUser().GetValue(), 10)
	}
	if sc.GetRunAsGroup() != nil {
		if user == "" {
			return "", invalid("run_as_group is set without run_as_user or run_as_username")
		}
		user += ":" + strconv.FormatInt(sc.GetRunAsGroup().GetValue(), 10)
	}
	return user, nil
}

// seccompFor reads the CRI's profile: nil means unconfined (as the CRI
// defines it; the kubelet always sends an explicit profile), an empty
// profile means the runtime's default.
func seccompFor(sc *runtimeapi.LinuxContainerSecurityContext) (spec.Seccomp, error) {
	if sc.GetPrivileged() {
		return spec.Seccomp{Kind: spec.SeccompUnconfined}, nil
	}
	if prof := sc.GetSeccomp(); prof != nil {
		switch prof.ProfileType {
		case runtimeapi.SecurityProfile_RuntimeDefault:
			return spec.Seccomp{Kind: spec.SeccompRuntimeDefault}, nil
		case runtimeapi.SecurityProfile_Unconfined:
			return spec.Seccomp{Kind: spec.SeccompUnconfined}, nil
		case runtimeapi.SecurityProfile_Localhost:
			return spec.Seccomp{Kind: spec.SeccompLocalhost, LocalhostPath: prof.LocalhostRef}, nil
		}
	}
	switch path := sc.GetSeccompProfilePath(); {
	case path == "runtime/default" || path == "docker/default":
		return spec.Seccomp{Kind: spec.SeccompRuntimeDefault}, nil
	case strings.HasPrefix(path, "localhost/"):
		return spec.Seccomp{Kind: spec.SeccompLocalhost, LocalhostPath: strings.TrimPrefix(path, "localhost/")}, nil
	}
	return spec.Seccomp{Kind: spec.SeccompUnconfined}, nil
}

func resources(r *runtimeapi.LinuxContainerResources) spec.Resources {
	out := spec.Resources{
		CPUShares: uint64(r.CpuShares), CPUQuota: r.CpuQuota, CPUPeriod: uint64(r.CpuPeriod),
		CPUSetCPUs: r.CpusetCpus, CPUSetMems: r.CpusetMems, MemoryLimit: r.MemoryLimitInBytes,
		MemorySwapLimit: r.MemorySwapLimitInBytes, Unified: r.Unified,
	}
	for _, h := range r.HugepageLimits {
		if out.Hugepages == nil {
			out.Hugepages = map[string]uint64{}
		}
		out.Hugepages[h.PageSize] = h.Limit
	}
	return out
}

// clampOOMScoreAdj keeps a requested oom_score_adj at or above this
// process's own: lowering it needs CAP_SYS_RESOURCE, which not every
// host gives (the kubelet asks for -997 for critical pods).
func clampOOMScoreAdj(want int) int {
	raw, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return want
	}
	own, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || want >= own {
		return want
	}
	if canLowerOOMScore() {
		return want
	}
	return own
}
