package signature

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzParsePayload: a parsed payload must survive marshal → parse
// unchanged, marshaling must be a fixed point, and errors must be
// invalid-signature errors.
func FuzzParsePayload(f *testing.F) {
	f.Add([]byte(skopeoPayload))
	f.Add([]byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"sha256:1"},"identity":{"docker-reference":"a/b:c"}},"optional":{}}`))
	f.Add([]byte(`{"critical":{"type":"atomic container signature","image":{"docker-manifest-digest":"x"},"identity":{"docker-reference":"\u0000"}},"optional":{"timestamp":1e3,"creator":"","z":[{}]}}`))
	f.Add([]byte(`{"critical":{},"optional":{},"optional":{}}`))
	f.Add([]byte(`{"a":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePayload(data)
		if err != nil {
			if !IsInvalidSignature(err) {
				t.Fatalf("error %v is not an InvalidSignatureError", err)
			}
			return
		}
		out, err := MarshalPayload(p)
		if err != nil {
			// Only empty digest/reference can fail to marshal.
			if p.ManifestDigest != "" && p.DockerReference != "" {
				t.Fatalf("parsed payload %+v does not marshal: %v", p, err)
			}
			return
		}
		back, err := ParsePayload(out)
		if err != nil {
			t.Fatalf("marshaled payload %s does not parse: %v", out, err)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("round trip changed the payload:\n%+v\n%+v", p, back)
		}
		again, _ := MarshalPayload(back)
		if !bytes.Equal(out, again) {
			t.Fatalf("marshal is not a fixed point:\n%s\n%s", out, again)
		}
	})
}
