package checkout

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// maxCachedDirs bounds the open directory descriptors kept; tar entries
// come grouped by directory, so a small cache hits almost always.
const maxCachedDirs = 1024

const (
	resolveConfined = unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS | unix.RESOLVE_NO_XDEV
	// resolvePlain also refuses symlinks: a directory reached this way has
	// a path that names it for real, so its descriptor can be cached and
	// dropped exactly when that path is removed.
	resolvePlain = resolveConfined | unix.RESOLVE_NO_SYMLINKS
)

// dirs opens directories of the checkout by path, confined to its root.
type dirs struct {
	root  int            // O_RDONLY descriptor of the checkout root
	cache map[string]int // symlink-free path -> O_PATH descriptor
	// created is called for each directory made implicitly (a missing
	// parent of an entry).
	created func(path string)
}

// open returns a descriptor of directory p (relative, clean; "." is the
// root) and whether the caller must close it (it is not cached). With
// create, missing directories on the way are made, like mkdir -p, inside
// the root. A cached descriptor stays valid until trim, or until forget
// drops p or a directory above it.
func (d *dirs) open(p string, create bool) (fd int, owned bool, err error) {
	if p == "." {
		return d.root, false, nil
	}
	if fd, ok := d.cache[p]; ok {
		return fd, false, nil
	}
	how := unix.OpenHow{Flags: unix.O_PATH | unix.O_DIRECTORY | unix.O_CLOEXEC, Resolve: resolvePlain}
	fd, err = unix.Openat2(d.root, p, &how)
	if err == nil {
		d.remember(p, fd)
		return fd, false, nil
	}
	if errors.Is(err, unix.ELOOP) {
		// A symlink on the way: follow it, but inside the root.
		how.Resolve = resolveConfined
		fd, err = unix.Openat2(d.root, p, &how)
		if err == nil {
			return fd, true, nil
		}
	}
	if !errors.Is(err, unix.ENOENT) || !create {
		return -1, false, fmt.Errorf("directory %q: %w", p, err)
	}
	parent, name := split(p)
	pfd, powned, err := d.open(parent, true)
	if err != nil {
		return -1, false, err
	}
	err = unix.Mkdirat(pfd, name, 0o755)
	if powned {
		unix.Close(pfd)
	}
	switch {
	case err == nil:
		d.created(p)
	case errors.Is(err, unix.EEXIST):
		// Made meanwhile, or a symlink to nowhere: the retry tells.
	default:
		return -1, false, fmt.Errorf("directory %q: %w", p, err)
	}
	return d.open(p, false)
}

func (d *dirs) remember(p string, fd int) {
	d.cache[p] = fd
}

// trim empties a full cache. It is called only between entries, when no
// cached descriptor is in use: closing one a caller still holds could let
// the number be reused by another open, and an *at call land elsewhere.
func (d *dirs) trim() {
	if len(d.cache) >= maxCachedDirs {
		d.flush()
	}
}

// forget drops the descriptors of p and everything below it (p was
// removed). "" drops them all (something was removed through a symlink, so
// its real path is unknown).
func (d *dirs) forget(p string) {
	if p == "" || p == "." {
		d.flush()
		return
	}
	for k, fd := range d.cache {
		if below(k, p) {
			unix.Close(fd)
			delete(d.cache, k)
		}
	}
}

func (d *dirs) flush() {
	for k, fd := range d.cache {
		unix.Close(fd)
		delete(d.cache, k)
	}
}

func (d *dirs) close() {
	d.flush()
	if d.root >= 0 {
		unix.Close(d.root)
		d.root = -1
	}
}

// below reports whether k is p or inside p.
func below(k, p string) bool {
	return k == p || p == "." || strings.HasPrefix(k, p) && len(k) > len(p) && k[len(p)] == '/'
}

// split returns the parent directory ("." at the top) and last component
// of a clean relative path.
func split(p string) (dir, name string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return ".", p
	}
	return p[:i], p[i+1:]
}
