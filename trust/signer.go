package trust

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/trust/signature"
)

// Signer signs manifests for an identity and returns the signature in
// its stored form (what lookaside files, dir: signature-N files and
// registry attachments hold).
type Signer struct {
	// exactly one of these
	key         *signature.SigningKey
	gpgFPR      string
	gpg         signature.GPGOptions
	cosignKey   *ecdsa.PrivateKey
	description string
}

// SignerOptions choose the signing key.
type SignerOptions struct {
	// KeyFile is an OpenPGP secret key file (gpg --export-secret-keys).
	KeyFile string
	// Fingerprint selects the key in KeyFile, or, without a KeyFile, the
	// key the gpg binary signs with.
	Fingerprint string
	// PassphraseFile unlocks a protected key.
	PassphraseFile string
	// GPGHome is GNUPGHOME for the gpg binary.
	GPGHome string
	// CosignKeyFile is a cosign (ECDSA P-256, PEM) private key: the
	// signature is then a sigstore one.
	CosignKeyFile string
}

// NewSigner loads the key the options name.
func NewSigner(o SignerOptions) (*Signer, error) {
	switch {
	case o.CosignKeyFile != "":
		pem, err := os.ReadFile(o.CosignKeyFile)
		if err != nil {
			return nil, fmt.Errorf("cosign key: %w", err)
		}
		k, err := signature.ReadCosignPrivateKey(pem)
		if err != nil {
			return nil, fmt.Errorf("cosign key %s: %w", o.CosignKeyFile, err)
		}
		return &Signer{cosignKey: k, description: "cosign key " + o.CosignKeyFile}, nil
	case o.KeyFile != "":
		var pass []byte
		if o.PassphraseFile != "" {
			b, err := os.ReadFile(o.PassphraseFile)
			if err != nil {
				return nil, fmt.Errorf("passphrase file: %w", err)
			}
			pass = []byte(strings.TrimRight(string(b), "\r\n"))
		}
		k, err := signature.LoadSigningKey(o.KeyFile, o.Fingerprint, pass)
		if err != nil {
			return nil, err
		}
		return &Signer{key: k, description: "key " + k.Fingerprint()}, nil
	case o.Fingerprint != "":
		return &Signer{gpgFPR: o.Fingerprint, gpg: signature.GPGOptions{Home: o.GPGHome, PassphraseFile: o.PassphraseFile}, description: "gpg key " + o.Fingerprint}, nil
	}
	return nil, fmt.Errorf("signing needs a key: --sign-by FINGERPRINT, a key file, or a cosign key: %w", errdefs.ErrInvalidArgument)
}

// String names the key, for messages.
func (s *Signer) String() string { return s.description }

// Sign signs manifest as identity.
func (s *Signer) Sign(ctx context.Context, manifest []byte, identity reference.Named) ([]byte, error) {
	return s.SignAs(ctx, manifest, identity.String())
}

// SignAs signs manifest as ref written exactly as given (skopeo's
// standalone-sign does not normalise it); ref must parse as a docker
// reference.
func (s *Signer) SignAs(ctx context.Context, manifest []byte, ref string) ([]byte, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, fmt.Errorf("invalid docker reference %q: %v: %w", ref, err, errdefs.ErrInvalidArgument)
	}
	switch {
	case s.cosignKey != nil:
		d, err := signature.ManifestDigest(manifest)
		if err != nil {
			return nil, err
		}
		// cosign names the repository without tag or digest.
		sig, err := signature.NewCosignSignature(d, reference.TrimNamed(named).String(), s.cosignKey, nil)
		if err != nil {
			return nil, err
		}
		return sig.Marshal()
	case s.key != nil:
		return signature.StandaloneSign(manifest, ref, s.key, nil)
	}
	d, err := signature.ManifestDigest(manifest)
	if err != nil {
		return nil, err
	}
	payload, err := signature.MarshalPayload(signature.NewPayload(d, ref, signature.DefaultCreator, time.Now()))
	if err != nil {
		return nil, err
	}
	return signature.GPGBinarySign(ctx, payload, s.gpgFPR, s.gpg)
}
