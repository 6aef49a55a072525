package dir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/blobfile"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/transport"
)

// destination assembles the image in a hidden directory beside the
// target and swaps it into place on Commit, so the target is the old
// image or the new one, never half of one.
type destination struct {
	ref       *Reference
	tmp       string
	mu        sync.Mutex
	have      map[digest.Digest]bool
	committed bool
}

func newDestination(ref *Reference) (*destination, error) {
	if err := checkTarget(ref.path); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	tmp, err := fsutil.TempDirBeside(ref.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "version"), []byte(versionContent), 0o644); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return &destination{ref: ref, tmp: tmp, have: map[digest.Digest]bool{}}, nil
}

// checkTarget refuses to replace a directory that is not an image
// directory (as skopeo does), so a typo cannot wipe someone's files.
func checkTarget(path string) error {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s exists and is not a directory: %w", path, errdefs.ErrAlreadyExists)
	}
	empty, err := fsutil.IsEmptyDir(path)
	if err != nil || empty {
		return err
	}
	if _, err := os.Stat(filepath.Join(path, "version")); err != nil {
		return fmt.Errorf("%s is not empty and is not an image directory (no version file); refusing to overwrite it: %w", path, errdefs.ErrAlreadyExists)
	}
	return nil
}

func (d *destination) Reference() transport.Reference   { return d.ref }
func (d *destination) SupportedManifestTypes() []string { return nil }
func (d *destination) DesiredLayerCompression() transport.LayerCompression {
	return transport.PreserveCompression
}
func (d *destination) AcceptsForeignLayers() bool { return false }

func (d *destination) HasBlob(ctx context.Context, desc image.Descriptor) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.have[desc.Digest], nil
}

func (d *destination) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	if desc.Digest != "" && desc.Digest.Algorithm() != digest.SHA256 {
		return image.Descriptor{}, fmt.Errorf("%s: dir: stores only sha256 blobs, not %s: %w", d.ref, desc.Digest, errdefs.ErrInvalidArgument)
	}
	// Each blob is flushed as it completes, overlapping the other
	// transfers, so Commit has only the small files and the directory left.
	out, err := blobfile.Write(d.tmp, r, desc, func(dg digest.Digest) string { return dg.Encoded() }, blobfile.Options{Sync: true})
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("%s: %w", d.ref, err)
	}
	d.mu.Lock()
	d.have[out.Digest] = true
	d.mu.Unlock()
	return out, nil
}

func (d *destination) PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error {
	return os.WriteFile(filepath.Join(d.tmp, manifestName(instance)), raw, 0o644)
}

func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error {
	for i, s := range sigs {
		if err := os.WriteFile(filepath.Join(d.tmp, signatureName(instance, i+1)), s, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Commit flushes the assembled directory to disk and swaps it in.
func (d *destination) Commit(ctx context.Context) error {
	if _, err := os.Stat(filepath.Join(d.tmp, "manifest.json")); err != nil {
		return fmt.Errorf("%s: nothing to commit: no manifest was written", d.ref)
	}
	if err := syncSmallFiles(d.tmp, d.have); err != nil {
		return fmt.Errorf("%s: %w", d.ref, err)
	}
	if err := fsutil.ReplaceDir(d.tmp, d.ref.path); err != nil {
		return fmt.Errorf("%s: %w", d.ref, err)
	}
	d.committed = true
	return nil
}

func (d *destination) Close() error {
	if !d.committed {
		return os.RemoveAll(d.tmp)
	}
	return nil
}

// syncSmallFiles fsyncs the files of a flat directory that are not
// blobs (already flushed by PutBlob) and the directory itself.
func syncSmallFiles(dir string, blobs map[digest.Digest]bool) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	isBlob := map[string]bool{}
	for d := range blobs {
		isBlob[d.Encoded()] = true
	}
	for _, e := range entries {
		if isBlob[e.Name()] {
			continue
		}
		f, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return fsutil.SyncDir(dir)
}
