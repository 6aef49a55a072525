package cri

import (
	"fmt"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// validateUserns checks a pod's user namespace request before anything is
// made. NODE (or none) is the host's user namespace; POD is a namespace of
// the pod's own, described by exactly one UID and one GID mapping that
// maps container ID 0, as the kubelet sends it. CONTAINER and TARGET mean
// nothing for user namespaces. A well-formed POD request is still refused:
// ocid does not make pod user namespaces yet (Status says so).
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
	return fmt.Errorf("user namespaces for pods (mode POD) are not supported by this ocid: %w", errInvalid)
}
