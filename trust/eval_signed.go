package trust

import (
	"context"
	"crypto"
	"fmt"
	"os"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/trust/signature"
)

// noSignature is containers/image's wording.
const noSignature = "A signature was required, but no signature exists"

// signedBy allows the image if at least one simple-signing signature is
// accepted: made by a key of the requirement's keyring, valid now,
// naming this manifest's digest and an identity signedIdentity accepts.
// Other signature formats are not looked at (as in containers/image).
func (ev *evaluation) signedBy(ctx context.Context, r *Requirement) *denial {
	sigs, err := ev.img.Signatures(ctx)
	if err != nil {
		return denyErr(fmt.Errorf("reading signatures: %w", err))
	}
	var rejections []*denial
	for _, s := range sigs {
		if s.Format != signature.FormatSimpleSigning {
			continue
		}
		if d := ev.acceptSimple(ctx, r, s.SimpleSigning); d != nil {
			rejections = append(rejections, d)
			continue
		}
		return nil
	}
	return summarize(rejections, noSignature)
}

func (ev *evaluation) acceptSimple(ctx context.Context, r *Requirement, blob []byte) *denial {
	if r.KeyType != KeyTypeGPGKeys {
		return deny("Unimplemented \"keyType\" value %q", r.KeyType)
	}
	kr, err := ev.pc.gpgKeyring(r)
	if err != nil {
		return denyErr(err)
	}
	if kr.Len() == 0 {
		return deny("No public keys imported")
	}
	trusted := map[string]bool{}
	for _, f := range kr.Fingerprints() {
		trusted[f] = true
	}
	var cause error
	_, _, err = signature.VerifyAndParse(blob, kr, signature.Rules{
		Now: ev.pc.now(),
		AcceptSigner: func(fpr string) error {
			if !trusted[fpr] {
				return fmt.Errorf("Signature by key %s is not accepted", fpr)
			}
			return nil
		},
		CheckDigest: func(d digest.Digest) error {
			err := ev.checkDigest(ctx, d)
			if err != nil && !signature.IsInvalidSignature(err) {
				cause = err
			}
			return err
		},
		CheckIdentity: ev.identityRule(r),
	})
	if err != nil {
		return &denial{reason: err.Error(), cause: cause}
	}
	return nil
}

func (ev *evaluation) checkDigest(ctx context.Context, d digest.Digest) error {
	m, err := ev.getManifest(ctx)
	if err != nil {
		return err
	}
	return signature.DigestRule(m)(d)
}

func (ev *evaluation) identityRule(r *Requirement) func(string) error {
	return func(signed string) error {
		if !r.identity().matches(ev.img.Reference().DockerReference(), signed) {
			return fmt.Errorf("Signature for identity %s is not accepted", signed)
		}
		return nil
	}
}

// sigstoreSigned allows the image if at least one cosign signature (a
// sigstore signature with the cosign MIME type) verifies with the
// requirement's public key and names this manifest and an accepted
// identity.
func (ev *evaluation) sigstoreSigned(ctx context.Context, r *Requirement) *denial {
	sigs, err := ev.img.Signatures(ctx)
	if err != nil {
		return denyErr(fmt.Errorf("reading signatures: %w", err))
	}
	var rejections []*denial
	nonSigstore, nonCosign := 0, 0
	for _, s := range sigs {
		if s.Format != signature.FormatSigstore || s.Sigstore == nil {
			nonSigstore++
			continue
		}
		if s.Sigstore.MIMEType != signature.CosignSignatureMIMEType {
			nonCosign++
			continue
		}
		pub, err := ev.pc.cosignKey(r)
		if err != nil {
			rejections = append(rejections, denyErr(err))
			continue
		}
		var cause error
		_, err = signature.VerifyCosign(s.Sigstore, pub, signature.CosignRules{
			CheckDigest: func(d digest.Digest) error {
				err := ev.checkDigest(ctx, d)
				if err != nil && !signature.IsInvalidSignature(err) {
					cause = err
				}
				return err
			},
			CheckIdentity: ev.identityRule(r),
		})
		if err != nil {
			rejections = append(rejections, &denial{reason: err.Error(), cause: cause})
			continue
		}
		return nil
	}
	none := noSignature
	if nonSigstore+nonCosign > 0 {
		none = fmt.Sprintf("%s (%s, %s)", noSignature, countNoun(nonSigstore, "non-sigstore signature"), countNoun(nonCosign, "sigstore non-signature attachment"))
	}
	return summarize(rejections, none)
}

// keyEntry caches the keys a requirement's key sources yielded. Only
// successes are cached: a key file that is missing now may be installed
// later, and must then be picked up without reloading the policy.
type keyEntry struct {
	gpg    *signature.Keyring
	cosign crypto.PublicKey
}

// gpgKeyring reads (once) the keyring of a signedBy requirement.
func (pc *PolicyContext) gpgKeyring(r *Requirement) (*signature.Keyring, error) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e, ok := pc.keys[r]; ok {
		return e.gpg, nil
	}
	var kr *signature.Keyring
	var err error
	switch {
	case r.KeyPath != "":
		kr, err = signature.LoadKeyringFiles(r.KeyPath)
	case r.KeyPaths != nil:
		kr, err = signature.LoadKeyringFiles(r.KeyPaths...)
	case r.KeyData != nil:
		if kr, err = signature.ReadKeyring(r.KeyData); err != nil {
			err = fmt.Errorf("keyData: %w", err)
		}
	default:
		err = fmt.Errorf("internal error: signedBy without keys")
	}
	if err != nil {
		return nil, err
	}
	pc.keys[r] = &keyEntry{gpg: kr}
	return kr, nil
}

// cosignKey reads (once) the public key of a sigstoreSigned requirement.
func (pc *PolicyContext) cosignKey(r *Requirement) (crypto.PublicKey, error) {
	pc.mu.Lock()
	defer pc.mu.Unlock()
	if e, ok := pc.keys[r]; ok {
		return e.cosign, nil
	}
	data := r.KeyData
	if r.KeyPath != "" {
		var err error
		if data, err = os.ReadFile(r.KeyPath); err != nil {
			return nil, fmt.Errorf("reading sigstore public key: %w", err)
		}
	}
	pub, err := signature.ReadCosignPublicKey(data)
	if err != nil {
		return nil, err
	}
	pc.keys[r] = &keyEntry{cosign: pub}
	return pub, nil
}
