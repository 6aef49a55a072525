package signature

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
)

func TestUnmarshalFormats(t *testing.T) {
	// First bytes of signed OpenPGP messages, old and new packet formats.
	for _, b := range []byte{0xA0, 0xA1, 0xA2, 0xA3, 0xC8, 0x90, 0x91, 0x92, 0x93, 0xC4, 0x88, 0x89, 0x8A, 0x8B, 0xC2} {
		s, err := Unmarshal([]byte{b, 1, 2})
		if err != nil || s.Format != FormatSimpleSigning {
			t.Errorf("%#x: %v %v", b, s.Format, err)
		}
	}
	for _, blob := range [][]byte{
		nil,
		[]byte("-----BEGIN PGP MESSAGE-----\n"), // armored: a hard error, as in skopeo
		[]byte("{\"critical\":{}}"),
		{0x99, 0}, // a public key packet
		{'=', 0},
		{0x00, 'x'},                      // no newline
		{0x00, 0x01, '\n'},               // control byte in the name
		[]byte("\x00unknown-format\n{}"), // unknown format
		[]byte("\x00sigstore-json\n{"),   // bad JSON
		[]byte("\x00simple-signing\n"),   // empty
	} {
		if s, err := Unmarshal(blob); err == nil {
			t.Errorf("%q accepted as %v", blob, s.Format)
		} else if !IsInvalidSignature(err) {
			t.Errorf("%q: %v is not an InvalidSignatureError", blob, err)
		}
	}
	s, err := Unmarshal([]byte("\x00simple-signing\n\xa3\x01abc"))
	if err != nil || s.Format != FormatSimpleSigning || !bytes.Equal(s.SimpleSigning, []byte("\xa3\x01abc")) {
		t.Fatalf("prefixed simple signing: %v %+v", err, s)
	}
}

func TestSignatureMarshalRoundTrip(t *testing.T) {
	simple := NewSimpleSigning([]byte{0xA3, 0x01, 0xff})
	blob, err := simple.Marshal()
	if err != nil || !bytes.Equal(blob, []byte{0xA3, 0x01, 0xff}) {
		t.Fatalf("simple signing is stored bare: %x %v", blob, err)
	}
	ss := NewSigstore(CosignSignatureMIMEType, []byte(`{"critical":1}`), map[string]string{CosignSignatureAnnotation: "MEUC", "x": "y"})
	blob, err = ss.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := "\x00sigstore-json\n" + `{"mimeType":"application/vnd.dev.cosign.simplesigning.v1+json","payload":"eyJjcml0aWNhbCI6MX0=","annotations":{"dev.cosignproject.cosign/signature":"MEUC","x":"y"}}`
	if string(blob) != want {
		t.Fatalf("sigstore blob\n got %q\nwant %q", blob, want)
	}
	back, err := Unmarshal(blob)
	if err != nil || !reflect.DeepEqual(back, ss) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, back, ss)
	}
	if back.Sigstore.Base64Signature() != "MEUC" {
		t.Fatal("Base64Signature")
	}
	if _, err := (Signature{Format: "x"}).Marshal(); err == nil || !strings.Contains(err.Error(), "unknown") {
		t.Fatal("unknown format marshaled")
	}
}
