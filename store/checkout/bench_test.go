package checkout_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocid-project/ocid/store/checkout"
	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

// jreLayer is a synthetic JRE-sized layer: 1000 directories (two levels)
// of 20 small files each, plus the directory entries.
func jreLayer(t testing.TB) []byte {
	var fs []lt.File
	for i := range 40 {
		fs = append(fs, lt.Dir(fmt.Sprintf("usr/lib/jvm/d%02d", i), 0o755))
		for j := range 25 {
			dir := fmt.Sprintf("usr/lib/jvm/d%02d/s%02d", i, j)
			fs = append(fs, lt.Dir(dir, 0o755))
			for k := range 20 {
				fs = append(fs, lt.Reg(fmt.Sprintf("%s/file%02d.class", dir, k), fmt.Sprintf("class %d/%d/%d", i, j, k), 0o644))
			}
		}
	}
	return lt.Tar(t, fs...)
}

func BenchmarkBuild(b *testing.B) {
	e := newEnv(b)
	l := e.layers(b, jreLayer(b))[0]
	entries := len(l.Entries)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		dir := filepath.Join(e.base, "co", fmt.Sprint(i))
		if err := checkout.Build(context.Background(), dir, []*layer.Layer{l}, e.objs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*entries), "ns/entry")
}

// BenchmarkUnpack measures unpacking the same layer into a store that
// already has its objects (a re-pull) and into an empty one (a new store
// per iteration, made while the timer is stopped).
func BenchmarkUnpack(b *testing.B) {
	tb := jreLayer(b)
	for _, warm := range []bool{true, false} {
		b.Run(fmt.Sprintf("objects-exist=%v", warm), func(b *testing.B) {
			objs := newEnv(b).objs
			if warm {
				lt.Unpack(b, objs, tb)
			}
			b.SetBytes(int64(len(tb)))
			n := 0
			for b.Loop() {
				if !warm {
					b.StopTimer()
					var err error
					if objs, err = objects.Open(b.TempDir()); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				n = len(lt.Unpack(b, objs, tb).Entries)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
		})
	}
}

// BenchmarkReadLayer measures loading a saved layer's metadata (done for
// every layer of an image before its checkout is built).
func BenchmarkReadLayer(b *testing.B) {
	e := newEnv(b)
	l := e.layers(b, jreLayer(b))[0]
	dir := b.TempDir()
	if err := l.WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := layer.ReadLayer(dir); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(l.Entries)), "ns/entry")
}

// BenchmarkExport measures rebuilding the layer's tar.
func BenchmarkExport(b *testing.B) {
	e := newEnv(b)
	tb := jreLayer(b)
	l := e.layers(b, tb)[0]
	b.SetBytes(int64(len(tb)))
	for b.Loop() {
		rc, err := layer.Export(context.Background(), l, e.objs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(l.Entries)), "ns/entry")
}
