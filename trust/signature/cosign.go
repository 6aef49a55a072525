package signature

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

// ReadCosignPublicKey parses a PEM "PUBLIC KEY" (PKIX), as `cosign
// generate-key-pair` writes cosign.pub. ECDSA keys are what cosign makes;
// RSA and Ed25519 are accepted for verification as containers/image does.
func ReadCosignPublicKey(pemData []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, fmt.Errorf("cosign public key: no PEM block: %w", errdefs.ErrInvalidArgument)
	}
	if block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("cosign public key: PEM block %q, expected \"PUBLIC KEY\": %w", block.Type, errdefs.ErrInvalidArgument)
	}
	pub, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("cosign public key: %w", err)
	}
	switch pub.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return pub, nil
	default:
		return nil, fmt.Errorf("cosign public key: unsupported key type %T: %w", pub, errdefs.ErrInvalidArgument)
	}
}

// ReadCosignPrivateKey parses an unencrypted ECDSA private key in PEM:
// "PRIVATE KEY" (PKCS#8) or "EC PRIVATE KEY" (SEC 1). cosign's own
// "ENCRYPTED COSIGN/SIGSTORE PRIVATE KEY" files (scrypt + secretbox) are
// not supported: export the key unencrypted first.
func ReadCosignPrivateKey(pemData []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(pemData)
	if block == nil {
		return nil, fmt.Errorf("cosign private key: no PEM block: %w", errdefs.ErrInvalidArgument)
	}
	var key any
	var err error
	switch block.Type {
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		key, err = x509.ParseECPrivateKey(block.Bytes)
	case "ENCRYPTED COSIGN PRIVATE KEY", "ENCRYPTED SIGSTORE PRIVATE KEY":
		return nil, fmt.Errorf("cosign private key: encrypted cosign keys are not supported: %w", errdefs.ErrInvalidArgument)
	default:
		return nil, fmt.Errorf("cosign private key: unexpected PEM block %q: %w", block.Type, errdefs.ErrInvalidArgument)
	}
	if err != nil {
		return nil, fmt.Errorf("cosign private key: %w", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("cosign private key: %T is not an ECDSA key: %w", key, errdefs.ErrInvalidArgument)
	}
	return ec, nil
}

// GenerateCosignKey makes an ECDSA P-256 key, the kind cosign makes.
func GenerateCosignKey() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}

// CosignSign signs the exact payload bytes (ECDSA, SHA-256, ASN.1 DER)
// and returns the signature base64-encoded, as the annotation holds it.
func CosignSign(payload []byte, key *ecdsa.PrivateKey) (string, error) {
	sum := sha256.Sum256(payload)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		return "", fmt.Errorf("cosign signing: %w", err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// CosignVerify checks base64Sig over the exact payload bytes with pub.
func CosignVerify(payload []byte, base64Sig string, pub crypto.PublicKey) error {
	sig, err := base64.StdEncoding.DecodeString(base64Sig)
	if err != nil {
		return invalidWrap("cosign signature: base64 decoding", err)
	}
	sum := sha256.Sum256(payload)
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if !ecdsa.VerifyASN1(k, sum[:], sig) {
			return invalidf("cosign signature: cryptographic verification failed")
		}
	case *rsa.PublicKey:
		if err := rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], sig); err != nil {
			return invalidWrap("cosign signature: cryptographic verification failed", err)
		}
	case ed25519.PublicKey:
		if !ed25519.Verify(k, payload, sig) {
			return invalidf("cosign signature: cryptographic verification failed")
		}
	default:
		return fmt.Errorf("cosign signature: unsupported public key type %T: %w", pub, errdefs.ErrInvalidArgument)
	}
	return nil
}

// NewCosignSignature makes a registry-attachable cosign signature of the
// manifest with digest manifestDigest, signed as dockerRef. The payload
// carries creator and timestamp like containers/image's.
func NewCosignSignature(manifestDigest digest.Digest, dockerRef string, key *ecdsa.PrivateKey, opts *SignOptions) (Signature, error) {
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
	p := NewPayload(manifestDigest, dockerRef, o.Creator, o.Now)
	p.Type = TypeCosign
	payload, err := MarshalPayload(p)
	if err != nil {
		return Signature{}, err
	}
	b64, err := CosignSign(payload, key)
	if err != nil {
		return Signature{}, err
	}
	return NewSigstore(CosignSignatureMIMEType, payload, map[string]string{CosignSignatureAnnotation: b64}), nil
}

// CosignRules are the checks after a cosign signature verified.
type CosignRules struct {
	CheckDigest   func(signed digest.Digest) error
	CheckIdentity func(signedReference string) error
}

// VerifyCosign checks a sigstore signature with pub: the signature
// annotation over the exact payload, then the payload parsed strictly as a
// cosign payload, then the digest and identity rules (both required).
func VerifyCosign(sig *Sigstore, pub crypto.PublicKey, rules CosignRules) (*Payload, error) {
	if rules.CheckDigest == nil || rules.CheckIdentity == nil {
		return nil, errors.New("cosign verification: every rule must be set")
	}
	b64, ok := sig.Annotations[CosignSignatureAnnotation]
	if !ok {
		return nil, invalidf("missing " + CosignSignatureAnnotation + " annotation")
	}
	if err := CosignVerify(sig.Payload, b64, pub); err != nil {
		return nil, err
	}
	p, err := ParseCosignPayload(sig.Payload)
	if err != nil {
		return nil, err
	}
	if err := rules.CheckDigest(p.ManifestDigest); err != nil {
		return nil, err
	}
	if err := rules.CheckIdentity(p.DockerReference); err != nil {
		return nil, err
	}
	return &p, nil
}
