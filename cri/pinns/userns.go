package pinns

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// IDMap maps Size IDs from ContainerID inside a user namespace to HostID
// outside it.
type IDMap struct{ ContainerID, HostID, Size uint32 }

// PodPaths are where a user-namespaced pod's namespaces are pinned.
type PodPaths struct{ User, Net, IPC, UTS string }

// PinInUserns makes a user namespace with the given mappings and, owned
// by it, new network, IPC and UTS namespaces, and pins all four at paths
// (each file must not exist). The pod's containers join them all, so
// root in the pod has its capabilities over its own network, IPC and
// host name and none over the host's. hostname is set in the UTS
// namespace.
//
// A process that has threads cannot make a user namespace, so a child
// is cloned into the four namespaces at once, its ID maps written by us,
// and stopped at its exec (ptrace) so it runs nothing; once its
// namespaces are pinned it is killed.
func PinInUserns(p PodPaths, uids, gids []IDMap, hostname string) (err error) {
	pins := []struct{ kind, path string }{{"user", p.User}, {"net", p.Net}, {"ipc", p.IPC}, {"uts", p.UTS}}
	for _, pin := range pins {
		if err := os.MkdirAll(filepath.Dir(pin.path), 0o700); err != nil {
			return err
		}
	}
	pid, reap, err := startHolder(uids, gids)
	if err != nil {
		return err
	}
	defer reap()
	var made []string
	defer func() {
		if err != nil {
			for _, path := range made {
				Unpin(path)
			}
		}
	}()
	for _, pin := range pins {
		f, err := os.OpenFile(pin.path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o600)
		if err != nil {
			return fmt.Errorf("pinns: %w", err)
		}
		f.Close()
		made = append(made, pin.path)
		src := fmt.Sprintf("/proc/%d/ns/%s", pid, pin.kind)
		if err := unix.Mount(src, pin.path, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("pinns: pinning the pod's %s namespace at %s: %w", pin.kind, pin.path, err)
		}
	}
	if hostname != "" {
		if err := setHostname(p.UTS, hostname); err != nil {
			return err
		}
	}
	return nil
}

// startHolder clones a process into new user, network, IPC and UTS
// namespaces, stopped before it runs a single instruction of its program.
// reap kills and collects it.
func startHolder(uids, gids []IDMap) (pid int, reap func(), err error) {
	conv := func(m []IDMap) []syscall.SysProcIDMap {
		var out []syscall.SysProcIDMap
		for _, e := range m {
			out = append(out, syscall.SysProcIDMap{ContainerID: int(e.ContainerID), HostID: int(e.HostID), Size: int(e.Size)})
		}
		return out
	}
	if len(uids) == 0 || len(gids) == 0 {
		return 0, nil, errors.New("pinns: a user namespace needs UID and GID mappings")
	}
	cmd := exec.Command("/proc/self/exe")
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC | syscall.CLONE_NEWUTS,
		UidMappings: conv(uids), GidMappings: conv(gids),
		// The pod's processes may set their supplementary groups.
		GidMappingsEnableSetgroups: true,
		// Stops the child at its exec: it never runs /proc/self/exe.
		Ptrace:    true,
		Pdeathsig: syscall.SIGKILL,
	}
	// ptrace ties the child to the thread that cloned it.
	runtime.LockOSThread()
	if err := cmd.Start(); err != nil {
		runtime.UnlockOSThread()
		return 0, nil, fmt.Errorf("pinns: making the pod's user namespace: %w", err)
	}
	return cmd.Process.Pid, func() {
		cmd.Process.Kill()
		cmd.Wait()
		runtime.UnlockOSThread()
	}, nil
}

// setHostname sets the host name in the UTS namespace pinned at path,
// from a thread that is thrown away afterwards.
func setHostname(path, hostname string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		errc <- func() error {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWUTS); err != nil {
				return fmt.Errorf("pinns: entering the pod's UTS namespace: %w", err)
			}
			if err := unix.Sethostname([]byte(hostname)); err != nil {
				return fmt.Errorf("pinns: hostname %q: %w", hostname, err)
			}
			return nil
		}()
	}()
	return <-errc
}
