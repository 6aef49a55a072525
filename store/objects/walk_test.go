package objects

import (
	"os"
	"strconv"
	"testing"
	"time"
)

func TestWalkCountRemoveUnreferenced(t *testing.T) {
	s := newStore(t)
	keys := map[Key]int64{}
	for i := range 50 {
		c := []byte("file " + strconv.Itoa(i))
		o := put(t, s, FileMeta{Mode: 0o644, Mtime: time.Unix(int64(i), 0)}, c)
		keys[o.Key] = o.Size
	}
	// Stray names in a fan-out directory are not objects.
	os.WriteFile(s.Dir()+"/ab/not-an-object", nil, 0o600)
	os.WriteFile(s.Dir()+"/ab/zz.1", nil, 0o600)

	seen := map[Key]bool{}
	if err := s.Walk(func(i Info) error {
		if keys[i.Key] != i.Size || i.Copies != 1 || i.Nlink != 1 {
			t.Errorf("Walk: %+v", i)
		}
		seen[i.Key] = true
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(keys) {
		t.Fatalf("Walk saw %d of %d", len(seen), len(keys))
	}
	stops := 0
	s.Walk(func(Info) error { stops++; return ErrStopWalk })
	if stops != 1 {
		t.Fatalf("ErrStopWalk: %d calls", stops)
	}

	var total int64
	keep := func(k Key) bool { return keys[k]%2 == 0 }
	for k, sz := range keys {
		if !keep(k) {
			total += sz
		}
	}
	n, err := s.CountUnreferenced(keep)
	if err != nil {
		t.Fatal(err)
	}
	removed, bytes, err := s.RemoveUnreferenced(keep)
	if err != nil || removed != n || bytes != total || n == 0 {
		t.Fatalf("RemoveUnreferenced = %d, %d, %v; want %d, %d", removed, bytes, err, n, total)
	}
	left, _, _ := s.Count()
	if left != len(keys)-n {
		t.Fatalf("%d objects left, want %d", left, len(keys)-n)
	}
}
