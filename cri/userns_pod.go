package cri

import (
	"fmt"
	"os"
	"path/filepath"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/cri/pinns"
	"github.com/ocid-project/ocid/internal/undo"
)

// makeUsernsNamespaces makes a user-namespaced pod's namespaces: its
// user namespace with the kubelet's mappings and, owned by it, its
// network, IPC and UTS namespaces, all pinned; the loopback is brought
// up. Such a pod shares none of the host's namespaces (validated before).
func (s *Server) makeUsernsNamespaces(p *sandbox, dir string, um *runtimeapi.UserNamespace, u *undo.Stack) error {
	netns, err := network.NewPinPath(filepath.Join(s.o.RunRoot, "netns"))
	if err != nil {
		return err
	}
	paths := pinns.PodPaths{User: filepath.Join(dir, "user"), Net: netns, IPC: filepath.Join(dir, "ipc"), UTS: filepath.Join(dir, "uts")}
	// Recorded first, so a crash from here on leaves a pod record that
	// names what to take apart.
	p.UserNS, p.NetNS, p.IPCNS, p.UTSNS = paths.User, paths.Net, paths.IPC, paths.UTS
	if err := s.savePod(p); err != nil {
		return err
	}
	conv := func(ms []*runtimeapi.IDMapping) []pinns.IDMap {
		var out []pinns.IDMap
		for _, m := range ms {
			out = append(out, pinns.IDMap{ContainerID: m.ContainerId, HostID: m.HostId, Size: m.Length})
		}
		return out
	}
	if err := pinns.PinInUserns(paths, conv(um.Uids), conv(um.Gids), p.Hostname); err != nil {
		return err
	}
	// The pod's directory (its /etc files, /dev/shm, image volumes) is
	// reached by the pod's root from inside the user namespace.
	if err := os.Chown(dir, int(um.Uids[0].HostId), int(um.Gids[0].HostId)); err != nil {
		return err
	}
	u.Add(func() {
		for _, path := range []string{paths.User, paths.Net, paths.IPC, paths.UTS} {
			pinns.Unpin(path)
		}
	})
	ns, err := network.LoadNetNS(paths.Net)
	if err != nil {
		return err
	}
	if err := ns.LoopbackUp(); err != nil {
		return fmt.Errorf("pod network namespace: %w", err)
	}
	return nil
}
