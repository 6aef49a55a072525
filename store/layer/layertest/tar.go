// Package layertest builds layer tars for tests and computes, independently
// of the store's code, the tree a sequence of layers should produce; it
// also reads a checkout back as such a tree, so tests can compare the two.
package layertest

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/ocid-project/ocid/store/layer"
	"github.com/ocid-project/ocid/store/objects"
)

// File is one tar entry to write.
type File struct {
	Hdr  tar.Header
	Body []byte
}

// T0 is the default mtime of the helpers below.
var T0 = time.Unix(1700000000, 0)

// Dir, Reg, Symlink, Hardlink, Whiteout, Opaque, Fifo and Char make
// common entries (root-owned, mtime T0, PAX format unless changed).
func Dir(name string, mode int64) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, ModTime: T0, Format: tar.FormatPAX}}
}

func Reg(name, body string, mode int64) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(body)), ModTime: T0, Format: tar.FormatPAX}, Body: []byte(body)}
}

func Symlink(name, target string) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777, ModTime: T0, Format: tar.FormatPAX}}
}

func Hardlink(name, target string) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, ModTime: T0, Format: tar.FormatPAX}}
}

func Whiteout(dir, name string) File {
	return Reg(join(dir, ".wh."+name), "", 0o644)
}

func Opaque(dir string) File {
	return Reg(join(dir, ".wh..wh..opq"), "", 0o644)
}

func Fifo(name string) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeFifo, Name: name, Mode: 0o644, ModTime: T0, Format: tar.FormatPAX}}
}

func Char(name string, major, minor int64) File {
	return File{Hdr: tar.Header{Typeflag: tar.TypeChar, Name: name, Mode: 0o666, Devmajor: major, Devminor: minor, ModTime: T0, Format: tar.FormatPAX}}
}

func join(dir, name string) string {
	if dir == "" || dir == "." {
		return name
	}
	return dir + "/" + name
}

// Tar writes files with archive/tar.
func Tar(t testing.TB, files ...File) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := f.Hdr
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatalf("tar header %q: %v", h.Name, err)
		}
		if _, err := tw.Write(f.Body); err != nil {
			t.Fatalf("tar body %q: %v", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Unpack unpacks a tar into objs or fails the test.
func Unpack(t testing.TB, objs *objects.Store, tarball []byte) *layer.Layer {
	t.Helper()
	l, err := layer.Unpack(context.Background(), bytes.NewReader(tarball), objs, layer.Options{})
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	return l
}
