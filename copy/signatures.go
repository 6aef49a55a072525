package copy

import (
	"context"
	"fmt"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

// carriedSignatures returns the source signatures to copy. A signature
// covers the exact manifest bytes, so if the manifest must change
// (conversion, recompression) they cannot follow: that is an error unless
// the caller asked to remove them, as with skopeo.
func (c *copier) carriedSignatures(ctx context.Context, u *UnparsedImage, changes bool, target image.Format) ([][]byte, error) {
	if c.opts.RemoveSignatures {
		return nil, nil
	}
	sigs, err := u.Signatures(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: reading signatures: %w", describe(u), err)
	}
	if _, err := parseSignatures(sigs); err != nil {
		return nil, fmt.Errorf("%s: %w", describe(u), err)
	}
	if changes && len(sigs) > 0 {
		return nil, fmt.Errorf("%s: the image has %d signature(s) and its manifest would change (written as %s with the layer compression the destination needs); copy with --remove-signatures to drop them: %w",
			describe(u), len(sigs), target, errdefs.ErrPrecondition)
	}
	return sigs, nil
}

// putSignatures writes the carried signatures plus a new one when asked.
func (c *copier) putSignatures(ctx context.Context, sigs [][]byte, manifest []byte, instance digest.Digest) error {
	if c.opts.Signer != nil {
		identity := c.opts.SignIdentity
		if identity == nil {
			identity = c.dst.Reference().DockerReference()
		}
		if identity == nil {
			return fmt.Errorf("cannot sign: %s has no registry name to sign; give one with --sign-identity: %w",
				c.dst.Reference().Transport(), errdefs.ErrInvalidArgument)
		}
		c.progress.Note("Signing manifest as " + identity.String())
		sig, err := c.opts.Signer.Sign(ctx, manifest, identity)
		if err != nil {
			return fmt.Errorf("signing: %w", err)
		}
		sigs = append(sigs, sig)
	}
	if len(sigs) == 0 {
		return nil
	}
	c.progress.Note(fmt.Sprintf("Storing %d signature(s)", len(sigs)))
	if err := c.dst.PutSignatures(ctx, sigs, instance); err != nil {
		return fmt.Errorf("writing signatures: %w", err)
	}
	return nil
}
