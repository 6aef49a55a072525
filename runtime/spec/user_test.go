package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
	"golang.org/x/sys/unix"
)

const (
	testPasswd = "root:x:0:0:root:/root:/bin/sh\n" +
		"alice:x:1000:1000:Alice:/home/alice:/bin/sh\n" +
		"bob:x:1001:1001::/home/bob:/bin/sh\n" +
		"nohome:x:1002:1002\n" +
		"1234:x:1500:1500::/home/digits:/bin/sh\n"
	testGroup = "root:x:0:\n" +
		"alice:x:1000:\n" +
		"bob:x:1001:\n" +
		"devs:x:2000:alice,bob\n" +
		"ops:x:2001:alice\n" +
		"dupe:x:2000:alice\n"
)

// makeRootfs writes files (path → content) into a new directory; a
// content starting with "->" makes a symlink to the rest.
func makeRootfs(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		if target, ok := strings.CutPrefix(content, "->"); ok {
			err = os.Symlink(target, p)
		} else {
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestResolveUser(t *testing.T) {
	root := makeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	cases := []struct {
		user string
		want ExecUser
	}{
		{"", ExecUser{UID: 0, GID: 0, Home: "/root"}},
		{"root", ExecUser{UID: 0, GID: 0, Home: "/root"}},
		{"0", ExecUser{UID: 0, GID: 0, Home: "/root"}},
		{"alice", ExecUser{UID: 1000, GID: 1000, AdditionalGIDs: []uint32{2000, 2001}, Home: "/home/alice"}},
		{"1000", ExecUser{UID: 1000, GID: 1000, AdditionalGIDs: []uint32{2000, 2001}, Home: "/home/alice"}},
		{"alice:devs", ExecUser{UID: 1000, GID: 2000, AdditionalGIDs: []uint32{2000, 2001}, Home: "/home/alice"}},
		{"alice:3000", ExecUser{UID: 1000, GID: 3000, AdditionalGIDs: []uint32{2000, 2001}, Home: "/home/alice"}},
		{"1001:ops", ExecUser{UID: 1001, GID: 2001, AdditionalGIDs: []uint32{2000}, Home: "/home/bob"}},
		{"5000", ExecUser{UID: 5000, GID: 0, Home: "/"}},
		{"5000:5001", ExecUser{UID: 5000, GID: 5001, Home: "/"}},
		{"5000:devs", ExecUser{UID: 5000, GID: 2000, Home: "/"}},
		{"nohome", ExecUser{UID: 1002, GID: 1002, Home: "/"}},
		// A number is a uid even when a user has that name (docker's rule).
		{"1234", ExecUser{UID: 1234, GID: 0, Home: "/"}},
	}
	for _, c := range cases {
		t.Run(c.user, func(t *testing.T) {
			got, err := ResolveUser(root, c.user)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestResolveUserErrors(t *testing.T) {
	root := makeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	for _, user := range []string{"mallory", "alice:nogroup", ":1000", "alice:", "4294967295", "99999999999", "1000:4294967296"} {
		t.Run(user, func(t *testing.T) {
			_, err := ResolveUser(root, user)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("want ErrInvalidArgument, got %v", err)
			}
			if !strings.Contains(err.Error(), user) {
				t.Fatalf("error %q does not name %q", err, user)
			}
		})
	}
}

func TestResolveUserWithoutFiles(t *testing.T) {
	root := t.TempDir()
	got, err := ResolveUser(root, "1000:1000")
	if err != nil {
		t.Fatal(err)
	}
	if want := (ExecUser{UID: 1000, GID: 1000, Home: "/"}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if _, err := ResolveUser(root, "alice"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("a name without /etc/passwd: want ErrInvalidArgument, got %v", err)
	}
	if _, err := ResolveUser(filepath.Join(root, "missing"), "0"); err == nil || errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("a missing rootfs must fail as an I/O error, got %v", err)
	}
}

// TestResolveUserHostileSymlinks: an image's passwd and group files may be
// symlinks anywhere; they must resolve inside the rootfs as if it were "/",
// never reaching the host's files.
func TestResolveUserHostileSymlinks(t *testing.T) {
	// The image's own "shadow" says root is uid 77: a resolution inside
	// the rootfs finds it, one on the host finds uid 0.
	inside := "root:x:77:77::/inside:/bin/sh\n"
	cases := map[string]map[string]string{
		"absolute": {"etc/passwd": "->/etc/shadow", "etc/shadow": inside},
		"dotdot":   {"etc/passwd": "->../../../../../../etc/shadow", "etc/shadow": inside},
		"etc dir":  {"etc": "->/../../../../fake", "fake/passwd": inside},
		"chain":    {"etc/passwd": "->/a", "a": "->../../b", "b": inside},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			root := makeRootfs(t, files)
			got, err := ResolveUser(root, "root")
			if err != nil {
				t.Fatal(err)
			}
			if got.UID != 77 || got.Home != "/inside" {
				t.Fatalf("resolved outside the rootfs: %+v", got)
			}
		})
	}
	t.Run("target only on the host", func(t *testing.T) {
		// Each target exists on the host with a root entry; inside the
		// rootfs it does not, so "root" must be unknown.
		for _, target := range []string{"../../../../../../../etc/shadow", "/proc/1/root/etc/passwd", "/proc/self/root/etc/passwd"} {
			root := makeRootfs(t, map[string]string{"etc/passwd": "->" + target})
			if _, err := ResolveUser(root, "root"); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "no user") {
				t.Fatalf("passwd -> %s: want no user root, got %v", target, err)
			}
		}
	})
	t.Run("loop", func(t *testing.T) {
		root := makeRootfs(t, map[string]string{"etc/passwd": "->/etc/passwd"})
		if _, err := ResolveUser(root, "root"); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("want ErrInvalidArgument for a symlink loop, got %v", err)
		}
	})
}

// TestResolveUserSpecialFiles: a FIFO would block a reader forever and a
// device could be anything; neither is read.
func TestResolveUserSpecialFiles(t *testing.T) {
	for name, mode := range map[string]uint32{"fifo": unix.S_IFIFO | 0o644, "device": unix.S_IFCHR | 0o644} {
		t.Run(name, func(t *testing.T) {
			root := makeRootfs(t, map[string]string{"etc/group": testGroup})
			// 1:5 is /dev/zero: endless if read.
			if err := unix.Mknod(filepath.Join(root, "etc/passwd"), mode, int(unix.Mkdev(1, 5))); err != nil {
				t.Fatal(err)
			}
			if _, err := ResolveUser(root, "root"); !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("want ErrInvalidArgument, got %v", err)
			}
		})
	}
	t.Run("directory", func(t *testing.T) {
		root := makeRootfs(t, map[string]string{"etc/passwd/x": ""})
		if _, err := ResolveUser(root, "root"); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("want ErrInvalidArgument, got %v", err)
		}
	})
	t.Run("too big", func(t *testing.T) {
		root := makeRootfs(t, nil)
		if err := os.MkdirAll(filepath.Join(root, "etc"), 0o755); err != nil {
			t.Fatal(err)
		}
		// Sparse: no disk is used for the size.
		f, err := os.Create(filepath.Join(root, "etc/passwd"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(maxDBFileSize + 1); err != nil {
			t.Fatal(err)
		}
		f.Close()
		if _, err := ResolveUser(root, "root"); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("want ErrInvalidArgument, got %v", err)
		}
	})
}
