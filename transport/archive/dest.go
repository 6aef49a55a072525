package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/blobfile"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/tarwrite"
)

// destination collects blobs in a temporary directory and writes the
// archive on Commit, beside the target, renamed into place when whole.
type destination struct {
	ref      *Reference
	tmp      string
	mu       sync.Mutex
	have     map[digest.Digest]bool
	manifest *image.Manifest
	done     bool
}

func newDestination(ref *Reference, opts *transport.Options) (*destination, error) {
	if ref.index >= 0 {
		return nil, fmt.Errorf("%s: @N selects an image to read; name the image as NAME:TAG to write: %w", ref, errdefs.ErrInvalidArgument)
	}
	if st, err := os.Stat(ref.path); err == nil && (st.IsDir() || st.Size() > 0) {
		return nil, fmt.Errorf("%s: the file exists; ocid does not add to existing archives (remove it first): %w", ref, errdefs.ErrAlreadyExists)
	}
	tmpRoot := ""
	if opts != nil {
		tmpRoot = opts.TempDir
	}
	tmp, err := os.MkdirTemp(tmpRoot, "ocid-docker-archive-")
	if err != nil {
		return nil, err
	}
	return &destination{ref: ref, tmp: tmp, have: map[digest.Digest]bool{}}, nil
}

func (d *destination) Reference() transport.Reference { return d.ref }

// SupportedManifestTypes: docker load understands Docker schema 2 only.
func (d *destination) SupportedManifestTypes() []string {
	return []string{image.MediaTypeDockerManifest}
}
func (d *destination) DesiredLayerCompression() transport.LayerCompression {
	return transport.Decompress
}
func (d *destination) AcceptsForeignLayers() bool { return false }

func (d *destination) HasBlob(ctx context.Context, desc image.Descriptor) (bool, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.have[desc.Digest], nil
}

func (d *destination) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	out, err := blobfile.Write(d.tmp, r, desc, func(dg digest.Digest) string { return dg.Encoded() }, blobfile.Options{})
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("%s: %w", d.ref, err)
	}
	d.mu.Lock()
	d.have[out.Digest] = true
	d.mu.Unlock()
	return out, nil
}

func (d *destination) PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error {
	if instance != "" {
		return fmt.Errorf("%s: an archive holds one image per copy, not an index: %w", d.ref, errdefs.ErrInvalidArgument)
	}
	m, err := image.ParseManifest(raw, mediaType)
	if err != nil {
		return err
	}
	d.manifest = m
	return nil
}

func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error {
	if len(sigs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: docker archives cannot store signatures; use --remove-signatures: %w", d.ref, errdefs.ErrInvalidArgument)
}

func (d *destination) Commit(ctx context.Context) error {
	if d.manifest == nil {
		return fmt.Errorf("%s: nothing to commit: no manifest was written", d.ref)
	}
	if err := fsutil.WriteAtomic(d.ref.path, 0o644, d.writeArchive); err != nil {
		return fmt.Errorf("%s: %w", d.ref, err)
	}
	d.done = true
	return nil
}

// writeArchive lays out what docker load reads: <config hex>.json,
// <diffID hex>.tar per layer (uncompressed, so digest = diffID),
// manifest.json, and the legacy repositories file when tagged.
func (d *destination) writeArchive(w io.Writer) error {
	tw := tarwrite.NewWriter(w)
	item := manifestItem{Config: d.manifest.Config.Digest.Encoded() + ".json", RepoTags: []string{}}
	if err := d.addFile(tw, item.Config, d.manifest.Config.Digest); err != nil {
		return err
	}
	written := map[string]bool{}
	for _, l := range d.manifest.Layers {
		name := l.Digest.Encoded() + ".tar"
		item.Layers = append(item.Layers, name)
		if written[name] {
			continue
		}
		written[name] = true
		if err := d.addFile(tw, name, l.Digest); err != nil {
			return err
		}
	}
	if d.ref.named != nil {
		item.RepoTags = []string{reference.FamiliarString(d.ref.named)}
	}
	raw, err := json.Marshal([]manifestItem{item})
	if err != nil {
		return err
	}
	if err := tw.File("manifest.json", bytesReader(raw), int64(len(raw))); err != nil {
		return err
	}
	return tw.Close()
}

func (d *destination) addFile(tw *tarwrite.Writer, name string, dg digest.Digest) error {
	f, err := os.Open(filepath.Join(d.tmp, dg.Encoded()))
	if err != nil {
		return fmt.Errorf("blob %s was not written: %w", dg, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	return tw.File(name, f, st.Size())
}

func (d *destination) Close() error { return os.RemoveAll(d.tmp) }
