package copy

import (
	"context"
	"fmt"

	"github.com/ocid-project/ocid/trust"
	"github.com/ocid-project/ocid/trust/signature"
)

// PolicyFrom makes the policy engine a copy.Policy.
func PolicyFrom(pc *trust.PolicyContext) Policy { return trustPolicy{pc} }

type trustPolicy struct{ pc *trust.PolicyContext }

func (p trustPolicy) Allow(ctx context.Context, img *UnparsedImage) error {
	return p.pc.Evaluate(ctx, trustImage{img})
}

// TrustImage presents an UnparsedImage to the policy engine (for
// callers that evaluate or verify without copying).
func TrustImage(u *UnparsedImage) trust.UnparsedImage { return trustImage{u} }

// trustImage presents an UnparsedImage to the policy engine, parsing the
// stored signatures.
type trustImage struct{ u *UnparsedImage }

func (t trustImage) Reference() trust.ImageReference { return t.u.Reference() }

func (t trustImage) Manifest(ctx context.Context) ([]byte, string, error) {
	return t.u.Manifest(ctx)
}

func (t trustImage) Signatures(ctx context.Context) ([]signature.Signature, error) {
	blobs, err := t.u.Signatures(ctx)
	if err != nil {
		return nil, err
	}
	return parseSignatures(blobs)
}

// parseSignatures recognises each stored signature's format. A blob of
// no known format is an error, as in skopeo: copying it on would spread
// garbage that every later verification trips over.
func parseSignatures(blobs [][]byte) ([]signature.Signature, error) {
	out := make([]signature.Signature, 0, len(blobs))
	for i, b := range blobs {
		s, err := signature.Unmarshal(b)
		if err != nil {
			return nil, fmt.Errorf("signature %d: %w", i+1, err)
		}
		out = append(out, s)
	}
	return out, nil
}
