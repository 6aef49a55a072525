package ocilayout

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/tarindex"
)

type source struct {
	ref   *Reference
	files files
	top   image.Descriptor
}

func newArchiveSource(ref *Reference) (*source, error) {
	idx, err := tarindex.Open(ref.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	s, err := newSource(ref, tarFS{idx})
	if err != nil {
		idx.Close()
		return nil, err
	}
	return s, nil
}

func newSource(ref *Reference, f files) (*source, error) {
	if err := checkLayoutFile(f); err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	idx, err := readIndex(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	top, err := chooseEntry(idx, ref.name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &source{ref: ref, files: f, top: top}, nil
}

func checkLayoutFile(f files) error {
	raw, err := readAll(f, "oci-layout", 1<<16)
	if err != nil {
		return fmt.Errorf("not an OCI image layout (oci-layout file: %w)", err)
	}
	var l struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := json.Unmarshal(raw, &l); err != nil || !strings.HasPrefix(l.Version, "1.") {
		return fmt.Errorf("oci-layout: unsupported or unreadable imageLayoutVersion %q: %w", l.Version, errdefs.ErrInvalidArgument)
	}
	return nil
}

func readIndex(f files) (*image.Index, error) {
	raw, err := readAll(f, "index.json", image.MaxManifestSize)
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	idx, err := image.ParseIndex(raw, image.MediaTypeOCIIndex)
	if err != nil {
		return nil, fmt.Errorf("index.json: %w", err)
	}
	return idx, nil
}

// chooseEntry finds the image named name, or the only image when name is "".
func chooseEntry(idx *image.Index, name string) (image.Descriptor, error) {
	if name == "" {
		if len(idx.Manifests) != 1 {
			return image.Descriptor{}, fmt.Errorf("the layout holds %d images; name one as PATH:NAME: %w", len(idx.Manifests), errdefs.ErrInvalidArgument)
		}
		return idx.Manifests[0], nil
	}
	var found []image.Descriptor
	for _, d := range idx.Manifests {
		if d.Annotations[refNameAnnotation] == name {
			found = append(found, d)
		}
	}
	switch len(found) {
	case 0:
		return image.Descriptor{}, fmt.Errorf("no image named %q in the layout: %w", name, errdefs.ErrNotFound)
	case 1:
		return found[0], nil
	}
	return image.Descriptor{}, fmt.Errorf("%d images are named %q in the layout: %w", len(found), name, errdefs.ErrInvalidArgument)
}

func (s *source) Reference() transport.Reference { return s.ref }
func (s *source) Close() error                   { return s.files.close() }

func (s *source) Manifest(ctx context.Context, instance digest.Digest) ([]byte, string, error) {
	d, declared := s.top.Digest, s.top.MediaType
	if instance != "" {
		d, declared = instance, ""
	}
	if err := d.Validate(); err != nil {
		return nil, "", fmt.Errorf("%s: manifest digest %q: %w", s.ref, d, errdefs.ErrInvalidArgument)
	}
	raw, err := readAll(s.files, blobPath(d), image.MaxManifestSize)
	if err != nil {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", s.ref, d, err)
	}
	if got := d.Algorithm().FromBytes(raw); got != d {
		return nil, "", fmt.Errorf("%s: manifest %s has digest %s (corrupted): %w", s.ref, d, got, errdefs.ErrInvalidArgument)
	}
	mt, err := image.DetectMediaType(raw, declared)
	if err != nil {
		return nil, "", fmt.Errorf("%s: manifest %s: %w", s.ref, d, err)
	}
	return raw, mt, nil
}

func (s *source) Blob(ctx context.Context, desc image.Descriptor) (io.ReadCloser, int64, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, 0, fmt.Errorf("%s: blob %q: %w", s.ref, desc.Digest, errdefs.ErrInvalidArgument)
	}
	rc, size, err := s.files.open(blobPath(desc.Digest))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: blob %s: %w", s.ref, desc.Digest, err)
	}
	return rc, size, nil
}

// Signatures: an OCI layout has no place for simple signatures.
func (s *source) Signatures(ctx context.Context, instance digest.Digest) ([][]byte, error) {
	return nil, nil
}
