// Package pinns makes the IPC and UTS namespaces a pod's containers
// share, and pins them with bind mounts so they outlive any process: a
// pod needs no pause process for them (nor for its network namespace,
// which package network pins the same way).
package pinns

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"golang.org/x/sys/unix"
)

// Kind is a namespace type this package pins.
type Kind string

const (
	IPC Kind = "ipc"
	UTS Kind = "uts"
)

var flags = map[Kind]int{IPC: unix.CLONE_NEWIPC, UTS: unix.CLONE_NEWUTS}

// Pin creates a new namespace of kind and bind-mounts it at path. For
// UTS, hostname is set in it. The work happens on a locked OS thread
// that is never returned to the Go scheduler: a thread whose namespace
// changed must die with its goroutine.
func Pin(kind Kind, path, hostname string) error {
	flag, ok := flags[kind]
	if !ok {
		return fmt.Errorf("pinns: unsupported namespace %q", kind)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDONLY, 0o600)
	if err != nil {
		return fmt.Errorf("pinns: %w", err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread exits with us
		errc <- pinHere(kind, flag, path, hostname)
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

func pinHere(kind Kind, flag int, path, hostname string) error {
	if err := unix.Unshare(flag); err != nil {
		return fmt.Errorf("pinns: new %s namespace: %w", kind, err)
	}
	if kind == UTS && hostname != "" {
		if err := unix.Sethostname([]byte(hostname)); err != nil {
			return fmt.Errorf("pinns: hostname %q: %w", hostname, err)
		}
	}
	src := fmt.Sprintf("/proc/self/task/%d/ns/%s", unix.Gettid(), kind)
	if err := unix.Mount(src, path, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("pinns: pinning the %s namespace at %s: %w", kind, path, err)
	}
	return nil
}

// Unpin unmounts and removes a pinned namespace; a missing one is fine.
func Unpin(path string) error {
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && err != unix.EINVAL && err != unix.ENOENT {
		return fmt.Errorf("pinns: unpinning %s: %w", path, err)
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return err
	}
	return nil
}
