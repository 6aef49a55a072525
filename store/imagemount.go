package store

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/mountinfo"
)

// MountImage mounts an image's checkout read-only at dir (default
// RUNROOT/mounts/<id>) for looking at its files without running it, and
// returns the mount point. Mounting it again at the same place is fine.
func (s *Store) MountImage(ref, dir string) (string, error) {
	return s.mountImage(ref, dir, "")
}

// MountImageIDMapped mounts an image's checkout read-only at dir,
// ID-mapped through the user namespace file userns (an image volume of a
// pod in a user namespace): files the image gives to root belong to the
// namespace's root, as in the pod's own root filesystem.
func (s *Store) MountImageIDMapped(ref, dir, userns string) (string, error) {
	if userns == "" || dir == "" {
		return "", fmt.Errorf("an ID-mapped image mount needs a user namespace and a mount point: %w", errdefs.ErrInvalidArgument)
	}
	return s.mountImage(ref, dir, userns)
}

func (s *Store) mountImage(ref, dir, userns string) (string, error) {
	img, err := s.Lookup(ref)
	if err != nil {
		return "", err
	}
	src := s.checkoutDir(img.ID)
	if img.ReadOnlyStore != "" {
		for _, add := range s.additional {
			if add.root == img.ReadOnlyStore {
				src = add.checkoutDir(img.ID)
			}
		}
	}
	if dir == "" {
		dir = filepath.Join(s.runroot, "mounts", img.ID.Encoded())
	}
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if ok, err := mountinfo.Mounted(dir); err != nil || ok {
		return dir, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	mount := func() error { return bindReadOnly(src, dir, true) }
	if userns != "" {
		mount = func() error { return bindIDMapped(src, dir, userns, unix.MOUNT_ATTR_NODEV|unix.MOUNT_ATTR_NOSUID) }
	}
	if err := mount(); err != nil {
		return "", fmt.Errorf("mounting image %s: %w", img.ID, err)
	}
	return dir, nil
}

// UnmountImage unmounts an image mounted with MountImage: target is the
// mount point, or the image (its default mount point is used).
func (s *Store) UnmountImage(target string) error {
	if st, err := os.Stat(target); err == nil && st.IsDir() {
		abs, err := filepath.Abs(target)
		if err != nil {
			return err
		}
		return unmountAll(abs)
	}
	img, err := s.Lookup(target)
	if err != nil {
		return err
	}
	dir := filepath.Join(s.runroot, "mounts", img.ID.Encoded())
	if err := unmountAll(dir); err != nil {
		return err
	}
	os.Remove(dir)
	return nil
}
