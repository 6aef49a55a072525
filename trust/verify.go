package trust

import (
	"context"
	"fmt"

	"github.com/ocid-project/ocid/trust/signature"
)

// SignatureVerdict is what one signature of an image says and what the
// policy makes of it (`ocid image verify`).
type SignatureVerdict struct {
	Index    int              `json:"index"`
	Format   signature.Format `json:"format"`
	Signer   string           `json:"signer,omitempty"`   // key fingerprint, when a policy key verified it
	Identity string           `json:"identity,omitempty"` // the docker reference it signs
	Accepted bool             `json:"accepted"`
	Reason   string           `json:"reason"`
}

// VerifySignatures judges each signature of img on its own against the
// signature requirements that apply to img (signedBy, sigstoreSigned),
// so an operator sees which signature is good and why the others are not.
// Evaluate remains the decision for using the image.
func (pc *PolicyContext) VerifySignatures(ctx context.Context, img UnparsedImage) ([]SignatureVerdict, error) {
	sigs, err := img.Signatures(ctx)
	if err != nil {
		return nil, err
	}
	reqs, scope := pc.RequirementsFor(img.Reference())
	ev := &evaluation{pc: pc, img: img}
	var out []SignatureVerdict
	for i, s := range sigs {
		v := SignatureVerdict{Index: i + 1, Format: s.Format, Reason: fmt.Sprintf("no signature requirement in policy scope %q applies to this signature format", scope)}
		for j, r := range reqs {
			switch {
			case r.Type == TypeSignedBy && s.Format == signature.FormatSimpleSigning:
				pc.describeSimple(&v, r, s.SimpleSigning)
				if d := ev.acceptSimple(ctx, r, s.SimpleSigning); d != nil {
					v.Reason = d.reason
					continue
				}
			case r.Type == TypeSigstoreSigned && s.Format == signature.FormatSigstore && s.Sigstore != nil:
				if p, err := signature.ParseCosignPayload(s.Sigstore.Payload); err == nil {
					v.Identity = p.DockerReference
				}
				single := &evaluation{pc: pc, img: oneSignature{img, s}}
				if d := single.sigstoreSigned(ctx, r); d != nil {
					v.Reason = d.reason
					continue
				}
			default:
				continue
			}
			v.Accepted = true
			v.Reason = fmt.Sprintf("accepted by requirement %d (%s) of policy scope %q", j, r.Type, scope)
			break
		}
		out = append(out, v)
	}
	return out, nil
}

// describeSimple fills in who signed and what, when a key of r's keyring
// verifies the signature (whether or not the policy then accepts it).
func (pc *PolicyContext) describeSimple(v *SignatureVerdict, r *Requirement, blob []byte) {
	kr, err := pc.gpgKeyring(r)
	if err != nil {
		return
	}
	payload, fpr, err := signature.VerifyAt(blob, kr, pc.now())
	if err != nil {
		return
	}
	v.Signer = fpr
	if p, err := signature.ParsePayload(payload); err == nil {
		v.Identity = p.DockerReference
	}
}

// oneSignature presents img with a single one of its signatures.
type oneSignature struct {
	UnparsedImage
	sig signature.Signature
}

func (o oneSignature) Signatures(context.Context) ([]signature.Signature, error) {
	return []signature.Signature{o.sig}, nil
}
