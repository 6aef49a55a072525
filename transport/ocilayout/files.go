package ocilayout

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/transport/internal/tarindex"
)

// files is where a layout is read from: a directory or an indexed tar.
type files interface {
	open(name string) (io.ReadCloser, int64, error)
	close() error
}

type dirFS string

func (d dirFS) open(name string) (io.ReadCloser, int64, error) {
	f, err := os.Open(filepath.Join(string(d), filepath.FromSlash(name)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
		}
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (dirFS) close() error { return nil }

type tarFS struct{ idx *tarindex.Index }

func (t tarFS) open(name string) (io.ReadCloser, int64, error) { return t.idx.Open(name) }
func (t tarFS) close() error                                   { return t.idx.Close() }

// blobPath is a blob's path inside a layout.
func blobPath(d digest.Digest) string {
	return "blobs/" + d.Algorithm().String() + "/" + d.Encoded()
}

func readAll(f files, name string, limit int64) ([]byte, error) {
	rc, size, err := f.open(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	if size > limit {
		return nil, fmt.Errorf("%s is %d bytes, over %d: %w", name, size, limit, errdefs.ErrInvalidArgument)
	}
	return io.ReadAll(io.LimitReader(rc, limit))
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
