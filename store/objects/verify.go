package objects

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// ErrCorrupt is wrapped by errors about an object whose content or
// metadata no longer hash to its key.
var ErrCorrupt = errors.New("object corrupt")

// FileKey computes the key of the open regular file f from its content and
// metadata (the allowed xattrs only), reading it from the start.
func FileKey(f *os.File) (Key, error) {
	meta, st, err := readMeta(int(f.Fd()))
	if err != nil {
		return Key{}, err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return Key{}, fmt.Errorf("%s: not a regular file: %w", f.Name(), errdefs.ErrInvalidArgument)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, st.Size)); err != nil {
		return Key{}, fmt.Errorf("%s: read: %w", f.Name(), err)
	}
	// A file that grew while being read cannot match anyway; one that
	// shrank shows up as a short copy, hashed as it is.
	return meta.Key(sum(h)), nil
}

// Verify rehashes the object key and its overflow copies, content and
// metadata, and reports every copy whose key differs (wrapping ErrCorrupt).
// A missing object gives errdefs.ErrNotFound.
func (s *Store) Verify(key Key) error {
	var errs []error
	for n := 0; n <= maxCopies; n++ {
		rel := overflowRel(key, n)
		if n == 0 {
			var buf [65]byte
			rel = string(key.relPath(&buf))
		}
		fd, err := unix.Openat(s.dirfd, rel, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NOFOLLOW|unix.O_NONBLOCK, 0)
		if errors.Is(err, unix.ENOENT) {
			if n == 0 {
				return fmt.Errorf("object %s: %w", key, errdefs.ErrNotFound)
			}
			break
		}
		if errors.Is(err, unix.ELOOP) {
			errs = append(errs, fmt.Errorf("object %s: is a symlink: %w", rel, ErrCorrupt))
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("object %s: open: %w", rel, err))
			continue
		}
		f := os.NewFile(uintptr(fd), rel)
		got, err := FileKey(f)
		f.Close()
		switch {
		case errors.Is(err, errdefs.ErrInvalidArgument):
			errs = append(errs, fmt.Errorf("object %s: %w (%w)", rel, ErrCorrupt, err))
		case err != nil:
			errs = append(errs, fmt.Errorf("object %s: %w", rel, err))
		case got != key:
			errs = append(errs, fmt.Errorf("object %s: content or metadata hash to %s: %w", rel, got, ErrCorrupt))
		}
	}
	return errors.Join(errs...)
}
