package checkout

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// removeAt removes name (and, for a directory, everything in it) from the
// directory open as pfd, never following a symlink. It reports whether a
// directory was removed, so cached descriptors below it can be dropped. A
// missing name is not an error.
func removeAt(pfd int, name string) (wasDir bool, err error) {
	err = unix.Unlinkat(pfd, name, 0)
	switch {
	case err == nil, errors.Is(err, unix.ENOENT):
		return false, nil
	case errors.Is(err, unix.EISDIR):
		return true, removeDirAt(pfd, name)
	default:
		return false, fmt.Errorf("remove %q: %w", name, err)
	}
}

// removeDirAt empties and removes the directory name of pfd, depth first.
func removeDirAt(pfd int, name string) error {
	fd, err := unix.Openat(pfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("remove %q: %w", name, err)
	}
	err = clearDir(fd)
	unix.Close(fd)
	if err != nil {
		return fmt.Errorf("remove %q: %w", name, err)
	}
	if err := unix.Unlinkat(pfd, name, unix.AT_REMOVEDIR); err != nil {
		return fmt.Errorf("remove %q: %w", name, err)
	}
	return nil
}

// clearDir removes every entry of the directory open (O_RDONLY) as fd.
func clearDir(fd int) error {
	// A fresh open of ".", not a dup: a dup would share (and move) fd's
	// directory offset. All names are read before any is removed, so
	// removal cannot disturb the listing.
	dfd, err := unix.Openat(fd, ".", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return err
	}
	f := os.NewFile(uintptr(dfd), "dir")
	es, err := f.ReadDir(-1)
	f.Close()
	if err != nil {
		return err
	}
	for _, e := range es {
		if e.IsDir() {
			if err := removeDirAt(fd, e.Name()); err != nil {
				return err
			}
		} else if err := unix.Unlinkat(fd, e.Name(), 0); err != nil && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("remove %q: %w", e.Name(), err)
		}
	}
	return nil
}
