package network

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// NetNS is a network namespace kept alive by a bind mount of its nsfs file
// onto Path, so it outlives every process in it and can be handed to runc
// and the CNI plugins by path. It holds no file descriptor: once Remove
// unmounts it, the kernel frees the namespace when its last user leaves.
type NetNS struct {
	path string
}

// NewNetNS creates a network namespace with its loopback up and pins it at
// dir/ocid-<random>. The calling process's own namespace is left alone: the
// namespace is made by a thread of its own, which is moved back and thrown
// away afterwards.
//
// The pin file inherits the propagation of the mount dir lives on (shared
// on systemd hosts), so its unmount reaches mount namespaces made later.
func NewNetNS(dir string) (*NetNS, error) {
	path, err := NewPinPath(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o444)
	if err != nil {
		return nil, fmt.Errorf("netns pin file: %w", err)
	}
	f.Close()

	if err := onThrowawayThread(func() error {
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("unshare network namespace: %w", err)
		}
		// Loopback first: a pinned namespace without it would be a pod
		// whose localhost does not work, whatever the CNI config says.
		if err := linkUp("lo"); err != nil {
			return err
		}
		self := fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid())
		if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind mount %s on %s: %w", self, path, err)
		}
		return nil
	}); err != nil {
		removeNetNS(path)
		return nil, fmt.Errorf("create network namespace at %s: %w", path, err)
	}
	return &NetNS{path: path}, nil
}

// NewPinPath returns a new, unused pin path dir/ocid-<random> for a
// network namespace made elsewhere (a user-namespaced pod's, which must
// be made with its user namespace), so that every pod's network
// namespace lives where the orphan sweep looks.
func NewPinPath(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("netns dir %s: %w", dir, err)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("netns name: %w", err)
	}
	return filepath.Join(dir, "ocid-"+hex.EncodeToString(b[:])), nil
}

// LoopbackUp brings up the namespace's loopback interface.
func (n *NetNS) LoopbackUp() error {
	return n.Do(func() error { return linkUp("lo") })
}

// LoadNetNS returns the pinned namespace at path, as made by NewNetNS
// (for a daemon that restarted). It fails with ErrNotFound when nothing is
// there and ErrInvalidArgument when path is not a network namespace.
func LoadNetNS(path string) (*NetNS, error) {
	if err := checkNetNS(path); err != nil {
		return nil, err
	}
	return &NetNS{path: path}, nil
}

// Path is where the namespace is pinned: what the OCI spec and CNI get.
func (n *NetNS) Path() string { return n.path }

// Do runs fn on a thread inside the namespace and waits for it, for
// bringing up links or opening sockets (a socket stays in the namespace it
// was created in, so a listener made in fn can be used after Do returns).
// Goroutines that fn starts run outside the namespace.
func (n *NetNS) Do(fn func() error) error {
	return doInNetNS(n.path, fn)
}

// Remove unmounts the namespace and removes its pin file. Removing a
// namespace that is already gone is not an error.
func (n *NetNS) Remove() error {
	return removeNetNS(n.path)
}

// Close is Remove, so a NetNS is an io.Closer.
func (n *NetNS) Close() error { return n.Remove() }

// RemoveNetNS removes the namespace pinned at path, for a caller that has
// only the path (a daemon that restarted): whether it is still mounted, a
// bare pin file (its mount gone with a reboot) or nothing at all.
func RemoveNetNS(path string) error {
	return removeNetNS(path)
}

// removeNetNS unmounts path (lazily: a runtime still entering it keeps its
// reference) and removes the file.
func removeNetNS(path string) error {
	err := unix.Unmount(path, unix.MNT_DETACH|unix.UMOUNT_NOFOLLOW)
	if err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmount network namespace %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove network namespace pin %s: %w", path, err)
	}
	return nil
}

// checkNetNS tells whether path is a network namespace file.
func checkNetNS(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("network namespace %s: %w", path, errdefs.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("network namespace %s: %w", path, err)
	}
	defer f.Close()
	// NS_GET_NSTYPE fails with ENOTTY on anything but an nsfs file, such as
	// the empty pin file left when the mount is gone.
	t, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_NSTYPE)
	if err != nil || t != unix.CLONE_NEWNET {
		return fmt.Errorf("%s is not a network namespace: %w", path, errdefs.ErrInvalidArgument)
	}
	return nil
}

// doInNetNS runs fn on a thread that has joined the namespace at path.
func doInNetNS(path string, fn func() error) error {
	if err := checkNetNS(path); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("network namespace %s: %w", path, err)
	}
	defer f.Close()
	return onThrowawayThread(func() error {
		if err := unix.Setns(int(f.Fd()), unix.CLONE_NEWNET); err != nil {
			return fmt.Errorf("enter network namespace %s: %w", path, err)
		}
		return fn()
	})
}

// onThrowawayThread runs fn on an OS thread of its own, which fn may move
// to another network namespace. The thread stays locked when its goroutine
// ends, so the Go runtime terminates it rather than hand a thread that may
// be in the wrong namespace to an unrelated goroutine. It is also moved
// back first: the process's main thread cannot exit, and Go parks it for
// good instead, where it would hold the pod's namespace alive.
func onThrowawayThread(fn func() error) error {
	type outcome struct {
		err      error
		panicked bool
		value    any
	}
	done := make(chan outcome, 1)
	go func() {
		runtime.LockOSThread()
		var o outcome
		defer func() {
			if v := recover(); v != nil {
				o.panicked, o.value = true, v
			}
			done <- o
		}()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			o.err = fmt.Errorf("own network namespace: %w", err)
			return
		}
		defer func() {
			if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
				o.err = errors.Join(o.err, fmt.Errorf("return thread to its network namespace: %w", err))
			}
			orig.Close()
		}()
		o.err = fn()
	}()
	o := <-done
	if o.panicked {
		panic(o.value)
	}
	return o.err
}

// linkUp sets IFF_UP on the named link of the calling thread's namespace.
// An ioctl on a plain socket does it without a netlink library.
func linkUp(name string) error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket for %s: %w", name, err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return fmt.Errorf("link %s: %w", name, err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("flags of link %s: %w", name, err)
	}
	flags := ifr.Uint16()
	if flags&unix.IFF_UP != 0 {
		return nil
	}
	ifr.SetUint16(flags | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring link %s up: %w", name, err)
	}
	return nil
}
