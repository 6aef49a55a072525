package copy

import (
	"context"
	"errors"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/compression"
	"github.com/ocid-project/ocid/internal/verify"
	"github.com/ocid-project/ocid/transport"
)

// layerPlan says what happens to one layer on the way.
type layerPlan struct {
	from, to image.Compression
	// diffID is the uncompressed digest (from the config), used to verify
	// a decompressed layer; "" when unknown.
	diffID digest.Digest
	// skip: a non-distributable layer the destination references by URL.
	skip bool
}

func (p layerPlan) transform() bool { return !p.skip && p.from != p.to }

// planLayers decides each layer's compression from the destination's
// wish and --dest-compress-format, and refuses what the target format
// cannot carry before any byte moves.
func (c *copier) planLayers(m *image.Manifest, cfg *image.Config, target image.Format) ([]layerPlan, error) {
	plans := make([]layerPlan, len(m.Layers))
	desired := c.dst.DesiredLayerCompression()
	for i, l := range m.Layers {
		from, known := image.LayerCompression(l.MediaType)
		p := layerPlan{from: from, to: from}
		if cfg != nil && i < len(cfg.RootFS.DiffIDs) {
			p.diffID = cfg.RootFS.DiffIDs[i]
		}
		switch {
		case !known:
			// Not an image layer (an artifact blob): copied byte for byte.
		case image.IsForeignLayer(l.MediaType) && len(l.URLs) > 0 && c.dst.AcceptsForeignLayers():
			p.skip = true
		case desired == transport.Decompress:
			p.to = image.Uncompressed
		case c.opts.Compression != nil:
			p.to = *c.opts.Compression
		case desired == transport.Compress && from == image.Uncompressed:
			p.to = image.Gzip
		}
		if known && target == image.FormatDocker && p.to == image.Zstd {
			return nil, fmt.Errorf("layer %d (%s): docker v2s2 manifests cannot carry zstd layers; use --format oci or --dest-compress-format gzip: %w", i, l.Digest, errdefs.ErrInvalidArgument)
		}
		plans[i] = p
	}
	return plans, nil
}

// copyLayer copies one layer, retrying the whole transfer after a
// transient failure (a registry restarting, a connection reset).
func (c *copier) copyLayer(ctx context.Context, desc image.Descriptor, p layerPlan) (image.Descriptor, error) {
	if p.skip {
		return desc, nil
	}
	tr := c.progress.Blob(desc, "layer")
	if !p.transform() {
		if ok, err := c.dst.HasBlob(ctx, desc); err == nil && ok {
			tr.Done("exists", nil)
			return desc, nil
		}
		if m, ok := c.dst.(transport.BlobMounter); ok {
			if mounted, err := m.MountBlob(ctx, desc, c.src.Reference()); err == nil && mounted {
				tr.Done("mounted", nil)
				return desc, nil
			}
		}
	}
	for attempt := 0; ; attempt++ {
		out, err := c.transferLayer(ctx, desc, p, tr)
		if err == nil {
			tr.Done("copied", nil)
			return out, nil
		}
		if attempt >= c.opts.Retries || ctx.Err() != nil || !errors.Is(err, errdefs.ErrUnavailable) {
			tr.Done("failed", err)
			return image.Descriptor{}, err
		}
		c.log.Info("retrying layer transfer", "layer", desc.Digest, "attempt", attempt+1, "error", err)
	}
}

func (c *copier) transferLayer(ctx context.Context, desc image.Descriptor, p layerPlan, tr BlobTracker) (image.Descriptor, error) {
	rc, _, err := c.src.Blob(ctx, desc)
	if err != nil {
		return image.Descriptor{}, err
	}
	defer rc.Close()
	in := &countingReader{r: rc, tr: tr}
	if !p.transform() {
		return c.dst.PutBlob(ctx, in, desc)
	}
	mt, err := image.LayerMediaType(image.LayerFormat(desc.MediaType), p.to, image.IsForeignLayer(desc.MediaType))
	if err != nil {
		return image.Descriptor{}, err
	}
	want := image.Descriptor{MediaType: mt, Size: -1}
	if p.to == image.Uncompressed {
		want.Digest = p.diffID
	}
	// The source is verified as it is read: a mismatch surfaces at its
	// EOF, fails the pipe, and so fails PutBlob before it commits.
	src := verify.NewReader(in, desc.Digest, desc.Size)
	pr, pw := io.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := compression.Recompress(pw, src, p.to)
		if err == nil {
			_, err = io.Copy(io.Discard, src) // trailing bytes still count for the digest
		}
		pw.CloseWithError(err)
	}()
	out, err := c.dst.PutBlob(ctx, pr, want)
	pr.CloseWithError(errors.New("upload ended"))
	<-done
	if err != nil {
		return image.Descriptor{}, err
	}
	out.MediaType = mt
	return out, nil
}

// countingReader reports bytes read from the source to the progress.
type countingReader struct {
	r  io.Reader
	tr BlobTracker
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.tr.Add(int64(n))
	return n, err
}
