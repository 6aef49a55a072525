package layer_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

// FuzzUnpack: Unpack never panics; whatever the input, it writes nothing
// but objects; when it succeeds, the entries are clean and Export
// reproduces the input exactly, before and after a save and reload.
func FuzzUnpack(f *testing.F) {
	for _, c := range hostileCases(f) {
		if len(c.tar) < 1<<20 {
			f.Add(c.tar)
		}
	}
	f.Add(handcrafted(f))
	f.Add([]byte{})
	f.Add(lt.Tar(f, randomFiles(rand.New(rand.NewPCG(1, 2)), 10)...))
	f.Add(lt.Tar(f, lt.Symlink("evil", "/"), lt.Reg("evil/tmp/pwned", "x", 0o644), lt.Symlink("a", "../../.."), lt.Reg("a/x", "x", 0o644)))
	if tb, err := sparseTar(f); err == nil {
		f.Add(tb)
	}

	base := f.TempDir()
	objs, err := objects.Open(filepath.Join(base, "store"))
	if err != nil {
		f.Fatal(err)
	}
	opts := layer.Options{MaxFileSize: 16 << 20, MaxMetadataBytes: 16 << 20, MaxEntries: 10000}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := layer.Unpack(context.Background(), bytes.NewReader(data), objs, opts)
		onlyObjects(t, base)
		if err != nil {
			return
		}
		for _, e := range l.Entries {
			if !layer.IsCleanPath(e.Path) || (e.Type == layer.TypeHardlink && !layer.IsCleanPath(e.Linkname)) {
				t.Fatalf("unclean entry %+v", e)
			}
		}
		sameBytes(t, "export", export(t, l, objs), data)
		dir := t.TempDir()
		if err := l.WriteDir(dir); err != nil {
			t.Fatal(err)
		}
		l2, err := layer.ReadLayer(dir)
		if err != nil {
			t.Fatal(err)
		}
		sameBytes(t, "export after reload", export(t, l2, objs), data)
	})
}

// onlyObjects checks that base holds the object store and nothing else,
// and that no temp file was left.
func onlyObjects(t *testing.T, base string) {
	t.Helper()
	for dir, want := range map[string][]string{base: {"store"}, filepath.Join(base, "store"): {"objects"}, filepath.Join(base, "store/objects/tmp"): nil} {
		es, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, want) {
			t.Fatalf("%s holds %v, want %v", dir, names, want)
		}
	}
	es, _ := os.ReadDir(filepath.Join(base, "store/objects"))
	if len(es) != 258 {
		t.Fatalf("objects/ holds %d names, want 256 fan-out dirs, tmp and .layout", len(es))
	}
}

// sparseTar makes a small GNU-format sparse tar with GNU tar.
func sparseTar(tb testing.TB) ([]byte, error) {
	dir := tb.TempDir()
	f, err := os.Create(filepath.Join(dir, "s"))
	if err != nil {
		return nil, err
	}
	f.WriteAt([]byte("data"), 64<<10)
	f.Close()
	return exec.Command("tar", "--sparse", "--format=gnu", "-C", dir, "-cf", "-", "s").Output()
}
