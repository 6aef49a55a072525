package signature

import (
	"fmt"
	"strings"
	"time"

	"github.com/distribution/reference"
)

// DefaultCreator is written into optional.creator when none is given.
const DefaultCreator = "ocid"

// SignOptions tune StandaloneSign.
type SignOptions struct {
	Creator string    // optional.creator; DefaultCreator when empty
	Now     time.Time // signature and payload time; the current time when zero
}

// StandaloneSign signs manifest as dockerRef with key, as `skopeo
// standalone-sign` does: the payload names the manifest's digest (see
// ManifestDigest) and dockerRef exactly as given (it must parse as a
// docker reference; it is not normalized, so "busybox:latest" stays so).
func StandaloneSign(manifest []byte, dockerRef string, key *SigningKey, opts *SignOptions) ([]byte, error) {
	if _, err := reference.ParseNormalizedNamed(dockerRef); err != nil {
		return nil, invalidWrap(fmt.Sprintf("invalid docker reference %q", dockerRef), err)
	}
	d, err := ManifestDigest(manifest)
	if err != nil {
		return nil, invalidWrap("computing manifest digest", err)
	}
	var o SignOptions
	if opts != nil {
		o = *opts
	}
	if o.Creator == "" {
		o.Creator = DefaultCreator
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	payload, err := MarshalPayload(NewPayload(d, dockerRef, o.Creator, o.Now))
	if err != nil {
		return nil, err
	}
	return SignAt(payload, key, o.Now)
}

// StandaloneVerify checks sig as `skopeo standalone-verify` does: signed
// by the key with fingerprint expectedFPR (found in keyring), for the
// digest of manifest, and for dockerRef, where both references are
// normalized before comparing ("busybox:latest" equals
// "docker.io/library/busybox:latest"; "busybox" without a tag does not).
func StandaloneVerify(manifest []byte, dockerRef, expectedFPR string, sig []byte, keyring *Keyring) (*Payload, error) {
	expectedRef, err := reference.ParseNormalizedNamed(dockerRef)
	if err != nil {
		return nil, invalidWrap(fmt.Sprintf("invalid docker reference %q", dockerRef), err)
	}
	want := strings.ToUpper(strings.ReplaceAll(expectedFPR, " ", ""))
	p, _, err := VerifyAndParse(sig, keyring, Rules{
		AcceptSigner: func(fpr string) error {
			if fpr != want {
				return invalidf(fmt.Sprintf("Signature by %s does not match expected fingerprint %s", fpr, expectedFPR))
			}
			return nil
		},
		CheckDigest: DigestRule(manifest),
		CheckIdentity: func(signed string) error {
			signedRef, err := reference.ParseNormalizedNamed(signed)
			if err != nil {
				return invalidf(fmt.Sprintf("Invalid docker reference %s in signature", signed))
			}
			if signedRef.String() != expectedRef.String() {
				return invalidf(fmt.Sprintf("Docker reference %s does not match %s", signed, dockerRef))
			}
			return nil
		},
	})
	return p, err
}
