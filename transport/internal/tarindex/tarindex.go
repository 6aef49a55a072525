// Package tarindex reads files out of an uncompressed tar archive in
// place: one pass records where each regular file's bytes are, after
// which any file can be read (concurrently) with ReadAt, without
// unpacking the archive to a temporary directory as skopeo does.
package tarindex

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"github.com/ocid-project/ocid/errdefs"
)

// Index is an opened, indexed archive.
type Index struct {
	f       *os.File
	files   map[string]section
	links   map[string]string // symlinks and hardlinks: name → target
	archive string
}

type section struct{ off, size int64 }

// maxLinkHops bounds symlink resolution inside the archive.
const maxLinkHops = 16

// Open indexes the tar archive at p.
func Open(p string) (*Index, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	idx := &Index{f: f, files: map[string]section{}, links: map[string]string{}, archive: p}
	if err := idx.scan(); err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return idx, nil
}

func (idx *Index) scan() error {
	tr := tar.NewReader(idx.f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("not a valid tar archive: %v: %w", err, errdefs.ErrInvalidArgument)
		}
		name := clean(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeReg:
			// archive/tar seeks past content, so the file offset now is
			// where this entry's bytes start.
			off, err := idx.f.Seek(0, io.SeekCurrent)
			if err != nil {
				return err
			}
			idx.files[name] = section{off: off, size: hdr.Size}
			delete(idx.links, name)
		case tar.TypeSymlink:
			target := hdr.Linkname
			if !strings.HasPrefix(target, "/") {
				target = path.Join(path.Dir(name), target)
			}
			idx.links[name] = clean(target)
			delete(idx.files, name)
		case tar.TypeLink:
			idx.links[name] = clean(hdr.Linkname)
			delete(idx.files, name)
		}
	}
}

func clean(name string) string {
	return strings.TrimPrefix(path.Clean("/"+name), "/")
}

// Open returns the file name and its size; links inside the archive are
// followed, never outside it.
func (idx *Index) Open(name string) (io.ReadCloser, int64, error) {
	name = clean(name)
	for hops := 0; ; hops++ {
		if s, ok := idx.files[name]; ok {
			return io.NopCloser(io.NewSectionReader(idx.f, s.off, s.size)), s.size, nil
		}
		target, ok := idx.links[name]
		if !ok || hops >= maxLinkHops {
			return nil, 0, fmt.Errorf("%s: no file %q in the archive: %w", idx.archive, name, errdefs.ErrNotFound)
		}
		name = target
	}
}

// ReadFile reads a whole (small) file, refusing more than limit bytes.
func (idx *Index) ReadFile(name string, limit int64) ([]byte, error) {
	rc, size, err := idx.Open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > limit {
		return nil, fmt.Errorf("%s: %s is %d bytes, over %d: %w", idx.archive, name, size, limit, errdefs.ErrInvalidArgument)
	}
	return io.ReadAll(rc)
}

// Has reports whether name is a file in the archive.
func (idx *Index) Has(name string) bool {
	_, _, err := idx.Open(name)
	return !errors.Is(err, errdefs.ErrNotFound)
}

// Close closes the archive.
func (idx *Index) Close() error { return idx.f.Close() }
