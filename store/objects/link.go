package objects

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// maxCopies bounds the overflow copies of one object (each takes up to the
// filesystem's link limit, 65000 on ext4).
const maxCopies = 1 << 16

// LinkInto hardlinks the object key to name in the directory open as dirfd
// (name is one path component, or a path relative to dirfd that the caller
// has made safe). When the object has reached the filesystem's hardlink
// limit (EMLINK) it links an overflow copy "<hex>.<n>" instead, making the
// copy first if needed; copies have the same content and metadata, so they
// are the same object in every respect but the inode.
//
// An existing name is not replaced: the error then wraps unix.EEXIST (and
// os.ErrExist). A missing object gives errdefs.ErrNotFound.
func (s *Store) LinkInto(key Key, dirfd int, name string) error {
	var buf [65]byte
	err := s.linkat(s.dirfd, string(key.relPath(&buf)), dirfd, name, 0)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EMLINK) {
		return s.linkOverflow(key, dirfd, name)
	}
	return s.linkError(key, name, err)
}

func (s *Store) linkError(key Key, name string, err error) error {
	if errors.Is(err, unix.ENOENT) {
		if ok, _ := s.has(key); !ok {
			return fmt.Errorf("link object %s to %q: %w", key, name, errdefs.ErrNotFound)
		}
	}
	return fmt.Errorf("link object %s to %q: %w", key, name, err)
}

func overflowRel(key Key, n int) string {
	var buf [65]byte
	return string(key.relPath(&buf)) + "." + strconv.Itoa(n)
}

func (s *Store) linkOverflow(key Key, dirfd int, name string) error {
	n := 1
	if v, ok := s.overflow.Load(key); ok {
		n = v.(int)
	}
	made := false
	for n <= maxCopies {
		rel := overflowRel(key, n)
		err := s.linkat(s.dirfd, rel, dirfd, name, 0)
		switch {
		case err == nil:
			s.overflow.Store(key, n)
			return nil
		case errors.Is(err, unix.EMLINK):
			n++
			made = false
		case errors.Is(err, unix.ENOENT) && !made:
			if err := s.makeCopy(key, rel); err != nil {
				return fmt.Errorf("link object %s to %q: %w", key, name, err)
			}
			made = true // retry the same n once
		default:
			return s.linkError(key, name, err)
		}
	}
	return fmt.Errorf("link object %s to %q: %d overflow copies are all full: %w", key, name, maxCopies, unix.EMLINK)
}

// makeCopy makes the overflow copy rel of object key, checking on the way
// that the original still hashes to key (a corrupt object must not spread).
// A copy made meanwhile by another writer is fine.
func (s *Store) makeCopy(key Key, rel string) error {
	src, err := s.OpenFile(key)
	if err != nil {
		return err
	}
	defer src.Close()
	meta, _, err := readMeta(int(src.Fd()))
	if err != nil {
		return fmt.Errorf("overflow copy: %w", err)
	}
	t, err := s.newTemp()
	if err != nil {
		return fmt.Errorf("overflow copy: %w", err)
	}
	defer t.discard(s)
	h := sha256.New()
	if _, err := io.Copy(t.f, io.TeeReader(src, h)); err != nil {
		return fmt.Errorf("overflow copy: %w", err)
	}
	if got := meta.Key(sum(h)); got != key {
		return fmt.Errorf("overflow copy: object now hashes to %s: %w", got, ErrCorrupt)
	}
	if err := applyMeta(int(t.f.Fd()), &meta); err != nil {
		return fmt.Errorf("overflow copy: %w", err)
	}
	if _, err := t.commit(s, rel); err != nil {
		return fmt.Errorf("overflow copy: %w", err)
	}
	return nil
}
