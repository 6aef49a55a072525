package checkout_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/store/checkout"
	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

// env is a store, a checkout directory to be, and a canary directory
// beside them that no build may touch.
type env struct {
	base   string
	objs   *objects.Store
	dir    string // the checkout (does not exist yet)
	canary string
	before lt.Tree
}

func newEnv(t testing.TB) *env {
	t.Helper()
	base := t.TempDir()
	objs, err := objects.Open(filepath.Join(base, "store"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { objs.Close() })
	e := &env{base: base, objs: objs, dir: filepath.Join(base, "co", "root"), canary: filepath.Join(base, "canary")}
	for _, d := range []string{"co", "canary/sub"} {
		if err := os.MkdirAll(filepath.Join(base, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(e.canary, "victim"), []byte("precious"), 0o644)
	os.WriteFile(filepath.Join(e.canary, "sub/victim2"), []byte("precious too"), 0o600)
	e.before = lt.Walk(t, e.canary)
	return e
}

// layers unpacks tars into the env's store.
func (e *env) layers(t testing.TB, tars ...[]byte) []*layer.Layer {
	t.Helper()
	var ls []*layer.Layer
	for _, tb := range tars {
		ls = append(ls, lt.Unpack(t, e.objs, tb))
	}
	return ls
}

func (e *env) build(t testing.TB, ls ...*layer.Layer) error {
	t.Helper()
	return checkout.Build(context.Background(), e.dir, ls, e.objs)
}

// untouched asserts that nothing outside the checkout changed: the canary
// is as it was, the base holds only what it held, every object still
// verifies (no metadata change through a hardlink).
func (e *env) untouched(t testing.TB) {
	t.Helper()
	for _, d := range lt.Diff(e.before, lt.Walk(t, e.canary)) {
		t.Errorf("canary changed: %s", d)
	}
	names := func(dir string) []string {
		es, _ := os.ReadDir(dir)
		var n []string
		for _, x := range es {
			n = append(n, x.Name())
		}
		return n
	}
	if got := names(e.base); !slices.Equal(got, []string{"canary", "co", "store"}) {
		t.Errorf("base holds %v", got)
	}
	if got := names(filepath.Join(e.base, "co")); len(got) > 1 || len(got) == 1 && got[0] != "root" {
		t.Errorf("co holds %v", got)
	}
	if got := names(filepath.Join(e.base, "store")); !slices.Equal(got, []string{"objects"}) {
		t.Errorf("store holds %v", got)
	}
	if err := e.objs.Walk(func(i objects.Info) error { return e.objs.Verify(i.Key) }); err != nil {
		t.Errorf("objects damaged: %v", err)
	}
}

func ino(t testing.TB, p string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Lstat(p, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
