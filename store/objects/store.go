package objects

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// Store is an object store rooted at <root>/objects. Its methods are safe
// for concurrent use.
type Store struct {
	dir   string // <root>/objects
	dirfd int    // open on dir for the lifetime of the Store; every path is relative to it
	tmpfd int    // open on dir/tmp

	// linkat is unix.Linkat; tests replace it to simulate EMLINK.
	linkat func(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error
	// noTmpfile forces named temp files (the fallback for filesystems
	// without O_TMPFILE); set once at Open or by tests.
	noTmpfile bool

	// overflow remembers, per key, the overflow copy that last took a link,
	// so a much-linked object does not retry every full copy on each link.
	overflow sync.Map // Key -> int
}

// Open opens (creating if needed) the object store under root.
func Open(root string) (*Store, error) {
	dir := filepath.Join(filepath.Clean(root), "objects")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("object store %s: %w", dir, err)
	}
	dirfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("object store %s: open: %w", dir, err)
	}
	s := &Store{dir: dir, dirfd: dirfd, tmpfd: -1, linkat: unix.Linkat}
	if err := s.init(); err != nil {
		s.Close()
		return nil, fmt.Errorf("object store %s: %w", dir, err)
	}
	return s, nil
}

// init creates tmp/ and the 256 fan-out directories, so Put never needs a
// mkdir, and probes O_TMPFILE support once.
func (s *Store) init() error {
	// The marker is made after the directories: with it, they all exist
	// and an open (every ocid command) needs no 257 mkdirs.
	var st unix.Stat_t
	if err := unix.Fstatat(s.dirfd, layoutMarker, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		if err := s.makeLayout(); err != nil {
			return err
		}
	}
	fd, err := unix.Openat(s.dirfd, "tmp", unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("open tmp: %w", err)
	}
	s.tmpfd = fd
	s.noTmpfile = !tmpfileSupported(fd)
	return nil
}

// layoutMarker says the fan-out directories and tmp/ exist.
const layoutMarker = ".layout"

func (s *Store) makeLayout() error {
	var name [2]byte
	const digits = "0123456789abcdef"
	for i := range 256 {
		name[0], name[1] = digits[i>>4], digits[i&0xf]
		if err := unix.Mkdirat(s.dirfd, string(name[:]), 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("mkdir %s: %w", name[:], err)
		}
	}
	if err := unix.Mkdirat(s.dirfd, "tmp", 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("mkdir tmp: %w", err)
	}
	fd, err := unix.Openat(s.dirfd, layoutMarker, unix.O_WRONLY|unix.O_CREAT|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return fmt.Errorf("layout marker: %w", err)
	}
	unix.Close(fd)
	return nil
}

// Close releases the store's directory descriptors. Objects already linked
// elsewhere are unaffected.
func (s *Store) Close() error {
	for _, fd := range []*int{&s.dirfd, &s.tmpfd} {
		if *fd >= 0 {
			unix.Close(*fd)
			*fd = -1
		}
	}
	return nil
}

// Dir returns the objects directory, <root>/objects.
func (s *Store) Dir() string { return s.dir }

// Path returns the absolute path of the object key (which may not exist).
func (s *Store) Path(key Key) string {
	var buf [65]byte
	return s.dir + "/" + string(key.relPath(&buf)) // s.dir is clean: no Join needed
}

// Exists returns nil when the object exists and an error wrapping
// errdefs.ErrNotFound when it does not.
func (s *Store) Exists(key Key) error {
	ok, err := s.has(key)
	if err == nil && !ok {
		err = fmt.Errorf("object %s: %w", key, errdefs.ErrNotFound)
	}
	return err
}

// has reports whether the object exists.
func (s *Store) has(key Key) (bool, error) {
	var buf [65]byte
	var st unix.Stat_t
	err := unix.Fstatat(s.dirfd, string(key.relPath(&buf)), &st, unix.AT_SYMLINK_NOFOLLOW)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.ENOENT):
		return false, nil
	default:
		return false, fmt.Errorf("object %s: stat: %w", key, err)
	}
}

// OpenFile opens the object read-only. It fails with ErrNotFound when the
// object does not exist.
func (s *Store) OpenFile(key Key) (*os.File, error) {
	var buf [65]byte
	fd, err := unix.Openat(s.dirfd, string(key.relPath(&buf)), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("object %s: %w", key, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("object %s: open: %w", key, err)
	}
	return os.NewFile(uintptr(fd), s.Path(key)), nil
}

// Sync makes every object put so far durable (syncfs(2) on the objects'
// filesystem). Call it once per layer, before recording the layer.
func (s *Store) Sync() error {
	if err := unix.Syncfs(s.dirfd); err != nil {
		return fmt.Errorf("object store %s: syncfs: %w", s.dir, err)
	}
	return nil
}
