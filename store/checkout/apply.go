package checkout

import (
	"errors"
	"fmt"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
	"github.com/ocid-project/ocid/store/objects"
)

// apply creates entry e (deletions were applied before).
func (b *builder) apply(e *layer.Entry) error {
	switch e.Type {
	case layer.TypeWhiteout, layer.TypeOpaque, layer.TypeIgnored:
		return nil
	}
	if e.Path == "." {
		b.meta["."] = e // only a directory can be the root (Validate)
		return nil
	}
	parent, name := split(e.Path)
	pfd, owned, err := b.dirs.open(parent, true)
	if err != nil {
		return err
	}
	if owned {
		defer unix.Close(pfd)
	}
	switch e.Type {
	case layer.TypeDir:
		return b.mkdir(pfd, owned, e, name)
	case layer.TypeReg:
		return b.place(pfd, owned, e.Path, name, func() error { return b.objs.LinkInto(e.Object, pfd, name) })
	case layer.TypeHardlink:
		if !e.Object.IsZero() {
			return b.place(pfd, owned, e.Path, name, func() error { return b.objs.LinkInto(e.Object, pfd, name) })
		}
		return b.linkLower(pfd, owned, e, name)
	case layer.TypeSymlink:
		if err := b.place(pfd, owned, e.Path, name, func() error { return unix.Symlinkat(e.Linkname, pfd, name) }); err != nil {
			return err
		}
		return nodeMeta(pfd, name, e, false)
	case layer.TypeChar, layer.TypeBlock, layer.TypeFifo:
		mode := e.Mode & 0o777
		switch e.Type {
		case layer.TypeChar:
			mode |= unix.S_IFCHR
		case layer.TypeBlock:
			mode |= unix.S_IFBLK
		default:
			mode |= unix.S_IFIFO
		}
		dev := int(unix.Mkdev(e.Devmajor, e.Devminor))
		if err := b.place(pfd, owned, e.Path, name, func() error { return unix.Mknodat(pfd, name, mode, dev) }); err != nil {
			return err
		}
		return nodeMeta(pfd, name, e, true)
	}
	return fmt.Errorf("entry type %s: %w", e.Type, errdefs.ErrInvalidArgument)
}

// place runs create; if something is in the way it is removed first.
func (b *builder) place(pfd int, owned bool, p, name string, create func() error) error {
	err := create()
	if errors.Is(err, unix.EEXIST) {
		if err := b.remove(pfd, owned, p, name); err != nil {
			return err
		}
		err = create()
	}
	return err
}

// mkdir makes directory name unless it is one already, and records e as
// its metadata for the end.
func (b *builder) mkdir(pfd int, owned bool, e *layer.Entry, name string) error {
	err := unix.Mkdirat(pfd, name, 0o755)
	if errors.Is(err, unix.EEXIST) {
		var st unix.Stat_t
		if err = unix.Fstatat(pfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Mode&unix.S_IFMT != unix.S_IFDIR {
			if err = b.remove(pfd, owned, e.Path, name); err == nil {
				err = unix.Mkdirat(pfd, name, 0o755)
			}
		}
	}
	if err != nil {
		return fmt.Errorf("mkdir: %w", err)
	}
	b.meta[e.Path] = e
	return nil
}

// linkLower links name to the regular file at e.Linkname, which a lower
// layer (or an earlier hardlink of this one) put in the checkout. The
// target is looked up inside the checkout, like every path.
func (b *builder) linkLower(pfd int, owned bool, e *layer.Entry, name string) error {
	tparent, tname := split(e.Linkname)
	tfd, towned, err := b.dirs.open(tparent, false)
	if err != nil {
		return fmt.Errorf("hardlink target %q: %w", e.Linkname, notFound(err))
	}
	if !towned {
		// Our own descriptor: replacing e.Path may remove (and forget) the
		// target's directory, closing the cached one while in use.
		if tfd, err = unix.Dup(tfd); err != nil {
			return fmt.Errorf("hardlink target %q: %w", e.Linkname, err)
		}
	}
	defer unix.Close(tfd)
	var st unix.Stat_t
	if err := unix.Fstatat(tfd, tname, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("hardlink target %q: %w", e.Linkname, notFound(err))
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return fmt.Errorf("hardlink target %q is not a regular file: %w", e.Linkname, errdefs.ErrInvalidArgument)
	}
	err = b.place(pfd, owned, e.Path, name, func() error { return unix.Linkat(tfd, tname, pfd, name, 0) })
	if !errors.Is(err, unix.EMLINK) {
		return err
	}
	// The target's inode is full: link the same object through the
	// store, which makes an overflow copy.
	fd, err := unix.Openat(tfd, tname, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("hardlink target %q: %w", e.Linkname, err)
	}
	f := os.NewFile(uintptr(fd), e.Linkname)
	key, err := objects.FileKey(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("hardlink target %q: %w", e.Linkname, err)
	}
	return b.place(pfd, owned, e.Path, name, func() error { return b.objs.LinkInto(key, pfd, name) })
}

func notFound(err error) error {
	if errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("not in the image: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	return err
}

// nodeMeta sets the owner, mode (if chmod) and mtime of a symlink, device
// or FIFO just made, without following it.
func nodeMeta(pfd int, name string, e *layer.Entry, chmod bool) error {
	if err := unix.Fchownat(pfd, name, int(e.UID), int(e.GID), unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if chmod {
		// mknod's mode went through the umask and has no setuid bits.
		if err := unix.Fchmodat(pfd, name, e.Mode, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			return fmt.Errorf("chmod: %w", err)
		}
	}
	ts := timespecs(e.Mtime)
	if err := unix.UtimesNanoAt(pfd, name, ts[:], unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fmt.Errorf("set mtime: %w", err)
	}
	return nil
}

func timespecs(t time.Time) [2]unix.Timespec {
	ts := unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
	return [2]unix.Timespec{ts, ts}
}

// futimens sets atime and mtime of fd (utimensat with a NULL path).
func futimens(fd int, t time.Time) error {
	ts := timespecs(t)
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&ts[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}
