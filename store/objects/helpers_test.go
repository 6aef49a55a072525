package objects

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func newStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t testing.TB, s *Store, m FileMeta, content []byte) Object {
	t.Helper()
	o, err := s.Put(context.Background(), m, bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func stat(t testing.TB, path string) unix.Stat_t {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

// checkFile asserts that path has exactly content and m.
func checkFile(t testing.TB, path string, m FileMeta, content []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, content) {
		t.Errorf("%s: content differs (%d bytes, want %d)", path, len(got), len(content))
	}
	st := stat(t, path)
	if st.Mode&unix.S_IFMT != unix.S_IFREG || st.Mode&ModeMask != m.Mode {
		t.Errorf("%s: mode %#o, want regular %#o", path, st.Mode, m.Mode)
	}
	if st.Uid != m.UID || st.Gid != m.GID {
		t.Errorf("%s: owner %d:%d, want %d:%d", path, st.Uid, st.Gid, m.UID, m.GID)
	}
	if mt := time.Unix(st.Mtim.Sec, st.Mtim.Nsec); !mt.Equal(m.Mtime) {
		t.Errorf("%s: mtime %v, want %v", path, mt, m.Mtime)
	}
	for _, x := range m.Xattrs {
		buf := make([]byte, 1024)
		n, err := unix.Lgetxattr(path, x.Name, buf)
		if err != nil || !bytes.Equal(buf[:n], x.Value) {
			t.Errorf("%s: xattr %s = %q, %v; want %q", path, x.Name, buf[:max(n, 0)], err, x.Value)
		}
	}
}

// tmpEntries lists objects/tmp, which must be empty between operations.
func tmpEntries(t testing.TB, s *Store) []string {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(s.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// errReader fails after giving some bytes.
type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n <= 0 {
		return 0, errors.New("boom")
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}
