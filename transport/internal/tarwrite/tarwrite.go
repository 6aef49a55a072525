// Package tarwrite writes the archives of the archive transports:
// deterministic (sorted names, zero times, root ownership) so the same
// image gives the same bytes.
package tarwrite

import (
	"archive/tar"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Dir writes the tree under root as a tar stream to w, names relative to
// root. Only directories and regular files are expected.
func Dir(w io.Writer, root string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil || rel == "." {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		return writeEntry(tw, filepath.ToSlash(rel), p, info)
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// Writer adds named entries one by one.
type Writer struct{ tw *tar.Writer }

// NewWriter starts an archive on w.
func NewWriter(w io.Writer) *Writer { return &Writer{tw: tar.NewWriter(w)} }

// File adds a regular file with the given content.
func (w *Writer) File(name string, r io.Reader, size int64) error {
	if err := w.tw.WriteHeader(header(name, tar.TypeReg, size, 0o644)); err != nil {
		return err
	}
	_, err := io.Copy(w.tw, r)
	return err
}

// Symlink adds a symbolic link.
func (w *Writer) Symlink(name, target string) error {
	h := header(name, tar.TypeSymlink, 0, 0o777)
	h.Linkname = target
	return w.tw.WriteHeader(h)
}

// Dir adds a directory entry.
func (w *Writer) Dir(name string) error {
	return w.tw.WriteHeader(header(name+"/", tar.TypeDir, 0, 0o755))
}

// Close finishes the archive.
func (w *Writer) Close() error { return w.tw.Close() }

func header(name string, typ byte, size int64, mode int64) *tar.Header {
	return &tar.Header{Name: name, Typeflag: typ, Size: size, Mode: mode, ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
}

func writeEntry(tw *tar.Writer, name, p string, info fs.FileInfo) error {
	if info.IsDir() {
		return tw.WriteHeader(header(name+"/", tar.TypeDir, 0, 0o755))
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(header(name, tar.TypeReg, info.Size(), 0o644)); err != nil {
		return err
	}
	_, err = io.Copy(tw, f)
	return err
}
