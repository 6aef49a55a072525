package objects

import (
	"errors"
	"os"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

func TestVerifyFindsDamage(t *testing.T) {
	m := FileMeta{Mode: 0o755, UID: 1, GID: 2, Mtime: time.Unix(1e9, 1), Xattrs: []Xattr{{Name: "user.a", Value: []byte("b")}}}
	damage := map[string]func(path string) error{
		"byte changed": func(p string) error {
			f, err := os.OpenFile(p, os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.WriteAt([]byte("X"), 3)
			return err
		},
		"truncated": func(p string) error { return os.Truncate(p, 2) },
		"mode":      func(p string) error { return os.Chmod(p, 0o777) },
		"owner":     func(p string) error { return os.Lchown(p, 1, 3) },
		"mtime":     func(p string) error { return os.Chtimes(p, time.Unix(1e9, 2), time.Unix(1e9, 2)) },
		"xattr":     func(p string) error { return unix.Lsetxattr(p, "user.a", []byte("c"), 0) },
		"new xattr": func(p string) error { return unix.Lsetxattr(p, "user.new", []byte("c"), 0) },
		"symlink": func(p string) error {
			if err := os.Remove(p); err != nil {
				return err
			}
			return os.Symlink("/etc/passwd", p)
		},
	}
	for name, fn := range damage {
		s := newStore(t)
		o := put(t, s, m, []byte("content"))
		if err := s.Verify(o.Key); err != nil {
			t.Fatalf("%s: before damage: %v", name, err)
		}
		if err := fn(o.Path); err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(o.Key); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: Verify = %v, want ErrCorrupt", name, err)
		}
	}
	s := newStore(t)
	if err := s.Verify(Key{9}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing: %v", err)
	}
	// security.selinux (set by a host policy) is not part of the identity.
	o := put(t, s, m, []byte("x"))
	if err := s.Exists(o.Key); err != nil {
		t.Fatal(err)
	}
	if err := s.Exists(Key{9}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Exists(missing) = %v", err)
	}
}
