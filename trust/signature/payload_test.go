package signature

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// skopeoPayload is a payload as skopeo 1.9.3 writes it (spec §1).
const skopeoPayload = `{"critical":{"identity":{"docker-reference":"docker.io/library/busybox:latest"},"image":{"docker-manifest-digest":"sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7"},"type":"atomic container signature"},"optional":{"creator":"atomic 5.23.1","timestamp":1795869528}}`

func TestMarshalPayloadMatchesSkopeo(t *testing.T) {
	p, err := ParsePayload([]byte(skopeoPayload))
	if err != nil {
		t.Fatal(err)
	}
	out, err := MarshalPayload(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != skopeoPayload {
		t.Fatalf("MarshalPayload:\n got %s\nwant %s", out, skopeoPayload)
	}
	np := NewPayload("sha256:00", "example.com/a:b", "atomic 5.23.1", time.Unix(1795869528, 0))
	out, _ = MarshalPayload(np)
	want := `{"critical":{"identity":{"docker-reference":"example.com/a:b"},"image":{"docker-manifest-digest":"sha256:00"},"type":"atomic container signature"},"optional":{"creator":"atomic 5.23.1","timestamp":1795869528}}`
	if string(out) != want {
		t.Fatalf("got %s", out)
	}
	// No optional members: an empty object, which is still required.
	out, _ = MarshalPayload(Payload{Type: TypeSimpleSigning, ManifestDigest: "sha256:00", DockerReference: "a"})
	if !strings.HasSuffix(string(out), `"optional":{}}`) {
		t.Fatalf("got %s", out)
	}
	if _, err := MarshalPayload(Payload{Type: TypeSimpleSigning}); err == nil {
		t.Fatal("empty payload marshaled")
	}
}

func TestParsePayloadStrict(t *testing.T) {
	const crit = `"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a/b:c"}}`
	ok := []struct{ name, json string }{
		{"minimal", `{` + crit + `,"optional":{}}`},
		{"unknown optional member ignored", `{` + crit + `,"optional":{"foo":[1,{"x":null}],"creator":"c"}}`},
		{"integral float timestamp (as containers/image)", `{` + crit + `,"optional":{"timestamp":1e3}}`},
		{"whitespace", " \n{ " + crit + " , \"optional\" : { } }\n\t"},
	}
	for _, c := range ok {
		if _, err := ParsePayload([]byte(c.json)); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	bad := []struct{ name, json, want string }{
		{"not JSON", `xyz`, "invalid character"},
		{"array", `[]`, "expected a JSON object"},
		{"missing optional", `{` + crit + `}`, `missing key "optional"`},
		{"null optional", `{` + crit + `,"optional":null}`, "optional: expected a JSON object"},
		{"unknown top-level key", `{` + crit + `,"optional":{},"extra":1}`, `unknown key "extra"`},
		{"missing critical", `{"optional":{}}`, `missing key "critical"`},
		{"unknown key in critical", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a"},"x":1},"optional":{}}`, `critical: unknown key "x"`},
		{"missing identity", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"}},"optional":{}}`, `missing key "identity"`},
		{"unknown key in image", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1","x":1},"identity":{"docker-reference":"a"}},"optional":{}}`, `critical.image: unknown key "x"`},
		{"unknown key in identity", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a","x":1}},"optional":{}}`, `critical.identity: unknown key "x"`},
		{"empty image", `{"critical":{"type":"atomic container signature","image":{},"identity":{"docker-reference":"a"}},"optional":{}}`, `missing key "docker-manifest-digest"`},
		{"wrong type value", `{"critical":{"type":"cosign container image signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a"}},"optional":{}}`, "unrecognized signature type"},
		{"type not a string", `{"critical":{"type":1,"image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a"}},"optional":{}}`, "critical.type: expected a string"},
		{"digest not a string", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":1},"identity":{"docker-reference":"a"}},"optional":{}}`, "docker-manifest-digest: expected a string"},
		{"reference null", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":null}},"optional":{}}`, "docker-reference: expected a string"},
		{"image not an object", `{"critical":{"type":"atomic container signature","image":"x","identity":{"docker-reference":"a"}},"optional":{}}`, "critical.image: expected a JSON object"},
		{"fractional timestamp", `{` + crit + `,"optional":{"timestamp":1.5}}`, "optional.timestamp: 1.5 is not an integer"},
		{"string timestamp", `{` + crit + `,"optional":{"timestamp":"1"}}`, "optional.timestamp: expected an integer"},
		{"huge timestamp", `{` + crit + `,"optional":{"timestamp":1e300}}`, "not an integer"},
		{"creator not a string", `{` + crit + `,"optional":{"creator":5}}`, "optional.creator: expected a string"},
		{"duplicate top-level key", `{` + crit + `,"optional":{},"optional":{}}`, `duplicate key "optional"`},
		{"duplicate key in critical", `{"critical":{"type":"atomic container signature","type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a"}},"optional":{}}`, `critical: duplicate key "type"`},
		{"duplicate key deep in ignored optional", `{` + crit + `,"optional":{"x":{"y":1,"y":2}}}`, `optional.x: duplicate key "y"`},
		{"duplicate key in identity", `{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a","docker-reference":"b"}},"optional":{}}`, `duplicate key "docker-reference"`},
		{"trailing data", `{` + crit + `,"optional":{}}x`, "after the JSON value"},
		{"second value", `{` + crit + `,"optional":{}} {}`, "after the JSON value"},
		{"truncated", `{` + crit + `,"optional":{`, "EOF"},
	}
	for _, c := range bad {
		_, err := ParsePayload([]byte(c.json))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
			continue
		}
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: %v does not wrap ErrInvalidArgument", c.name, err)
		}
	}
}

func TestParseCosignPayload(t *testing.T) {
	// As cosign writes it: no tag in the reference, "optional": null.
	const cosign = `{"critical":{"identity":{"docker-reference":"example.com/ns/app"},"image":{"docker-manifest-digest":"sha256:1"},"type":"cosign container image signature"},"optional":null}`
	p, err := ParseCosignPayload([]byte(cosign))
	if err != nil {
		t.Fatal(err)
	}
	if p.DockerReference != "example.com/ns/app" || p.Creator != nil || p.Timestamp != nil {
		t.Fatalf("%+v", p)
	}
	if _, err := ParsePayload([]byte(cosign)); err == nil {
		t.Fatal("cosign payload accepted as simple signing")
	}
	if _, err := ParseCosignPayload([]byte(skopeoPayload)); err == nil {
		t.Fatal("simple-signing payload accepted as cosign")
	}
}

func TestPayloadRoundTrip(t *testing.T) {
	c := "creator \u00e9 <&>"
	ts := int64(-5)
	in := Payload{Type: TypeSimpleSigning, ManifestDigest: "sha256:abc", DockerReference: "r", Creator: &c, Timestamp: &ts}
	out, err := MarshalPayload(in)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePayload(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, back) {
		t.Fatalf("round trip: %+v != %+v", in, back)
	}
}
