package signature

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// ManifestDigest computes the digest a signature names for manifest, as
// containers/image's manifest.Digest does: SHA-256 of the exact bytes,
// except for a signed docker schema1 manifest, whose JWS signatures are
// stripped first (the digest covers the payload the JWS protects).
func ManifestDigest(manifest []byte) (digest.Digest, error) {
	if isSignedSchema1(manifest) {
		payload, err := schema1Payload(manifest)
		if err != nil {
			return "", fmt.Errorf("schema1 manifest: %w", err)
		}
		manifest = payload
	}
	return digest.FromBytes(manifest), nil
}

// isSignedSchema1 mirrors containers/image's MIME type guess: a manifest
// without a known mediaType, with schemaVersion 1 and a "signatures" member.
func isSignedSchema1(manifest []byte) bool {
	var meta struct {
		MediaType     string `json:"mediaType"`
		SchemaVersion int    `json:"schemaVersion"`
		Signatures    any    `json:"signatures"`
	}
	if err := json.Unmarshal(manifest, &meta); err != nil {
		return false
	}
	switch meta.MediaType {
	case "application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.docker.distribution.manifest.list.v2+json",
		"application/vnd.oci.image.manifest.v1+json",
		"application/vnd.oci.image.index.v1+json":
		return false
	}
	return meta.SchemaVersion == 1 && meta.Signatures != nil
}

// schema1Payload rebuilds the bytes a libtrust "pretty signature" signed:
// the manifest cut at formatLength, followed by formatTail, both taken
// from each signature's protected header (which must all agree).
func schema1Payload(manifest []byte) ([]byte, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(manifest, &top); err != nil {
		return nil, err
	}
	var sigs []struct {
		Protected string `json:"protected"`
	}
	if err := json.Unmarshal(top["signatures"], &sigs); err != nil {
		return nil, fmt.Errorf("signatures: %w", err)
	}
	if len(sigs) == 0 {
		return nil, errors.New("no JWS signatures")
	}
	length, tail := -1, []byte(nil)
	for i, s := range sigs {
		raw, err := joseDecode(s.Protected)
		if err != nil {
			return nil, fmt.Errorf("signature %d: protected header: %w", i, err)
		}
		var hdr struct {
			FormatLength *int   `json:"formatLength"`
			FormatTail   string `json:"formatTail"`
		}
		if err := json.Unmarshal(raw, &hdr); err != nil {
			return nil, fmt.Errorf("signature %d: protected header: %w", i, err)
		}
		if hdr.FormatLength == nil {
			return nil, fmt.Errorf("signature %d: missing formatLength", i)
		}
		t, err := joseDecode(hdr.FormatTail)
		if err != nil {
			return nil, fmt.Errorf("signature %d: formatTail: %w", i, err)
		}
		if i == 0 {
			length, tail = *hdr.FormatLength, t
		} else if length != *hdr.FormatLength || !bytes.Equal(tail, t) {
			return nil, errors.New("JWS signatures disagree on the signed format")
		}
	}
	if length < 0 || length > len(manifest) {
		return nil, fmt.Errorf("formatLength %d out of range", length)
	}
	return append(append([]byte{}, manifest[:length]...), tail...), nil
}

// joseDecode decodes JOSE base64url, which drops the '=' padding.
func joseDecode(s string) ([]byte, error) {
	return base64.URLEncoding.DecodeString(s + strings.Repeat("=", (4-len(s)%4)%4))
}
