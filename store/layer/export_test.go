package layer_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
)

// TestConcurrentUnpack: layers sharing files unpack at once into one store.
func TestConcurrentUnpack(t *testing.T) {
	objs := newObjects(t)
	var tars [][]byte
	for i := range 8 {
		// Seeds 0..3 twice: identical layers race on identical objects.
		tars = append(tars, lt.Tar(t, randomFiles(rand.New(rand.NewPCG(uint64(i%4), 1)), 80)...))
	}
	layers := make([]*layer.Layer, len(tars))
	var wg sync.WaitGroup
	for i, tb := range tars {
		wg.Go(func() {
			l, err := layer.Unpack(context.Background(), bytes.NewReader(tb), objs, layer.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			layers[i] = l
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	for i, l := range layers {
		sameBytes(t, "export", export(t, l, objs), tars[i])
		for _, k := range l.ObjectKeys() {
			if err := objs.Verify(k); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestExportFailsOnDamage: a changed object, or a missing one, makes the
// export stream fail instead of producing other bytes quietly.
func TestExportFailsOnDamage(t *testing.T) {
	objs := newObjects(t)
	tb := lt.Tar(t, lt.Reg("a", "some content here", 0o644), lt.Reg("b", "other", 0o644))
	l := roundTrip(t, objs, tb)
	a := find(l, "a").Object
	os.WriteFile(objs.Path(a), []byte("some CONTENT here"), 0o644)
	rc, err := layer.Export(context.Background(), l, objs)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); err == nil || !bytes.Contains([]byte(err.Error()), []byte("checksum")) {
		t.Fatalf("damaged object: %v", err)
	}
	os.Remove(objs.Path(a))
	rc, _ = layer.Export(context.Background(), l, objs)
	if _, err := io.ReadAll(rc); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	// Closing early ends the export without leaking its goroutine.
	rc, _ = layer.Export(context.Background(), l, objs)
	rc.Read(make([]byte, 10))
	rc.Close()
}

func TestReadLayerRejectsBadMetadata(t *testing.T) {
	objs := newObjects(t)
	l := roundTrip(t, objs, lt.Tar(t, lt.Reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644), lt.Hardlink("x", "etc/passwd")))
	dir := t.TempDir()
	if err := l.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	raw := gunzip(t, filepath.Join(dir, "entries"))

	write := func(b []byte) string {
		d := t.TempDir()
		os.WriteFile(filepath.Join(d, "tar-split.json.gz"), []byte{}, 0o600)
		var buf bytes.Buffer
		gz := gzip.NewWriter(&buf)
		gz.Write(b)
		gz.Close()
		os.WriteFile(filepath.Join(d, "entries"), buf.Bytes(), 0o600)
		return d
	}
	cases := map[string][]byte{
		"truncated":     raw[:len(raw)-5],
		"bad magic":     append([]byte("x"), raw[1:]...),
		"planted ..":    bytes.Replace(raw, []byte("etc/passwd"), []byte("../passwd!"), 1),
		"planted /":     bytes.Replace(raw, []byte("etc/passwd"), []byte("/etc/passw"), 1),
		"link escapes":  linkEscapes(raw),
		"future format": append([]byte("ocid-layer-entries\n\x02"), raw[20:]...),
	}
	for name, b := range cases {
		if _, err := layer.ReadLayer(write(b)); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: ReadLayer = %v", name, err)
		}
	}
	// Truncated gzip of good content.
	d := write(raw)
	gz, _ := os.ReadFile(filepath.Join(d, "entries"))
	os.WriteFile(filepath.Join(d, "entries"), gz[:len(gz)-4], 0o600)
	if _, err := layer.ReadLayer(d); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("truncated gzip: %v", err)
	}
	if _, err := layer.ReadLayer(t.TempDir()); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("empty dir: %v", err)
	}
}

// linkEscapes rewrites the hardlink's target (the last "etc/passwd").
func linkEscapes(raw []byte) []byte {
	b := bytes.Clone(raw)
	i := bytes.LastIndex(b, []byte("etc/passwd"))
	copy(b[i:], "../etc/pas")
	return b
}

func gunzip(t testing.TB, path string) []byte {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
