package trust

import (
	"errors"
	"reflect"
	"testing"
)

// FuzzParsePolicy: the parser never panics; errors are FormatErrors; a
// policy that parses survives Marshal → ParsePolicy unchanged, and
// Marshal is a fixed point.
func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(fullPolicy))
	f.Add([]byte(`{"default":[{"type":"insecureAcceptAnything"}]}`))
	f.Add([]byte(`{"default":[{"type":"signedBy","keyType":"GPGKeys","keyData":"AA==","signedIdentity":{"type":"remapIdentity","prefix":"a.com","signedPrefix":"b.com/x"}}]}`))
	f.Add([]byte(`{"default":[{"type":"reject"}],"transports":{"dir":{"/a":[{"type":"reject"}],"":[{"type":"reject"}]}}}`))
	f.Add([]byte(`{"default":[{"type":"reject"}],"default":[]}`))
	f.Add([]byte(`{"default":[{"type":"sigstoreSigned","keyData":"AAAA","signedIdentity":{"type":"exactReference","dockerReference":"a/b:c"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data, "fuzz.json")
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || fe.File != "fuzz.json" {
				t.Fatalf("error %v is not a FormatError for the file", err)
			}
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("parsed policy does not marshal: %v", err)
		}
		back, err := ParsePolicy(out, "again")
		if err != nil {
			t.Fatalf("marshaled policy does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, back) {
			t.Fatalf("round trip changed the policy:\n%s", out)
		}
		again, _ := back.Marshal()
		if string(again) != string(out) {
			t.Fatalf("marshal is not a fixed point:\n%s\n%s", out, again)
		}
	})
}
