package signature

import (
	"errors"
	"fmt"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Rules are the checks VerifyAndParse applies after the OpenPGP signature
// itself verified; all three are required, so forgetting one cannot
// silently accept a signature. Each returns nil to accept or an error
// saying why not; that error is returned as is.
type Rules struct {
	// AcceptSigner is step 2: is this primary-key fingerprint (40
	// upper-case hex) trusted?
	AcceptSigner func(fingerprint string) error
	// CheckDigest is step 4: does the signed manifest digest match?
	CheckDigest func(signed digest.Digest) error
	// CheckIdentity is step 5: is the signed docker reference acceptable?
	CheckIdentity func(signedReference string) error
	// Now is the time keys and signatures are judged at; zero means the
	// current time.
	Now time.Time
}

// VerifyAndParse runs the simple-signing verification order: (1) verify
// the OpenPGP signature against keyring and take the signer's
// fingerprint, (2) rules.AcceptSigner, (3) parse the payload strictly,
// (4) rules.CheckDigest, (5) rules.CheckIdentity. It returns the payload
// and the signer's fingerprint only if every step passed. The order
// matters: nothing in the payload is looked at before the key is trusted.
func VerifyAndParse(blob []byte, keyring *Keyring, rules Rules) (*Payload, string, error) {
	if rules.AcceptSigner == nil || rules.CheckDigest == nil || rules.CheckIdentity == nil {
		return nil, "", errors.New("signature verification: every rule must be set")
	}
	now := rules.Now
	if now.IsZero() {
		now = time.Now()
	}
	signed, fpr, err := VerifyAt(blob, keyring, now)
	if err != nil {
		return nil, "", err
	}
	if err := rules.AcceptSigner(fpr); err != nil {
		return nil, "", err
	}
	p, err := ParsePayload(signed)
	if err != nil {
		return nil, "", err
	}
	if err := rules.CheckDigest(p.ManifestDigest); err != nil {
		return nil, "", err
	}
	if err := rules.CheckIdentity(p.DockerReference); err != nil {
		return nil, "", err
	}
	return &p, fpr, nil
}

// MatchesManifest reports whether signed equals the digest of manifest as
// ManifestDigest computes it (whole-string comparison, as skopeo does).
func MatchesManifest(manifest []byte, signed digest.Digest) (bool, error) {
	actual, err := ManifestDigest(manifest)
	if err != nil {
		return false, err
	}
	return actual == signed, nil
}

// DigestRule is a Rules.CheckDigest for a manifest held in memory.
func DigestRule(manifest []byte) func(digest.Digest) error {
	return func(signed digest.Digest) error {
		ok, err := MatchesManifest(manifest, signed)
		if err != nil {
			return fmt.Errorf("computing manifest digest: %w", err)
		}
		if !ok {
			return invalidf(fmt.Sprintf("Signature for digest %s does not match", signed))
		}
		return nil
	}
}
