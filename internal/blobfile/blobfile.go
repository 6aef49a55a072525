// Package blobfile stores a stream as a file named by its digest: written
// to a temporary file, verified against the expected digest and size,
// flushed, then renamed into place. A reader of the directory sees a
// complete, verified blob or none.
package blobfile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/verify"
)

// Options tune Write.
type Options struct {
	// Sync fsyncs the file before the rename (durable across a crash).
	Sync bool
	// Perm of the final file; 0 means 0644.
	Perm os.FileMode
}

// Write stores r in dir under name(d), where d is the verified digest.
// desc.Digest may be empty (computed) and desc.Size -1 (unknown).
func Write(dir string, r io.Reader, desc image.Descriptor, name func(digest.Digest) string, o Options) (image.Descriptor, error) {
	f, err := os.CreateTemp(dir, ".blob-tmp-*")
	if err != nil {
		return image.Descriptor{}, err
	}
	tmp := f.Name()
	committed := false
	defer func() {
		if !committed {
			f.Close()
			os.Remove(tmp)
		}
	}()
	vr := verify.NewReader(r, desc.Digest, desc.Size)
	if _, err := io.Copy(f, vr); err != nil {
		return image.Descriptor{}, fmt.Errorf("writing blob %s: %w", desc.Digest, err)
	}
	if o.Sync {
		if err := f.Sync(); err != nil {
			return image.Descriptor{}, err
		}
	}
	perm := o.Perm
	if perm == 0 {
		perm = 0o644
	}
	if err := f.Chmod(perm); err != nil {
		return image.Descriptor{}, err
	}
	if err := f.Close(); err != nil {
		return image.Descriptor{}, err
	}
	out := desc
	out.Digest, out.Size = vr.Digest(), vr.N()
	if err := os.Rename(tmp, filepath.Join(dir, name(out.Digest))); err != nil {
		return image.Descriptor{}, err
	}
	committed = true
	return out, nil
}
