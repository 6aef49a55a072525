package copy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"

	digest "github.com/opencontainers/go-digest"
	"golang.org/x/sync/errgroup"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/verify"
)

// maxConfigSize bounds an image config read into memory.
const maxConfigSize = 32 << 20

// copyImage copies one single-image manifest and its blobs. asInstance
// is true when it is an entry of an index copied with --all; otherwise
// the manifest becomes the destination's top level.
func (c *copier) copyImage(ctx context.Context, u *UnparsedImage, asInstance bool) (*Result, error) {
	raw, mt, err := u.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	if !image.IsManifest(mt) {
		return nil, fmt.Errorf("%s: media type %q is not an image manifest ocid can copy: %w", describe(u), mt, errdefs.ErrInvalidArgument)
	}
	m, err := image.ParseManifest(raw, mt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u), err)
	}
	target, err := c.targetFormat(image.FormatOf(mt))
	if err != nil {
		return nil, err
	}
	cfgRaw, cfg, err := c.readConfig(ctx, m)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u), err)
	}
	plans, err := c.planLayers(m, cfg, target)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u), err)
	}
	changes := target != image.FormatOf(mt) || slices.ContainsFunc(plans, func(p layerPlan) bool { return p.transform() })

	sigs, err := c.carriedSignatures(ctx, u, changes, target)
	if err != nil {
		return nil, err
	}
	if err := c.putConfig(ctx, m.Config, cfgRaw); err != nil {
		return nil, err
	}
	layers, err := c.copyLayers(ctx, m.Layers, plans)
	if err != nil {
		return nil, err
	}

	outRaw, outType := raw, mt
	if changes {
		nm := *m
		nm.Layers = layers
		converted, err := image.ConvertManifest(&nm, target)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(u), err)
		}
		if outRaw, err = converted.Marshal(); err != nil {
			return nil, err
		}
		outType = converted.MediaType
	}
	outDigest := digest.FromBytes(outRaw)
	instance := digest.Digest("")
	if asInstance {
		instance = outDigest
	}
	c.progress.Note(fmt.Sprintf("Writing manifest %s", outDigest))
	if err := c.dst.PutManifest(ctx, outRaw, outType, instance); err != nil {
		return nil, err
	}
	if err := c.putSignatures(ctx, sigs, outRaw, instance); err != nil {
		return nil, err
	}
	return &Result{Digest: outDigest, MediaType: outType, Manifest: outRaw}, nil
}

func describe(u *UnparsedImage) string {
	name := u.Reference().Transport() + ":" + u.Reference().StringWithinTransport()
	if u.Instance != "" {
		return name + " (instance " + u.Instance.String() + ")"
	}
	return name
}

// targetFormat is the manifest format to write: the forced one, else the
// source's if the destination stores it, else the destination's first.
func (c *copier) targetFormat(current image.Format) (image.Format, error) {
	want := current
	if c.opts.Format != image.FormatUnknown {
		want = c.opts.Format
	}
	supported := c.dst.SupportedManifestTypes()
	if supported == nil || slices.Contains(supported, want.ManifestMediaType()) {
		return want, nil
	}
	if c.opts.Format != image.FormatUnknown {
		return 0, fmt.Errorf("%s cannot store %s manifests: %w", c.dst.Reference().Transport(), want, errdefs.ErrInvalidArgument)
	}
	for _, mt := range supported {
		if image.IsManifest(mt) {
			return image.FormatOf(mt), nil
		}
	}
	return 0, fmt.Errorf("%s stores no image manifest type ocid knows", c.dst.Reference().Transport())
}

// readConfig reads and verifies the config blob. Configs of non-image
// artifacts are copied as they are, without being parsed.
func (c *copier) readConfig(ctx context.Context, m *image.Manifest) ([]byte, *image.Config, error) {
	rc, _, err := c.src.Blob(ctx, m.Config)
	if err != nil {
		return nil, nil, fmt.Errorf("reading config %s: %w", m.Config.Digest, err)
	}
	defer rc.Close()
	if m.Config.Size > maxConfigSize {
		return nil, nil, fmt.Errorf("config %s is %d bytes, over %d: %w", m.Config.Digest, m.Config.Size, maxConfigSize, errdefs.ErrInvalidArgument)
	}
	raw, err := io.ReadAll(verify.NewReader(io.LimitReader(rc, maxConfigSize+1), m.Config.Digest, m.Config.Size))
	if err != nil {
		return nil, nil, fmt.Errorf("reading config %s: %w", m.Config.Digest, err)
	}
	if m.Config.MediaType != image.MediaTypeOCIConfig && m.Config.MediaType != image.MediaTypeDockerConfig {
		return raw, nil, nil
	}
	cfg, err := image.ParseConfig(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := cfg.CheckLayers(m); err != nil {
		return nil, nil, err
	}
	return raw, cfg, nil
}

func (c *copier) putConfig(ctx context.Context, desc image.Descriptor, raw []byte) error {
	tr := c.progress.Blob(desc, "config")
	if ok, err := c.dst.HasBlob(ctx, desc); err == nil && ok {
		tr.Done("exists", nil)
		return nil
	}
	tr.Add(int64(len(raw)))
	_, err := c.dst.PutBlob(ctx, bytes.NewReader(raw), desc)
	tr.Done("copied", err)
	if err != nil {
		return fmt.Errorf("writing config %s: %w", desc.Digest, err)
	}
	return nil
}

// copyLayers copies layers concurrently, at most opts.Parallel at once,
// and returns their descriptors as written. A blob listed twice (empty
// layers often are) is transferred once.
func (c *copier) copyLayers(ctx context.Context, layers []image.Descriptor, plans []layerPlan) ([]image.Descriptor, error) {
	type key struct {
		d    digest.Digest
		mt   string
		plan layerPlan
	}
	first := map[key]int{}
	out := make([]image.Descriptor, len(layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.opts.parallel())
	for i := range layers {
		k := key{layers[i].Digest, layers[i].MediaType, plans[i]}
		if _, dup := first[k]; dup {
			continue
		}
		first[k] = i
		g.Go(func() error {
			d, err := c.copyLayer(gctx, layers[i], plans[i])
			if err != nil {
				return fmt.Errorf("copying layer %d (%s): %w", i, layers[i].Digest, err)
			}
			out[i] = d
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for i := range layers {
		out[i] = out[first[key{layers[i].Digest, layers[i].MediaType, plans[i]}]]
	}
	return out, nil
}
