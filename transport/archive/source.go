package archive

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/compression"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/tarindex"
)

// source reads one image of an archive in place. docker save stores no
// registry manifest, so one is made up: Docker schema 2, the config blob
// as stored, and each layer file as a blob (uncompressed layers, whose
// digest is their diffID, declare the uncompressed media type).
type source struct {
	ref      *Reference
	idx      *tarindex.Index
	manifest []byte
	paths    map[digest.Digest]string
}

func newSource(ref *Reference) (*source, error) {
	idx, err := tarindex.Open(ref.path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	s := &source{ref: ref, idx: idx, paths: map[digest.Digest]string{}}
	if err := s.load(); err != nil {
		idx.Close()
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return s, nil
}

func (s *source) load() error {
	raw, err := s.idx.ReadFile("manifest.json", image.MaxManifestSize)
	if err != nil {
		return fmt.Errorf("not a docker archive: %w", err)
	}
	var items []manifestItem
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("manifest.json: %v: %w", err, errdefs.ErrInvalidArgument)
	}
	item, err := s.choose(items)
	if err != nil {
		return err
	}
	cfgRaw, err := s.idx.ReadFile(item.Config, 32<<20)
	if err != nil {
		return fmt.Errorf("config %s: %w", item.Config, err)
	}
	cfg, err := image.ParseConfig(cfgRaw)
	if err != nil {
		return err
	}
	if len(cfg.RootFS.DiffIDs) != len(item.Layers) {
		return fmt.Errorf("manifest.json lists %d layers, the config %d: %w", len(item.Layers), len(cfg.RootFS.DiffIDs), errdefs.ErrInvalidArgument)
	}
	m := image.Manifest{
		SchemaVersion: 2,
		MediaType:     image.MediaTypeDockerManifest,
		Config:        image.Descriptor{MediaType: image.MediaTypeDockerConfig, Digest: digest.FromBytes(cfgRaw), Size: int64(len(cfgRaw))},
		Layers:        []image.Descriptor{},
	}
	s.paths[m.Config.Digest] = item.Config
	for i, p := range item.Layers {
		d, err := s.layerDescriptor(p, cfg.RootFS.DiffIDs[i])
		if err != nil {
			return fmt.Errorf("layer %s: %w", p, err)
		}
		s.paths[d.Digest] = p
		m.Layers = append(m.Layers, d)
	}
	s.manifest, err = m.Marshal()
	return err
}

// choose picks the image by name:tag, by @N, or the only one.
func (s *source) choose(items []manifestItem) (*manifestItem, error) {
	switch {
	case s.ref.index >= 0:
		if s.ref.index >= len(items) {
			return nil, fmt.Errorf("no image @%d: the archive has %d: %w", s.ref.index, len(items), errdefs.ErrNotFound)
		}
		return &items[s.ref.index], nil
	case s.ref.named != nil:
		for i := range items {
			for _, tag := range items[i].RepoTags {
				if n, err := image.ParseDockerReference(tag); err == nil && n.String() == s.ref.named.String() {
					return &items[i], nil
				}
			}
		}
		return nil, fmt.Errorf("no image tagged %s in the archive: %w", s.ref.named, errdefs.ErrNotFound)
	case len(items) != 1:
		return nil, fmt.Errorf("the archive holds %d images; choose one with :NAME:TAG or :@N: %w", len(items), errdefs.ErrInvalidArgument)
	}
	return &items[0], nil
}

// layerDescriptor describes a layer file. An uncompressed one is named by
// its diffID (verified when copied); a compressed one must be hashed.
func (s *source) layerDescriptor(p string, diffID digest.Digest) (image.Descriptor, error) {
	rc, size, err := s.idx.Open(p)
	if err != nil {
		return image.Descriptor{}, err
	}
	defer rc.Close()
	comp, r, err := compression.Detect(rc)
	if err != nil {
		return image.Descriptor{}, err
	}
	if comp == image.Uncompressed {
		return image.Descriptor{MediaType: image.MediaTypeDockerLayerUncompressed, Digest: diffID, Size: size}, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return image.Descriptor{}, err
	}
	mt, err := image.LayerMediaType(image.FormatDocker, comp, false)
	if err != nil {
		if mt, err = image.LayerMediaType(image.FormatOCI, comp, false); err != nil {
			return image.Descriptor{}, err
		}
	}
	return image.Descriptor{MediaType: mt, Digest: digest.NewDigestFromBytes(digest.SHA256, h.Sum(nil)), Size: size}, nil
}

func (s *source) Reference() transport.Reference { return s.ref }
func (s *source) Close() error                   { return s.idx.Close() }

func (s *source) Manifest(ctx context.Context, instance digest.Digest) ([]byte, string, error) {
	if instance != "" {
		return nil, "", fmt.Errorf("%s: an archive image has no instances: %w", s.ref, errdefs.ErrNotFound)
	}
	return s.manifest, image.MediaTypeDockerManifest, nil
}

func (s *source) Blob(ctx context.Context, desc image.Descriptor) (io.ReadCloser, int64, error) {
	p, ok := s.paths[desc.Digest]
	if !ok {
		return nil, 0, fmt.Errorf("%s: no blob %s: %w", s.ref, desc.Digest, errdefs.ErrNotFound)
	}
	return s.idx.Open(p)
}

func (s *source) Signatures(context.Context, digest.Digest) ([][]byte, error) { return nil, nil }
