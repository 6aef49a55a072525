package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/ident"
	"github.com/ocid-project/ocid/internal/mountinfo"
)

// ContainerOptions choose a container's root filesystem.
type ContainerOptions struct {
	Name string
	// ReadOnly: the container may not write its root.
	ReadOnly bool
	// MayRemount: the container is privileged or holds CAP_SYS_ADMIN, so
	// it could remount a read-only bind writable; it always gets overlay,
	// so no container can ever write into the shared objects.
	MayRemount bool
	// Volatile: the container's writes need not survive a crash (it is
	// removed when it exits). Its overlay is mounted "volatile": no sync
	// of the upper directory, so unmounting it does not wait for
	// everything else the file system has to write back (up to seconds
	// on a busy disk, measured in docs/performance.md).
	Volatile bool
	// IDMap mounts the root ID-mapped into a user namespace (nil: not).
	IDMap *IDMap
}

// CreateContainer records a root filesystem for container id from an
// image: a read-only bind mount of the checkout when the root is
// read-only (no overlay, no copy-on-write), else overlayfs over it. It is
// idempotent: the same id and image return the existing record.
func (s *Store) CreateContainer(id, imageRef string, o ContainerOptions) (*Container, error) {
	if !ident.Valid(id, 128) {
		return nil, fmt.Errorf("container ID %q: %w", id, errdefs.ErrInvalidArgument)
	}
	img, err := s.Lookup(imageRef)
	if err != nil {
		return nil, err
	}
	c := &Container{
		ID: id, Name: o.Name, ImageID: img.ID, ImageStore: img.ReadOnlyStore,
		ReadOnly: o.ReadOnly, Overlay: !o.ReadOnly || o.MayRemount, Created: time.Now().UTC(),
	}
	c.Volatile = c.Overlay && o.Volatile
	if o.IDMap != nil {
		if err := o.IDMap.validate(); err != nil {
			return nil, fmt.Errorf("container %s: %v: %w", id, err, errdefs.ErrInvalidArgument)
		}
		c.IDMap = o.IDMap
	}
	if c.Overlay {
		for _, d := range []string{"upper", "work"} {
			if err := os.MkdirAll(s.path("containers", id, d), 0o700); err != nil {
				return nil, err
			}
		}
		// overlayfs takes the attributes of its root from the upper
		// directory: it must look like the image's root, or a non-root
		// process cannot even traverse "/".
		upper := s.path("containers", id, "upper")
		if err := copyDirAttrs(s.CheckoutPath(img), upper); err != nil {
			return nil, err
		}
		if c.IDMap != nil {
			if err := c.IDMap.chownInto(upper); err != nil {
				return nil, err
			}
		}
	}
	err = s.db.update(func(tx *bolt.Tx) error {
		var old Container
		if ok, err := getJSON(tx.Bucket(bucketContainers), []byte(id), &old); err != nil {
			return err
		} else if ok {
			if old.ImageID != c.ImageID {
				return fmt.Errorf("container %s exists with image %s: %w", id, old.ImageID, errdefs.ErrAlreadyExists)
			}
			*c = old
			return nil
		}
		if _, err := getImage(tx, img.ID); err != nil && img.ReadOnlyStore == "" {
			return err // removed meanwhile
		}
		return putJSON(tx.Bucket(bucketContainers), []byte(id), c)
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Container returns a container's record.
func (s *Store) Container(id string) (*Container, error) {
	var c Container
	err := s.db.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketContainers), []byte(id), &c)
		if err == nil && !ok {
			err = fmt.Errorf("no container %s in the store: %w", id, errdefs.ErrNotFound)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// Containers lists every container's record.
func (s *Store) Containers() ([]Container, error) {
	var out []Container
	err := s.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContainers).ForEach(func(k, _ []byte) error {
			var c Container
			if _, err := getJSON(tx.Bucket(bucketContainers), k, &c); err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// UpperDir is the directory a container's writes land in (its overlay's
// upper directory; empty for a read-only root).
func (s *Store) UpperDir(id string) string {
	return s.path("containers", id, "upper")
}

// RootfsPath is where a container's root is mounted.
func (s *Store) RootfsPath(id string) string {
	return filepath.Join(s.runroot, "containers", id, "rootfs")
}

// checkoutFor finds the checkout of an image in this store or the
// additional store that holds it.
func (s *Store) checkoutFor(c *Container) (string, error) {
	if c.ImageStore == "" {
		return s.checkoutDir(c.ImageID), nil
	}
	for _, add := range s.additional {
		if add.root == c.ImageStore {
			return add.checkoutDir(c.ImageID), nil
		}
	}
	return "", fmt.Errorf("container %s uses an image of the store %s, which is not configured: %w", c.ID, c.ImageStore, errdefs.ErrNotFound)
}

// Mount mounts a container's root and returns its path; mounting a
// mounted root returns the same path.
func (s *Store) Mount(id string) (string, error) {
	c, err := s.Container(id)
	if err != nil {
		return "", err
	}
	target := s.RootfsPath(id)
	if ok, err := mountinfo.Mounted(target); err != nil || ok {
		return target, err
	}
	lower, err := s.checkoutFor(c)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(target, 0o700); err != nil {
		return "", err
	}
	if c.IDMap != nil {
		// Only the container's root (and the host's) may pass through
		// its directory to the root filesystem.
		if err := c.IDMap.chownToRoot(filepath.Dir(target)); err != nil {
			return "", err
		}
		if !c.Overlay {
			return target, bindIDMapped(lower, target, c.IDMap.Userns, 0)
		}
		// The overlay's lower layer is an ID-mapped view of the checkout.
		mapped := filepath.Join(s.runroot, "containers", id, "lower")
		if ok, err := mountinfo.Mounted(mapped); err != nil {
			return "", err
		} else if !ok {
			if err := os.MkdirAll(mapped, 0o700); err != nil {
				return "", err
			}
			if err := bindIDMapped(lower, mapped, c.IDMap.Userns, 0); err != nil {
				return "", err
			}
		}
		lower = mapped
	} else if !c.Overlay {
		return target, bindReadOnly(lower, target, false)
	}
	work := s.path("containers", id, "work")
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", lower, s.path("containers", id, "upper"), work)
	if c.Volatile {
		opts += ",volatile"
		// A volatile overlay that was mounted when the host went down
		// leaves WORKDIR/work/incompat/volatile, and overlayfs refuses to mount
		// it again until it is gone; the writes it guards are a removed-
		// on-exit container's, so a mount after a crash takes them as
		// they are.
		if err := os.RemoveAll(filepath.Join(work, "work", "incompat")); err != nil {
			return "", err
		}
	}
	// Writable on the host even for a read-only container: the runtime
	// creates mount points in it, then makes it read-only inside the
	// container. Writes land in the private upper dir either way.
	if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
		return "", fmt.Errorf("mounting overlay for container %s: %w", id, err)
	}
	return target, nil
}

// bindReadOnly bind-mounts src at dst read-only (a bind mount ignores
// MS_RDONLY on creation; the remount applies it). nodev is for mounts
// people browse on the host: images may carry device nodes.
func bindReadOnly(src, dst string, nodev bool) error {
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind-mounting %s: %w", src, err)
	}
	flags := uintptr(unix.MS_REMOUNT | unix.MS_BIND | unix.MS_RDONLY)
	if nodev {
		flags |= unix.MS_NODEV | unix.MS_NOSUID
	}
	if err := unix.Mount("", dst, "", flags, ""); err != nil {
		unix.Unmount(dst, unix.MNT_DETACH)
		return fmt.Errorf("making %s read-only: %w", dst, err)
	}
	return nil
}

// Unmount unmounts a container's root (and the ID-mapped view of its
// image under it, if any); unmounting an unmounted root is not an error.
func (s *Store) Unmount(id string) error {
	return unmountAll(filepath.Join(s.runroot, "containers", id))
}

// unmountAll unmounts path and anything mounted below it, deepest first.
func unmountAll(path string) error {
	points, err := mountinfo.MountPoints(func(p string) bool {
		return p == path || strings.HasPrefix(p, path+"/")
	})
	if err != nil {
		return err
	}
	for i := len(points) - 1; i >= 0; i-- {
		if err := unix.Unmount(points[i], unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			return fmt.Errorf("unmounting %s: %w", points[i], err)
		}
	}
	return nil
}

// RemoveContainer unmounts and deletes a container's root filesystem and
// record. Removing a container that is not there is not an error (the
// kubelet retries removals).
func (s *Store) RemoveContainer(id string) error {
	if err := s.Unmount(id); err != nil {
		return err
	}
	if err := os.RemoveAll(filepath.Join(s.runroot, "containers", id)); err != nil {
		return err
	}
	if err := os.RemoveAll(s.path("containers", id)); err != nil {
		return err
	}
	return s.db.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContainers).Delete([]byte(id))
	})
}

// ContainerUsage is the bytes and inodes a container wrote (its overlay
// upper directory); 0 for a read-only root.
func (s *Store) ContainerUsage(id string) (bytes, inodes uint64) {
	filepath.Walk(s.path("containers", id, "upper"), func(_ string, info os.FileInfo, err error) error {
		if err == nil {
			bytes += uint64(blocks(info))
			inodes++
		}
		return nil
	})
	return bytes, inodes
}

// copyDirAttrs gives dst the owner and mode of src.
func copyDirAttrs(src, dst string) error {
	var st unix.Stat_t
	if err := unix.Stat(src, &st); err != nil {
		return err
	}
	if err := os.Lchown(dst, int(st.Uid), int(st.Gid)); err != nil {
		return err
	}
	return unix.Chmod(dst, st.Mode&0o7777)
}
