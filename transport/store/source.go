package store

import (
	"context"
	"fmt"
	"io"
	"slices"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	ostore "github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport"
)

type source struct {
	ref      *Reference
	s        *ostore.Store
	img      *ostore.Image
	raw      []byte
	mt       string
	original bool // raw is the stored manifest (so signatures apply)
	diffIDs  map[digest.Digest]bool
}

func newSource(ctx context.Context, s *ostore.Store, ref *Reference) (*source, error) {
	img, err := s.Lookup(ref.lookupKey())
	if err != nil {
		return nil, err
	}
	raw, err := s.ImageBlob(img, img.Manifest)
	if err != nil {
		return nil, err
	}
	src := &source{ref: ref, s: s, img: img, raw: raw, mt: img.ManifestType, original: true, diffIDs: map[digest.Digest]bool{}}
	for _, d := range img.Layers {
		src.diffIDs[d] = true
	}
	m, err := image.ParseManifest(raw, img.ManifestType)
	if err != nil {
		return nil, err
	}
	if !src.allBlobsKept(m) {
		if err := src.rebuildManifest(m); err != nil {
			return nil, err
		}
	}
	return src, nil
}

func (s *source) allBlobsKept(m *image.Manifest) bool {
	for _, l := range m.Layers {
		rc, _, err := s.s.OpenLayerBlob(s.img, l.Digest)
		if err != nil {
			return false
		}
		rc.Close()
	}
	return true
}

// rebuildManifest describes the layers as the store can give them back:
// uncompressed, named by diffID.
func (s *source) rebuildManifest(m *image.Manifest) error {
	nm := *m
	nm.Layers = make([]image.Descriptor, len(m.Layers))
	for i, l := range m.Layers {
		diffID := s.img.Layers[i]
		size, err := s.s.LayerSize(s.img, diffID)
		if err != nil {
			return err
		}
		mt, err := image.LayerMediaType(image.FormatOf(m.MediaType), image.Uncompressed, image.IsForeignLayer(l.MediaType))
		if err != nil {
			return err
		}
		nm.Layers[i] = image.Descriptor{MediaType: mt, Digest: diffID, Size: size}
	}
	raw, err := nm.Marshal()
	if err != nil {
		return err
	}
	s.raw, s.original = raw, false
	return nil
}

func (s *source) Reference() transport.Reference { return s.ref }
func (s *source) Close() error                   { return nil }

func (s *source) Manifest(ctx context.Context, instance digest.Digest) ([]byte, string, error) {
	if instance != "" && instance != digest.FromBytes(s.raw) {
		return nil, "", fmt.Errorf("%s: no instance %s: %w", s.ref, instance, errdefs.ErrNotFound)
	}
	return s.raw, s.mt, nil
}

func (s *source) Blob(ctx context.Context, desc image.Descriptor) (io.ReadCloser, int64, error) {
	if desc.Digest == s.img.ID || slices.Contains(s.img.Digests, desc.Digest) {
		raw, err := s.s.ImageBlob(s.img, desc.Digest)
		if err != nil {
			return nil, 0, err
		}
		return io.NopCloser(bytesReader(raw)), int64(len(raw)), nil
	}
	if s.diffIDs[desc.Digest] && !s.original {
		return s.s.ExportLayer(ctx, s.img, desc.Digest)
	}
	return s.s.OpenLayerBlob(s.img, desc.Digest)
}

// Signatures apply to the stored manifest only; a rebuilt one has none.
func (s *source) Signatures(ctx context.Context, instance digest.Digest) ([][]byte, error) {
	if !s.original {
		return nil, nil
	}
	return s.s.ImageSignatures(s.img)
}
