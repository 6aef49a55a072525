package signature

import (
	"encoding/base64"
	"os"
	"strconv"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const schema1Unsigned = "{\n   \"schemaVersion\": 1,\n   \"name\": \"ns/app\",\n   \"tag\": \"v1\",\n   \"architecture\": \"amd64\",\n   \"fsLayers\": [],\n   \"history\": []\n}"

// schema1Signed builds a libtrust-style signed schema1 manifest: the
// unsigned text cut before its closing "\n}", the signatures member
// inserted, and the cut-off tail recorded in the protected header.
func schema1Signed(t testing.TB) []byte {
	t.Helper()
	cut := strings.LastIndex(schema1Unsigned, "\n}")
	enc := base64.RawURLEncoding.EncodeToString
	protected := enc([]byte(`{"formatLength":` + strconv.Itoa(cut) + `,"formatTail":"` + enc([]byte(schema1Unsigned[cut:])) + `","time":"2020-01-01T00:00:00Z"}`))
	sigs := `,
   "signatures": [
      {"header": {"alg": "ES256"}, "signature": "AAAA", "protected": "` + protected + `"}
   ]`
	return []byte(schema1Unsigned[:cut] + sigs + schema1Unsigned[cut:])
}

func TestManifestDigestSchema1(t *testing.T) {
	signed := schema1Signed(t)
	d, err := ManifestDigest(signed)
	if err != nil {
		t.Fatal(err)
	}
	if want := digest.FromString(schema1Unsigned); d != want {
		t.Fatalf("signed schema1 digest %s, want the unsigned payload's %s", d, want)
	}
	if d, _ := ManifestDigest([]byte(schema1Unsigned)); d != digest.FromString(schema1Unsigned) {
		t.Fatal("unsigned schema1 digest")
	}
	// Broken JWS headers are errors, not silently a digest of the bytes.
	for _, bad := range []string{
		`{"schemaVersion":1,"signatures":[]}`,
		`{"schemaVersion":1,"signatures":[{"protected":"!!"}]}`,
		`{"schemaVersion":1,"signatures":[{"protected":"` + base64.RawURLEncoding.EncodeToString([]byte(`{"formatLength":9999,"formatTail":""}`)) + `"}]}`,
	} {
		if _, err := ManifestDigest([]byte(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
	// A v2s2 manifest is hashed as is.
	if d, _ := ManifestDigest(testManifest); d != digest.FromBytes(testManifest) {
		t.Fatal("v2s2 digest")
	}
}
