package ocilayout

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

const layoutFileContent = `{"imageLayoutVersion":"1.0.0"}`

// destination writes into a layout directory. A new layout is assembled
// in a hidden directory and renamed into place on Commit. An existing one
// is added to: blobs are written atomically beside the others (and
// removed again if the copy fails), and index.json is replaced
// atomically on Commit, so readers never see a half-added image.
type destination struct {
	ref     *Reference
	root    string // where blobs and index.json are written
	inPlace bool   // root is the existing layout
	mu      sync.Mutex
	created []string // blob files this copy added (removed on failure)
	// scratch: the layout is a temporary one an archive is made from;
	// only the archive needs flushing.
	scratch   bool
	top       *image.Descriptor
	committed bool
}

func newDestination(ref *Reference) (*destination, error) {
	inPlace, err := existingLayout(ref.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	d := &destination{ref: ref, inPlace: inPlace, root: ref.path}
	if !inPlace {
		if d.root, err = fsutil.TempDirBeside(ref.path); err != nil {
			return nil, fmt.Errorf("%s: %w", ref, err)
		}
	}
	if err := os.MkdirAll(filepath.Join(d.root, "blobs", "sha256"), 0o755); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

// existingLayout tells whether path is a layout to add to. An absent or
// empty directory gets a new layout; anything else is refused.
func existingLayout(path string) (bool, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !st.IsDir() {
		return false, fmt.Errorf("%s exists and is not a directory: %w", path, errdefs.ErrAlreadyExists)
	}
	if empty, err := fsutil.IsEmptyDir(path); err != nil || empty {
		return false, err
	}
	if _, err := os.Stat(filepath.Join(path, "oci-layout")); err != nil {
		return false, fmt.Errorf("%s is not empty and is not an OCI layout (no oci-layout file); refusing to write into it: %w", path, errdefs.ErrAlreadyExists)
	}
	return true, nil
}

func (d *destination) Reference() transport.Reference { return d.ref }

// SupportedManifestTypes: an OCI layout holds OCI manifests; Docker ones
// are converted, as skopeo does.
func (d *destination) SupportedManifestTypes() []string {
	return []string{image.MediaTypeOCIManifest, image.MediaTypeOCIIndex}
}

func (d *destination) DesiredLayerCompression() transport.LayerCompression {
	return transport.PreserveCompression
}
func (d *destination) AcceptsForeignLayers() bool { return false }

func (d *destination) blobFile(dg digest.Digest) string {
	return filepath.Join(d.root, filepath.FromSlash(blobPath(dg)))
}

// HasBlob is true for blobs already in an existing layout with the
// expected size, so adding a second tag of an image copies nothing.
func (d *destination) HasBlob(ctx context.Context, desc image.Descriptor) (bool, error) {
	if desc.Digest.Validate() != nil {
		return false, nil
	}
	st, err := os.Stat(d.blobFile(desc.Digest))
	if err != nil {
		return false, nil
	}
	return desc.Size < 0 || st.Size() == desc.Size, nil
}

func (d *destination) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	dir := filepath.Join(d.root, "blobs", "sha256")
	if desc.Digest != "" {
		if desc.Digest.Algorithm() != digest.SHA256 {
			dir = filepath.Join(d.root, "blobs", desc.Digest.Algorithm().String())
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return image.Descriptor{}, err
			}
		}
	}
	existed := map[string]bool{}
	out, err := blobfile.Write(dir, r, desc, func(dg digest.Digest) string {
		name := dg.Encoded()
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			existed[name] = true
		}
		return name
	}, blobfile.Options{Sync: !d.scratch}) // flushed as each completes, overlapping the others
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("%s: %w", d.ref, err)
	}
	if d.inPlace && !existed[out.Digest.Encoded()] {
		d.mu.Lock()
		d.created = append(d.created, d.blobFile(out.Digest))
		d.mu.Unlock()
	}
	return out, nil
}

func (d *destination) PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error {
	desc := image.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
	if _, err := d.PutBlob(ctx, bytesReader(raw), desc); err != nil {
		return err
	}
	if instance == "" {
		if d.ref.name != "" {
			desc.Annotations = map[string]string{refNameAnnotation: d.ref.name}
		}
		d.top = &desc
	}
	return nil
}

// PutSignatures: an OCI layout cannot store simple signatures; refusing
// is better than dropping them silently.
func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error {
	if len(sigs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: OCI layouts cannot store signatures; use --remove-signatures: %w", d.ref, errdefs.ErrInvalidArgument)
}

// Commit writes index.json (the old entries, minus any of the same name,
// plus the new one) and makes the layout visible.
func (d *destination) Commit(ctx context.Context) error {
	if d.top == nil {
		return fmt.Errorf("%s: nothing to commit: no manifest was written", d.ref)
	}
	idx := &image.Index{SchemaVersion: 2, MediaType: image.MediaTypeOCIIndex}
	if d.inPlace {
		old, err := readIndex(dirFS(d.root))
		if err != nil {
			return fmt.Errorf("%s: %w", d.ref, err)
		}
		for _, e := range old.Manifests {
			if !d.replaces(e) {
				idx.Manifests = append(idx.Manifests, e)
			}
		}
	}
	idx.Manifests = append(idx.Manifests, *d.top)
	raw, err := idx.Marshal()
	if err != nil {
		return err
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(d.root, "oci-layout"), []byte(layoutFileContent), 0o644); err != nil {
		return err
	}
	if !d.inPlace && !d.scratch {
		if err := syncDirs(d.root); err != nil {
			return err
		}
	}
	if err := fsutil.WriteFileAtomic(filepath.Join(d.root, "index.json"), raw, 0o644); err != nil {
		return err
	}
	if !d.inPlace {
		if err := fsutil.ReplaceDir(d.root, d.ref.path); err != nil {
			return fmt.Errorf("%s: %w", d.ref, err)
		}
	}
	d.committed = true
	return nil
}

// replaces tells whether an old index entry gives way to the new image:
// the same name, or, for an unnamed image, the same unnamed digest.
func (d *destination) replaces(e image.Descriptor) bool {
	name := e.Annotations[refNameAnnotation]
	if d.ref.name != "" {
		return name == d.ref.name
	}
	return name == "" && e.Digest == d.top.Digest
}

func (d *destination) Close() error {
	if d.committed {
		return nil
	}
	if !d.inPlace {
		return os.RemoveAll(d.root)
	}
	for _, f := range d.created {
		os.Remove(f)
	}
	return nil
}

// syncDirs fsyncs the directories of a new layout (blobs were flushed
// as they were written), so the renames in them survive a crash.
func syncDirs(root string) error {
	return filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
