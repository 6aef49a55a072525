package checkout

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
	"github.com/ocid-project/ocid/store/objects"
)

// finish gives every directory its metadata, now that nothing will be
// created in them any more (which would change their mtimes). Each is
// opened with O_NOFOLLOW inside the root: a path that became a symlink or
// a file since its entry is skipped.
func (b *builder) finish() error {
	for p, e := range b.meta {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		fd := b.dirs.root
		if p != "." {
			how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: resolveConfined}
			var err error
			fd, err = unix.Openat2(b.dirs.root, p, &how)
			if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
				continue
			}
			if err != nil {
				return fmt.Errorf("directory %q: %w", p, err)
			}
		}
		err := dirMeta(fd, e)
		if p != "." {
			unix.Close(fd)
		}
		if err != nil {
			return fmt.Errorf("directory %q: %w", p, err)
		}
	}
	return nil
}

// dirMeta sets owner, mode, xattrs and (unless the directory was made
// implicitly) mtime, in the order the kernel needs: chown clears setgid.
func dirMeta(fd int, e *layer.Entry) error {
	if err := unix.Fchown(fd, int(e.UID), int(e.GID)); err != nil {
		return fmt.Errorf("chown: %w", err)
	}
	if err := unix.Fchmod(fd, e.Mode&objects.ModeMask); err != nil {
		return fmt.Errorf("chmod: %w", err)
	}
	for _, x := range e.Xattrs {
		if !objects.XattrAllowed(x.Name) {
			return fmt.Errorf("xattr %q: %w", x.Name, errdefs.ErrInvalidArgument)
		}
		if err := unix.Fsetxattr(fd, x.Name, x.Value, 0); err != nil {
			return fmt.Errorf("set xattr %q: %w", x.Name, err)
		}
	}
	if e == &implicitDir {
		return nil
	}
	if err := futimens(fd, e.Mtime); err != nil {
		return fmt.Errorf("set mtime: %w", err)
	}
	return nil
}
