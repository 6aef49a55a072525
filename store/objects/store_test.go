package objects

import (
	"os"
	"path/filepath"
	"testing"
)

// The layout is made once: the marker written after it lets later opens
// skip 257 mkdirs; without the marker (an older store, an interrupted
// first open) the layout is completed.
func TestLayoutMadeOnce(t *testing.T) {
	root := t.TempDir()
	s, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	dir := filepath.Join(root, "objects")
	for _, name := range []string{"00", "ab", "ff", "tmp", layoutMarker} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	// An interrupted first open: a fan-out directory and the marker missing.
	if err := os.Remove(filepath.Join(dir, "ab")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, layoutMarker)); err != nil {
		t.Fatal(err)
	}
	s, err = Open(root)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, name := range []string{"ab", layoutMarker} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Fatalf("not restored: %v", err)
		}
	}
}
