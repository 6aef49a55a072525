package cri

import (
	"fmt"
	"os"
	"path/filepath"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/pinns"
)

// validateUserns checks a pod's user namespace request before anything is
// made. NODE (or none) is the host's user namespace; POD is a namespace of
// the pod's own, described by exactly one UID and one GID mapping that
// maps container ID 0, as the kubelet sends it. CONTAINER and TARGET mean
// nothing for user namespaces.
func validateUserns(u *runtimeapi.UserNamespace) error {
	if u == nil {
		return nil
	}
	switch u.Mode {
	case runtimeapi.NamespaceMode_NODE:
		if len(u.Uids) > 0 || len(u.Gids) > 0 {
			return fmt.Errorf("user namespace mode NODE takes no ID mappings: %w", errInvalid)
		}
		return nil
	case runtimeapi.NamespaceMode_POD:
	default:
		return fmt.Errorf("user namespace mode %s is not supported (NODE or POD): %w", u.Mode, errInvalid)
	}
	for _, m := range []struct {
		kind string
		maps []*runtimeapi.IDMapping
	}{{"UID", u.Uids}, {"GID", u.Gids}} {
		if len(m.maps) != 1 {
			return fmt.Errorf("user namespace mode POD needs exactly one %s mapping, got %d: %w", m.kind, len(m.maps), errInvalid)
		}
		mp := m.maps[0]
		if mp.ContainerId != 0 {
			return fmt.Errorf("user namespace %s mapping must map container ID 0, it starts at %d: %w", m.kind, mp.ContainerId, errInvalid)
		}
		if mp.Length == 0 {
			return fmt.Errorf("user namespace %s mapping has length 0: %w", m.kind, errInvalid)
		}
		if uint64(mp.HostId)+uint64(mp.Length) > 1<<32-1 {
			return fmt.Errorf("user namespace %s mapping %d+%d runs past the largest ID: %w", m.kind, mp.HostId, mp.Length, errInvalid)
		}
	}
	return nil
}

// validatePodUserns refuses what a pod with a user namespace of its own
// cannot have: any of the host's namespaces (the kubelet refuses
// hostUsers: false with them too), or a node where ID-mapped mounts do
// not work.
func (s *Server) validatePodUserns(cfg *runtimeapi.PodSandboxConfig) error {
	opts := cfg.GetLinux().GetSecurityContext().GetNamespaceOptions()
	if um := opts.GetUsernsOptions(); um == nil || um.Mode != runtimeapi.NamespaceMode_POD {
		return nil
	}
	if err := validateUserns(opts.GetUsernsOptions()); err != nil {
		return err
	}
	if opts.GetNetwork() == runtimeapi.NamespaceMode_NODE || opts.GetPid() == runtimeapi.NamespaceMode_NODE || opts.GetIpc() == runtimeapi.NamespaceMode_NODE {
		return fmt.Errorf("a pod with its own user namespace cannot use the host's network, PID or IPC namespace: %w", errInvalid)
	}
	if s.idmapErr != nil {
		return fmt.Errorf("user namespaces for pods need ID-mapped mounts, which this node lacks (%v): %w", s.idmapErr, errInvalid)
	}
	return nil
}

// probeIDMap tries an ID-mapped mount of the store through a throwaway
// user namespace: what a user-namespaced pod's containers will need.
func (s *Server) probeIDMap() error {
	dir, err := os.MkdirTemp(filepath.Join(s.o.RunRoot, "cri"), "userns-probe-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := pinns.PodPaths{User: filepath.Join(dir, "user"), Net: filepath.Join(dir, "net"), IPC: filepath.Join(dir, "ipc"), UTS: filepath.Join(dir, "uts")}
	m := []pinns.IDMap{{ContainerID: 0, HostID: 1 << 30, Size: 65536}}
	if err := pinns.PinInUserns(p, m, m, ""); err != nil {
		return err
	}
	defer func() {
		for _, path := range []string{p.User, p.Net, p.IPC, p.UTS} {
			pinns.Unpin(path)
		}
	}()
	return s.st.ProbeIDMap(p.User)
}
