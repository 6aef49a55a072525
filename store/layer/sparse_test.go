package layer_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocid-project/ocid/store/layer"
)

// TestSparseGNUTar: GNU tar's sparse formats (old GNU, and PAX 0.0, 0.1,
// 1.0) round-trip byte for byte, and the object holds the expanded file.
func TestSparseGNUTar(t *testing.T) {
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "sparse"))
	if err != nil {
		t.Fatal(err)
	}
	// Data at the start, in the middle and at the end, holes between.
	want := make([]byte, 3<<20+100)
	for _, off := range []int{0, 1 << 20, len(want) - 700} {
		for i := range 700 {
			want[off+i] = byte(i%251) + 1
		}
		f.WriteAt(want[off:off+700], int64(off))
	}
	f.Truncate(int64(len(want)))
	f.Close()
	os.WriteFile(filepath.Join(src, "plain"), []byte("not sparse"), 0o644)

	for _, args := range [][]string{
		{"--format=gnu"},
		{"--format=posix", "--sparse-version=0.0"},
		{"--format=posix", "--sparse-version=0.1"},
		{"--format=posix", "--sparse-version=1.0"},
	} {
		t.Run(args[len(args)-1], func(t *testing.T) {
			cmd := exec.Command("tar", append([]string{"--sparse", "-C", src, "-cf", "-", "sparse", "plain"}, args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			tb, err := cmd.Output()
			if err != nil {
				t.Fatalf("tar: %v: %s", err, stderr.Bytes())
			}
			if len(tb) > 1<<20 {
				t.Fatalf("tar is %d bytes: not sparse", len(tb))
			}
			objs := newObjects(t)
			l := roundTrip(t, objs, tb)
			e := find(l, "sparse")
			if e == nil || e.Type != layer.TypeReg || e.Payload || e.Size != int64(len(want)) {
				t.Fatalf("sparse entry: %+v", e)
			}
			got, err := os.ReadFile(objs.Path(e.Object))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatal("object content is not the expanded sparse file")
			}
			if e := find(l, "plain"); e == nil || !e.Payload {
				t.Fatalf("plain entry: %+v", e)
			}
		})
	}
}
