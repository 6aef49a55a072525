package store

import (
	"context"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	ostore "github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport"
)

type destination struct {
	ref    *Reference
	pull   *ostore.Pull
	stored *ostore.Image
}

func (d *destination) Reference() transport.Reference { return d.ref }

// SupportedManifestTypes: the store keeps one image per name; an index
// is resolved to this platform's image by the copy.
func (d *destination) SupportedManifestTypes() []string {
	return []string{image.MediaTypeOCIManifest, image.MediaTypeDockerManifest}
}

// DesiredLayerCompression: the store decompresses while unpacking, and
// keeps the compressed digest to recognise the blob next time.
func (d *destination) DesiredLayerCompression() transport.LayerCompression {
	return transport.PreserveCompression
}
func (d *destination) AcceptsForeignLayers() bool { return false }

func (d *destination) HasBlob(ctx context.Context, desc image.Descriptor) (bool, error) {
	return d.pull.HasBlob(desc)
}

func (d *destination) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	return d.pull.PutBlob(ctx, r, desc)
}

func (d *destination) PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error {
	if instance != "" {
		return fmt.Errorf("%s: the store holds one platform per name; copy without --all: %w", d.ref, errdefs.ErrInvalidArgument)
	}
	return d.pull.SetManifest(raw, mediaType)
}

func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error {
	d.pull.SetSignatures(sigs)
	return nil
}

func (d *destination) Commit(ctx context.Context) error {
	img, err := d.pull.Commit(ctx, []string{d.ref.named.String()})
	if err != nil {
		return fmt.Errorf("%s: %w", d.ref, err)
	}
	d.stored = img
	return nil
}

// Stored returns the image Commit stored (nil before).
func (d *destination) Stored() *ostore.Image { return d.stored }

func (d *destination) Close() error {
	d.pull.Abort()
	return nil
}
