package objects

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// tempFile is an object being written. Preferably it is an O_TMPFILE inode
// with no name at all, so a crash leaves nothing behind and the kernel
// frees it; on filesystems without O_TMPFILE it is a named file in tmp/
// held under flock, which CleanTemp removes once its writer is gone.
type tempFile struct {
	f    *os.File
	name string // name in tmp/, "" for an O_TMPFILE inode
}

// tmpfileSupported probes O_TMPFILE in the tmp directory.
func tmpfileSupported(tmpfd int) bool {
	fd, err := unix.Openat(tmpfd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

func (s *Store) newTemp() (*tempFile, error) {
	if !s.noTmpfile {
		fd, err := unix.Openat(s.tmpfd, ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return nil, fmt.Errorf("create temp object: %w", err)
		}
		return &tempFile{f: os.NewFile(uintptr(fd), "objects/tmp/(O_TMPFILE)")}, nil
	}
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, err
	}
	name := "put-" + hex.EncodeToString(rnd[:])
	fd, err := unix.Openat(s.tmpfd, name, unix.O_CREAT|unix.O_EXCL|unix.O_RDWR|unix.O_CLOEXEC|unix.O_NOFOLLOW, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create temp object: %w", err)
	}
	// The lock tells CleanTemp that a live writer owns the file; the kernel
	// drops it when this process dies.
	if err := unix.Flock(fd, unix.LOCK_EX); err != nil {
		unix.Close(fd)
		unix.Unlinkat(s.tmpfd, name, 0)
		return nil, fmt.Errorf("lock temp object: %w", err)
	}
	return &tempFile{f: os.NewFile(uintptr(fd), "objects/tmp/"+name), name: name}, nil
}

// commit gives the complete temp file the name rel (relative to the
// objects directory). Linking never replaces an existing name, so when
// another writer got there first commit reports exists and the temp file is
// discarded: both writers end with the same object. The temp file is closed
// in every case.
func (t *tempFile) commit(s *Store, rel string) (exists bool, err error) {
	defer t.discard(s)
	fd := int(t.f.Fd())
	if t.name == "" {
		err = unix.Linkat(fd, "", s.dirfd, rel, unix.AT_EMPTY_PATH)
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EPERM) {
			// AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc link does not.
			err = unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), s.dirfd, rel, unix.AT_SYMLINK_FOLLOW)
		}
	} else {
		err = unix.Linkat(s.tmpfd, t.name, s.dirfd, rel, 0)
	}
	if errors.Is(err, unix.EEXIST) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("link object %s: %w", rel, err)
	}
	return false, nil
}

// discard closes the temp file and removes its name, if it has one. It is
// safe to call more than once.
func (t *tempFile) discard(s *Store) {
	if t.f == nil {
		return
	}
	if t.name != "" {
		unix.Unlinkat(s.tmpfd, t.name, 0)
	}
	t.f.Close()
	t.f = nil
}

// CleanTemp removes temp files left in objects/tmp by writers that died
// (only named temp files can be left; O_TMPFILE inodes vanish by
// themselves). Files still locked by a live writer are kept. Run it under
// the store's exclusive lock, e.g. at start-up.
func (s *Store) CleanTemp() error {
	d, err := os.Open(s.dir + "/tmp")
	if err != nil {
		return fmt.Errorf("clean temp: %w", err)
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return fmt.Errorf("clean temp: %w", err)
	}
	var errs []error
	for _, name := range names {
		if err := s.cleanOne(name); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Store) cleanOne(name string) error {
	fd, err := unix.Openat(s.tmpfd, name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
	if err == nil {
		err = unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil // a live writer holds it
		}
	}
	if err := unix.Unlinkat(s.tmpfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		if errors.Is(err, unix.EISDIR) {
			return os.RemoveAll(s.dir + "/tmp/" + name)
		}
		return fmt.Errorf("clean temp %s: %w", name, err)
	}
	return nil
}
