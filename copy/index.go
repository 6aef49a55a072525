package copy

import (
	"context"
	"fmt"
	"slices"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

// copyIndex copies a multi-platform image: without --all, the instance
// for the wanted platform becomes the destination's image (the index's
// signatures, checked by the policy, covered it); with --all, every
// instance is copied, checked against the policy with its own
// signatures, and the index is written last.
func (c *copier) copyIndex(ctx context.Context, top *UnparsedImage, raw []byte, mt string) (*Result, error) {
	idx, err := image.ParseIndex(raw, mt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", describe(top), err)
	}
	if !c.opts.All {
		d, err := image.ChooseInstance(idx, c.opts.Source.WantPlatform())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describe(top), err)
		}
		c.progress.Note(fmt.Sprintf("Copying %s instance %s", image.PlatformString(*d.Platform), d.Digest))
		return c.copyImage(ctx, &UnparsedImage{Source: c.src, Instance: d.Digest}, false)
	}

	target, err := c.targetIndexFormat(image.FormatOf(mt))
	if err != nil {
		return nil, err
	}
	out := image.ConvertIndex(idx, target)
	for i, d := range idx.Manifests {
		if !image.IsManifest(d.MediaType) {
			return nil, fmt.Errorf("%s: index entry %d (%s) has media type %q; only image manifests can be copied: %w",
				describe(top), i, d.Digest, d.MediaType, errdefs.ErrInvalidArgument)
		}
		inst := &UnparsedImage{Source: c.src, Instance: d.Digest}
		if err := checkPolicy(ctx, c.opts, inst); err != nil {
			return nil, err
		}
		res, err := c.copyImage(ctx, inst, true)
		if err != nil {
			return nil, err
		}
		out.Manifests[i].Digest, out.Manifests[i].Size, out.Manifests[i].MediaType = res.Digest, int64(len(res.Manifest)), res.MediaType
	}
	changed := !slices.EqualFunc(out.Manifests, idx.Manifests, func(a, b image.Descriptor) bool {
		return a.Digest == b.Digest && a.MediaType == b.MediaType
	}) || out.MediaType != idx.MediaType
	outRaw, outType := raw, mt
	if changed {
		if outRaw, err = out.Marshal(); err != nil {
			return nil, err
		}
		outType = out.MediaType
	}
	sigs, err := c.carriedSignatures(ctx, top, changed, target)
	if err != nil {
		return nil, err
	}
	c.progress.Note("Writing index " + digest.FromBytes(outRaw).String())
	if err := c.dst.PutManifest(ctx, outRaw, outType, ""); err != nil {
		return nil, err
	}
	if err := c.putSignatures(ctx, sigs, outRaw, ""); err != nil {
		return nil, err
	}
	return &Result{Digest: digest.FromBytes(outRaw), MediaType: outType, Manifest: outRaw}, nil
}

func (c *copier) targetIndexFormat(current image.Format) (image.Format, error) {
	want := current
	if c.opts.Format != image.FormatUnknown {
		want = c.opts.Format
	}
	supported := c.dst.SupportedManifestTypes()
	if supported == nil || slices.Contains(supported, want.IndexMediaType()) {
		return want, nil
	}
	for _, mt := range supported {
		if image.IsIndex(mt) {
			return image.FormatOf(mt), nil
		}
	}
	return 0, fmt.Errorf("%s cannot store multi-platform images; copy one platform (without --all): %w",
		c.dst.Reference().Transport(), errdefs.ErrInvalidArgument)
}
