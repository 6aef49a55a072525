package checkout

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
	"github.com/ocid-project/ocid/store/objects"
)

// Build makes the checkout of layers (bottom first) in dir, which must not
// exist; its parent must, on the objects' filesystem (checkouts are
// hardlinks). On failure dir is removed. The caller renames dir into place.
func Build(ctx context.Context, dir string, layers []*layer.Layer, objs *objects.Store) (err error) {
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("checkout %s: %w", dir, errdefs.ErrAlreadyExists)
		}
		return fmt.Errorf("checkout: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	root, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("checkout %s: %w", dir, err)
	}
	b := &builder{
		ctx:  ctx,
		objs: objs,
		dirs: dirs{root: root, cache: make(map[string]int)},
		meta: map[string]*layer.Entry{".": &implicitDir},
	}
	b.dirs.created = func(p string) { b.meta[p] = &implicitDir }
	defer b.dirs.close()
	for i, l := range layers {
		if err := b.layer(l); err != nil {
			return fmt.Errorf("checkout %s: layer %d (%s): %w", dir, i, l.DiffID(), err)
		}
	}
	if err := b.finish(); err != nil {
		return fmt.Errorf("checkout %s: %w", dir, err)
	}
	return nil
}

// implicitDir is the metadata of directories no entry describes.
var implicitDir = layer.Entry{Type: layer.TypeDir, Mode: 0o755}

type builder struct {
	ctx  context.Context
	objs *objects.Store
	dirs dirs
	// meta is the metadata to give each directory at the end, by the path
	// its entry named.
	meta map[string]*layer.Entry
}

func (b *builder) layer(l *layer.Layer) error {
	// Deletions first: they apply to what the lower layers left.
	for i := range l.Entries {
		e := &l.Entries[i]
		if err := e.Validate(); err != nil {
			return fmt.Errorf("entry %d (%q): %w: %w", i, e.Path, err, errdefs.ErrInvalidArgument)
		}
		b.dirs.trim()
		var err error
		switch e.Type {
		case layer.TypeWhiteout:
			err = b.whiteout(e.Path)
		case layer.TypeOpaque:
			err = b.opaque(e.Path)
		}
		if err != nil {
			return fmt.Errorf("entry %q: %w", e.Path, err)
		}
	}
	for i := range l.Entries {
		if i%256 == 0 {
			if err := b.ctx.Err(); err != nil {
				return err
			}
		}
		e := &l.Entries[i]
		b.dirs.trim()
		if err := b.apply(e); err != nil {
			return fmt.Errorf("entry %q: %w", e.Path, err)
		}
	}
	return nil
}

// whiteout removes p, if it exists.
func (b *builder) whiteout(p string) error {
	if p == "." {
		return b.opaque(p)
	}
	parent, name := split(p)
	pfd, owned, err := b.dirs.open(parent, false)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil // nothing there to remove
	}
	if err != nil {
		return err
	}
	if owned {
		defer unix.Close(pfd)
	}
	return b.remove(pfd, owned, p, name)
}

// opaque removes every child of directory p, if it is one.
func (b *builder) opaque(p string) error {
	fd, plain := b.dirs.root, true
	if p != "." {
		how := unix.OpenHow{Flags: unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC, Resolve: resolvePlain}
		var err error
		fd, err = unix.Openat2(b.dirs.root, p, &how)
		if errors.Is(err, unix.ELOOP) {
			how.Resolve, plain = resolveConfined, false
			fd, err = unix.Openat2(b.dirs.root, p, &how)
		}
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) || errors.Is(err, unix.ELOOP) {
			return nil // not a directory (yet): nothing below it to hide
		}
		if err != nil {
			return fmt.Errorf("opaque directory: %w", err)
		}
		defer unix.Close(fd)
	}
	err := clearDir(fd)
	// Descriptors and metadata below p are stale now. If a symlink led
	// to p its real path is unknown: drop every descriptor.
	if plain {
		b.dirs.forget(p)
		b.forgetMeta(p, false)
	} else {
		b.dirs.forget("")
	}
	return err
}

// remove removes name from the directory pfd (path p) and drops what was
// cached below it.
func (b *builder) remove(pfd int, owned bool, p, name string) error {
	wasDir, err := removeAt(pfd, name)
	if wasDir {
		if owned {
			b.dirs.forget("") // reached through a symlink: real path unknown
		} else {
			b.dirs.forget(p)
		}
		b.forgetMeta(p, true)
	}
	return err
}

// forgetMeta drops the directory metadata of p's subtree (and of p itself
// if self).
func (b *builder) forgetMeta(p string, self bool) {
	for k := range b.meta {
		if k != "." && below(k, p) && (self || k != p) {
			delete(b.meta, k)
		}
	}
}
