package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport/all"
	storetransport "github.com/ocid-project/ocid/transport/store"
)

// testStore is a store in a temp dir plus its transport.
type testStore struct {
	t  testing.TB
	s  *store.Store
	tr *storetransport.Transport
}

func newStore(t testing.TB, opts ...func(*store.Options)) *testStore {
	t.Helper()
	dir := t.TempDir()
	o := store.Options{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run")}
	for _, f := range opts {
		f(&o)
	}
	s, err := store.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unmountUnder(dir) })
	return &testStore{t: t, s: s, tr: storetransport.New(func() (*store.Store, error) { return s, nil })}
}

// unmountUnder removes every mount a failed test may have left.
func unmountUnder(dir string) {
	data, _ := os.ReadFile("/proc/self/mounts")
	var points []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && strings.HasPrefix(f[1], dir) {
			points = append(points, f[1])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		unix.Unmount(points[i], unix.MNT_DETACH)
	}
}

// pull stores img under name from an OCI layout.
func (ts *testStore) pull(img *fixtures.Image, name string) *store.Image {
	ts.t.Helper()
	layout := fixtures.NewOCILayout(ts.t, "x", img)
	src, err := all.ParseImageName("oci:" + layout + ":x")
	if err != nil {
		ts.t.Fatal(err)
	}
	dst, err := ts.tr.ParseReference(name)
	if err != nil {
		ts.t.Fatal(err)
	}
	if _, err := copy.Image(context.Background(), dst, src, &copy.Options{InsecureAcceptAnything: true}); err != nil {
		ts.t.Fatal(err)
	}
	got, err := ts.s.Lookup(name)
	if err != nil {
		ts.t.Fatal(err)
	}
	return got
}

func TestPullBuildsTheMergedTree(t *testing.T) {
	ts := newStore(t)
	for _, tc := range []struct {
		name string
		img  *fixtures.Image
	}{
		{"layered-gzip", fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)},
		{"layered-zstd", fixtures.LayeredImage(t, fixtures.OCI, fixtures.Zstd)},
		{"layered-docker-plain", fixtures.LayeredImage(t, fixtures.DockerV2S2, fixtures.Uncompressed)},
		{"empty-layer", fixtures.EmptyLayerImage(t, fixtures.OCI, fixtures.Gzip)},
		{"busybox", fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			img := ts.pull(tc.img, "test/"+tc.name+":1")
			if img.ID != tc.img.Config.Digest {
				t.Fatalf("image ID %s, want the config digest %s", img.ID, tc.img.Config.Digest)
			}
			fixtures.CheckTree(t, ts.s.CheckoutPath(img), tc.img)
		})
	}
	r, err := ts.s.Check(context.Background(), false)
	if err != nil || !r.Clean() {
		t.Fatalf("check after pulls: %v %+v", err, r)
	}
}

// TestSameFilesShareInodes: two images whose layers differ but carry the
// same file (content and metadata) share one inode; a file whose mode
// differs gets its own.
func TestSameFilesShareInodes(t *testing.T) {
	ts := newStore(t)
	jre := fixtures.FileBytes("opt/jre/lib/big.so", bytes.Repeat([]byte("x"), 100000))
	mk := func(salt string, mode int64) *fixtures.Image {
		return fixtures.MustBuild(t, fixtures.Spec{Layers: []fixtures.Layer{{Entries: []fixtures.Entry{
			fixtures.File("etc/salt", salt), jre.WithMode(mode),
		}}}})
	}
	a := ts.pull(mk("a", 0o644), "test/a:1")
	b := ts.pull(mk("b", 0o644), "test/b:1")
	c := ts.pull(mk("c", 0o755), "test/c:1")
	ino := func(img *store.Image) uint64 {
		var st syscall.Stat_t
		if err := syscall.Stat(filepath.Join(ts.s.CheckoutPath(img), "opt/jre/lib/big.so"), &st); err != nil {
			t.Fatal(err)
		}
		return st.Ino
	}
	if ino(a) != ino(b) {
		t.Error("identical files in two images are two inodes")
	}
	if ino(a) == ino(c) {
		t.Error("files with different modes share an inode")
	}
	u, err := ts.s.DiskUsage()
	if err != nil {
		t.Fatal(err)
	}
	if u.DedupRatio <= 1.4 {
		t.Errorf("dedup ratio %.2f; three images sharing a 100 kB file should be near 1.5", u.DedupRatio)
	}
}

func TestCorruptedObjectFoundAndRepaired(t *testing.T) {
	ts := newStore(t)
	fx := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	img := ts.pull(fx, "test/app:1")
	// Change one byte of a file, through the checkout: the object is the
	// same inode.
	victim := filepath.Join(ts.s.CheckoutPath(img), fixtures.LayeredLongPath)
	f, err := os.OpenFile(victim, os.O_WRONLY, 0)
	if err != nil {
		t.Fatalf("open %s: %v", victim, err)
	}
	f.WriteAt([]byte{'!'}, 0)
	f.Close()
	r, err := ts.s.Check(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	if r.Clean() {
		t.Fatal("check missed a changed byte")
	}
	removed, err := ts.s.Repair(context.Background())
	if err != nil || len(removed) != 1 || removed[0] != img.ID {
		t.Fatalf("repair removed %v (%v), want %s", removed, err, img.ID)
	}
	if _, err := ts.s.Lookup("test/app:1"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("damaged image still there: %v", err)
	}
	again := ts.pull(fx, "test/app:1")
	fixtures.CheckTree(t, ts.s.CheckoutPath(again), fx)
	if r, err := ts.s.Check(context.Background(), false); err != nil || !r.Clean() {
		t.Fatalf("check after re-pull: %v %+v", err, r.Problems)
	}
}

func TestRemoveAndGCLeaveNothing(t *testing.T) {
	ts := newStore(t)
	ts.pull(fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip), "test/a:1")
	ts.pull(fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip), "test/b:1")
	for _, n := range []string{"test/a:1", "test/b:1"} {
		if _, err := ts.s.Remove(n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ts.s.GC(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, err := ts.s.DiskUsage()
	if err != nil {
		t.Fatal(err)
	}
	if u.Objects != 0 || u.Images != 0 {
		t.Fatalf("after rm and gc: %+v", u)
	}
	for _, d := range []string{"layers", "checkouts", "blobs/sha256"} {
		entries, _ := os.ReadDir(filepath.Join(ts.s.Root(), d))
		if len(entries) != 0 {
			t.Errorf("%s still has %d entries", d, len(entries))
		}
	}
}

// TestCopyOutRebuildsLayers: an image copied out of the store (layer
// blobs not kept) has layers that unpack to the same diffIDs.
func TestCopyOutRebuildsLayers(t *testing.T) {
	ts := newStore(t)
	fx := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	ts.pull(fx, "test/app:1")
	src, _ := ts.tr.ParseReference("test/app:1")
	out := t.TempDir() + "/layout"
	dst, _ := all.ParseImageName("oci:" + out + ":x")
	if _, err := copy.Image(context.Background(), dst, src, &copy.Options{InsecureAcceptAnything: true}); err != nil {
		t.Fatal(err)
	}
	for _, l := range fx.Layers {
		if _, err := os.Stat(filepath.Join(out, "blobs/sha256", l.DiffID.Encoded())); err != nil {
			t.Errorf("layer %s was not rebuilt as its uncompressed tar", l.DiffID)
		}
	}
}
