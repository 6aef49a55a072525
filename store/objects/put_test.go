package objects

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"io"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

func TestPutSetsEverything(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		s := newStore(t)
		s.noTmpfile = fallback
		for _, size := range []int{0, 1, smallFile - 1, smallFile, smallFile + 1, 3*smallFile + 17} {
			content := make([]byte, size)
			rand.Read(content)
			m := FileMeta{
				Mode: 0o6755, UID: 1234, GID: 5678, Mtime: time.Unix(1600000000, 987654321),
				Xattrs: []Xattr{{Name: "user.z", Value: []byte("last")}, {Name: "security.capability", Value: capNetRaw}},
			}
			o := put(t, s, m, content)
			if o.Size != int64(size) || o.Digest != digest.FromBytes(content) {
				t.Errorf("size %d: object %+v", size, o)
			}
			if o.Key != m.Key(sha256.Sum256(content)) || o.Path != s.Path(o.Key) {
				t.Errorf("size %d: key/path %s %s", size, o.Key, o.Path)
			}
			// setuid and setgid survive chown, capabilities survive both
			checkFile(t, o.Path, m, content)
			if err := s.Verify(o.Key); err != nil {
				t.Errorf("size %d: %v", size, err)
			}
		}
		if names := tmpEntries(t, s); len(names) != 0 {
			t.Errorf("fallback=%v: tmp not empty: %v", fallback, names)
		}
	}
}

func TestPutDedup(t *testing.T) {
	s := newStore(t)
	m := FileMeta{Mode: 0o644, Mtime: time.Unix(1, 0)}
	for _, content := range [][]byte{[]byte("hello"), bytes.Repeat([]byte("x"), 2*smallFile)} {
		a := put(t, s, m, content)
		b := put(t, s, m, content)
		if a != b {
			t.Fatalf("two puts: %+v vs %+v", a, b)
		}
		if sa, sb := stat(t, a.Path), stat(t, b.Path); sa.Ino != sb.Ino || sa.Nlink != 1 {
			t.Fatalf("dedup made a new inode or link: %d/%d nlink %d", sa.Ino, sb.Ino, sa.Nlink)
		}
		// Same content, different metadata: a different object.
		m2 := m
		m2.Mode = 0o755
		c := put(t, s, m2, content)
		if c.Key == a.Key || stat(t, c.Path).Ino == stat(t, a.Path).Ino {
			t.Fatal("different mode shares the object")
		}
	}
	if n, _, err := s.Count(); err != nil || n != 4 {
		t.Fatalf("Count = %d, %v; want 4", n, err)
	}
}

// TestPutConcurrent: many writers of the same objects end with one object
// each, and no leftovers.
func TestPutConcurrent(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		s := newStore(t)
		s.noTmpfile = fallback
		contents := [][]byte{[]byte("a"), bytes.Repeat([]byte("b"), 3*smallFile)}
		m := FileMeta{Mode: 0o600, UID: 7, Mtime: time.Unix(99, 5)}
		var wg sync.WaitGroup
		keys := make(chan Key, 64)
		for range 16 {
			wg.Go(func() {
				for _, c := range contents {
					o, err := s.Put(context.Background(), m, bytes.NewReader(c))
					if err != nil {
						t.Error(err)
						return
					}
					keys <- o.Key
				}
			})
		}
		wg.Wait()
		close(keys)
		distinct := map[Key]bool{}
		for k := range keys {
			distinct[k] = true
		}
		if len(distinct) != 2 {
			t.Fatalf("fallback=%v: %d distinct keys", fallback, len(distinct))
		}
		for k := range distinct {
			if err := s.Verify(k); err != nil {
				t.Fatal(err)
			}
		}
		if names := tmpEntries(t, s); len(names) != 0 {
			t.Errorf("tmp not empty: %v", names)
		}
	}
}

func TestPutFailuresLeaveNothing(t *testing.T) {
	for _, fallback := range []bool{false, true} {
		s := newStore(t)
		s.noTmpfile = fallback
		m := FileMeta{Mode: 0o644}
		if _, err := s.Put(context.Background(), m, &errReader{n: 3 * smallFile}); err == nil {
			t.Fatal("read error not reported")
		}
		// A truncated source (archive/tar's io.ErrUnexpectedEOF) is an
		// error, not the end of a small file.
		truncated := io.MultiReader(bytes.NewReader([]byte("abc")), iotest.ErrReader(io.ErrUnexpectedEOF))
		if _, err := s.Put(context.Background(), m, truncated); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("truncated source: %v", err)
		}
		if _, err := s.Put(context.Background(), FileMeta{Xattrs: []Xattr{{Name: "trusted.overlay.opaque", Value: []byte("y")}}}, bytes.NewReader(nil)); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("trusted.overlay xattr: %v", err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Put(ctx, m, bytes.NewReader([]byte("x"))); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled: %v", err)
		}
		if n, _, _ := s.Count(); n != 0 {
			t.Fatalf("%d objects after failed puts", n)
		}
		if names := tmpEntries(t, s); len(names) != 0 {
			t.Errorf("tmp not empty: %v", names)
		}
	}
}

// TestPutUnrepresentableMtime: an mtime the filesystem cannot store (ext4
// clamps to 1901…2446) is keyed as stored, so Verify agrees with the disk.
func TestPutUnrepresentableMtime(t *testing.T) {
	s := newStore(t)
	m := FileMeta{Mode: 0o644, Mtime: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)}
	o := put(t, s, m, []byte("old"))
	if err := s.Verify(o.Key); err != nil {
		t.Fatal(err)
	}
	if again := put(t, s, m, []byte("old")); again.Key != o.Key {
		t.Fatalf("second put keyed %s, first %s", again.Key, o.Key)
	}
}
