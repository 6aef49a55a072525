package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// Format names a stored signature format, as in the blob prefix
// "\x00" + format + "\n".
type Format string

const (
	// FormatSimpleSigning is an OpenPGP-wrapped simple-signing payload.
	FormatSimpleSigning Format = "simple-signing"
	// FormatSigstore is a cosign/sigstore signature: payload, MIME type and
	// annotations (the signature itself is one annotation).
	FormatSigstore Format = "sigstore-json"
)

// Cosign conventions (registry-attached signatures).
const (
	// CosignSignatureMIMEType is the media type of a cosign signature layer.
	CosignSignatureMIMEType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// CosignSignatureAnnotation holds the base64 signature of the payload.
	CosignSignatureAnnotation = "dev.cosignproject.cosign/signature"
)

// Signature is one stored signature: either simple signing (SimpleSigning
// holds the OpenPGP message) or sigstore (Sigstore is set). Values are
// untrusted until verified.
type Signature struct {
	Format        Format
	SimpleSigning []byte
	Sigstore      *Sigstore
}

// Sigstore is a cosign signature as stored: the exact payload bytes that
// were signed, their MIME type, and the layer annotations.
type Sigstore struct {
	MIMEType    string
	Payload     []byte
	Annotations map[string]string
}

// Base64Signature is the cosign signature annotation, "" if missing.
func (s *Sigstore) Base64Signature() string { return s.Annotations[CosignSignatureAnnotation] }

// NewSimpleSigning wraps an OpenPGP signed message.
func NewSimpleSigning(message []byte) Signature {
	return Signature{Format: FormatSimpleSigning, SimpleSigning: bytes.Clone(message)}
}

// NewSigstore wraps a cosign signature.
func NewSigstore(mimeType string, payload []byte, annotations map[string]string) Signature {
	a := make(map[string]string, len(annotations))
	for k, v := range annotations {
		a[k] = v
	}
	return Signature{Format: FormatSigstore, Sigstore: &Sigstore{MIMEType: mimeType, Payload: bytes.Clone(payload), Annotations: a}}
}

// sigstoreJSON is the stored JSON form of a sigstore signature; payload is
// base64 (encoding/json's []byte encoding), as containers/image writes it.
type sigstoreJSON struct {
	MIMEType    string            `json:"mimeType"`
	Payload     []byte            `json:"payload"`
	Annotations map[string]string `json:"annotations"`
}

// Marshal returns the stored form: a simple-signing signature is the bare
// OpenPGP message (what skopeo writes to lookaside and dir: files); any
// other format is "\x00" + format + "\n" + its JSON.
func (s Signature) Marshal() ([]byte, error) {
	switch s.Format {
	case FormatSimpleSigning:
		if len(s.SimpleSigning) == 0 {
			return nil, errors.New("empty simple-signing signature")
		}
		return bytes.Clone(s.SimpleSigning), nil
	case FormatSigstore:
		if s.Sigstore == nil {
			return nil, errors.New("sigstore signature without content")
		}
		chunk, err := json.Marshal(sigstoreJSON{MIMEType: s.Sigstore.MIMEType, Payload: s.Sigstore.Payload, Annotations: s.Sigstore.Annotations})
		if err != nil {
			return nil, err
		}
		return append(append([]byte{0}, FormatSigstore+"\n"...), chunk...), nil
	default:
		return nil, fmt.Errorf("unknown signature format %q", s.Format)
	}
}

// Unmarshal recognizes a stored signature by its first byte: an OpenPGP
// packet header (compressed data, one-pass signature or signature packet,
// old or new format) means simple signing; 0x00 means a format name and a
// newline follow. Anything else is an error, not a signature to skip:
// skopeo fails the whole pull on it, and so must callers.
func Unmarshal(blob []byte) (Signature, error) {
	if len(blob) == 0 {
		return Signature{}, invalidf("empty signature blob")
	}
	switch b := blob[0]; {
	case isOpenPGPStart(b):
		return NewSimpleSigning(blob), nil
	case b == 0:
		rest := blob[1:]
		nl := bytes.IndexByte(rest, '\n')
		if nl < 0 {
			return Signature{}, invalidf("invalid signature format: missing newline after the format name")
		}
		name := rest[:nl]
		for _, c := range name {
			if c < 0x20 || c >= 0x7f {
				return Signature{}, invalidf(fmt.Sprintf("invalid signature format: non-ASCII byte %#02x in the format name", c))
			}
		}
		chunk := rest[nl+1:]
		switch Format(name) {
		case FormatSimpleSigning:
			if len(chunk) == 0 {
				return Signature{}, invalidf("empty simple-signing signature")
			}
			return NewSimpleSigning(chunk), nil
		case FormatSigstore:
			var v sigstoreJSON
			if err := json.Unmarshal(chunk, &v); err != nil {
				return Signature{}, invalidWrap("invalid sigstore signature", err)
			}
			return NewSigstore(v.MIMEType, v.Payload, v.Annotations), nil
		default:
			return Signature{}, invalidf(fmt.Sprintf("unrecognized signature format %q", name))
		}
	default:
		return Signature{}, invalidf(fmt.Sprintf("unrecognized signature format, starting with byte %#02x", b))
	}
}

// isOpenPGPStart reports whether b can start a signed OpenPGP message:
// bit 7 set, and tag 8 (compressed), 4 (one-pass signature) or 2
// (signature), in the old format (any length type) or the new format.
// containers/image lists 0x3d where it means 0x93; ocid takes the
// packet-format rule (0x93 accepted, '=' rejected).
func isOpenPGPStart(b byte) bool {
	if b&0x80 == 0 {
		return false
	}
	var tag byte
	if b&0x40 != 0 {
		tag = b & 0x3f
	} else {
		tag = (b >> 2) & 0x0f
	}
	return tag == tagCompressed || tag == tagOnePassSig || tag == tagSignature
}
