package signature

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// The critical.type values this package knows.
const (
	// TypeSimpleSigning marks a simple-signing payload (OpenPGP-wrapped).
	TypeSimpleSigning = "atomic container signature"
	// TypeCosign marks a cosign payload (ECDSA signature in an annotation).
	TypeCosign = "cosign container image signature"
)

// Payload is the signed JSON document: which manifest (by digest) is
// signed under which docker reference. Creator and Timestamp are the
// informational "optional" members; nil means absent.
type Payload struct {
	Type            string        // critical.type
	ManifestDigest  digest.Digest // critical.image.docker-manifest-digest
	DockerReference string        // critical.identity.docker-reference
	Creator         *string       // optional.creator
	Timestamp       *int64        // optional.timestamp, Unix seconds
}

// NewPayload makes a simple-signing payload for manifestDigest signed as
// dockerReference, with creator and timestamp set.
func NewPayload(manifestDigest digest.Digest, dockerReference, creator string, now time.Time) Payload {
	ts := now.Unix()
	return Payload{
		Type:            TypeSimpleSigning,
		ManifestDigest:  manifestDigest,
		DockerReference: dockerReference,
		Creator:         &creator,
		Timestamp:       &ts,
	}
}

// MarshalPayload writes p as skopeo does: compact JSON, keys sorted at
// every level, optional members only when set. Sorting falls out of
// encoding/json's map handling, which is also what containers/image uses,
// so string escaping is identical too.
func MarshalPayload(p Payload) ([]byte, error) {
	if p.Type == "" || p.ManifestDigest == "" || p.DockerReference == "" {
		return nil, errors.New("signature payload: type, manifest digest and docker reference must all be set")
	}
	optional := map[string]any{}
	if p.Creator != nil {
		optional["creator"] = *p.Creator
	}
	if p.Timestamp != nil {
		optional["timestamp"] = *p.Timestamp
	}
	return json.Marshal(map[string]any{
		"critical": map[string]any{
			"type":     p.Type,
			"image":    map[string]string{"docker-manifest-digest": string(p.ManifestDigest)},
			"identity": map[string]string{"docker-reference": p.DockerReference},
		},
		"optional": optional,
	})
}

// ParsePayload parses a simple-signing payload strictly: exactly the keys
// critical and optional at the top; exactly type, image and identity in
// critical; exactly one key in image and in identity; optional must be an
// object (unknown members ignored, creator a string, timestamp an integer);
// no duplicate keys anywhere; nothing after the object.
func ParsePayload(data []byte) (Payload, error) {
	return parsePayload(data, TypeSimpleSigning, false)
}

// ParseCosignPayload is ParsePayload for cosign payloads: critical.type
// must be TypeCosign, and "optional": null is accepted because cosign
// writes exactly that.
func ParseCosignPayload(data []byte) (Payload, error) {
	return parsePayload(data, TypeCosign, true)
}

func parsePayload(data []byte, wantType string, nullOptional bool) (Payload, error) {
	p, err := parsePayloadJSON(data, wantType, nullOptional)
	if err != nil {
		return Payload{}, invalidWrap("invalid signature payload", err)
	}
	return p, nil
}

func parsePayloadJSON(data []byte, wantType string, nullOptional bool) (Payload, error) {
	var p Payload
	v, err := decodeStrictJSON(data)
	if err != nil {
		return p, err
	}
	top, err := exactObject(v, "", "critical", "optional")
	if err != nil {
		return p, err
	}
	critical, err := exactObject(top["critical"], "critical", "type", "image", "identity")
	if err != nil {
		return p, err
	}
	if p.Type, err = stringField(critical, "critical", "type"); err != nil {
		return p, err
	}
	if p.Type != wantType {
		return p, fmt.Errorf("critical.type: unrecognized signature type %q, expected %q", p.Type, wantType)
	}
	image, err := exactObject(critical["image"], "critical.image", "docker-manifest-digest")
	if err != nil {
		return p, err
	}
	d, err := stringField(image, "critical.image", "docker-manifest-digest")
	if err != nil {
		return p, err
	}
	// Not validated here: the digest is compared as a whole string with
	// the manifest's, so a malformed one simply never matches.
	p.ManifestDigest = digest.Digest(d)
	identity, err := exactObject(critical["identity"], "critical.identity", "docker-reference")
	if err != nil {
		return p, err
	}
	if p.DockerReference, err = stringField(identity, "critical.identity", "docker-reference"); err != nil {
		return p, err
	}
	if top["optional"] == nil && nullOptional {
		return p, nil
	}
	optional, ok := top["optional"].(map[string]any)
	if !ok {
		return p, fmt.Errorf("optional: expected a JSON object, got %s", jsonKind(top["optional"]))
	}
	if c, present := optional["creator"]; present {
		s, ok := c.(string)
		if !ok {
			return p, fmt.Errorf("optional.creator: expected a string, got %s", jsonKind(c))
		}
		p.Creator = &s
	}
	if t, present := optional["timestamp"]; present {
		n, ok := t.(json.Number)
		if !ok {
			return p, fmt.Errorf("optional.timestamp: expected an integer, got %s", jsonKind(t))
		}
		ts, err := integerNumber(n)
		if err != nil {
			return p, fmt.Errorf("optional.timestamp: %w", err)
		}
		p.Timestamp = &ts
	}
	return p, nil
}

// integerNumber accepts a JSON number with an integral value. Like
// containers/image it takes 1e3 or 1.0 (the value is what is signed, not
// its spelling) and rejects 1.5.
func integerNumber(n json.Number) (int64, error) {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return i, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%s is not an integer", n)
	}
	return int64(f), nil
}
