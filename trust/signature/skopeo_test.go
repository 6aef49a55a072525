package signature

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures/gpgtest"
)

// These tests run the real skopeo 1.9.3 (gpgme) as the peer: what it signs
// must verify here, what ocid signs must verify there, and both must
// refuse the same bad inputs.

func skopeoVerify(t *testing.T, h *gpgtest.Home, manifest, ref, fpr, sig string) error {
	t.Helper()
	out, err := run(t, h, "skopeo", "standalone-verify", manifest, ref, fpr, sig)
	if err == nil && !strings.Contains(string(out), "Signature verified") {
		t.Fatalf("skopeo standalone-verify succeeded without saying so: %s", out)
	}
	if err != nil {
		t.Logf("skopeo: %s", bytes.TrimSpace(out))
	}
	return err
}

func TestSkopeoSignsOcidVerifies(t *testing.T) {
	requireSkopeo(t)
	h, key, _ := fixtures(t)
	dir := t.TempDir()
	m := writeFile(t, dir, "manifest.json", testManifest)
	sigPath := dir + "/sig"
	if out, err := run(t, h, "skopeo", "standalone-sign", m, "docker.io/library/busybox:latest", key.Fingerprint, "-o", sigPath); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	sig := readFile(t, sigPath)
	if !bytes.HasPrefix(sig, []byte{0xA3, 0x01}) {
		t.Fatalf("skopeo's signature starts % x", sig[:2])
	}
	kr := mustKeyring(t, key.Public)
	for _, ref := range []string{"docker.io/library/busybox:latest", "busybox:latest", "busybox"} {
		p, err := StandaloneVerify(testManifest, ref, key.Fingerprint, sig, kr)
		skErr := skopeoVerify(t, h, m, ref, key.Fingerprint, sigPath)
		if (err == nil) != (skErr == nil) {
			t.Fatalf("ref %s: ocid %v, skopeo %v", ref, err, skErr)
		}
		if err != nil {
			if ref != "busybox" {
				t.Fatalf("ref %s: %v", ref, err)
			}
			continue
		}
		if p.Creator == nil || *p.Creator != "atomic 5.23.1" || p.Timestamp == nil {
			t.Fatalf("payload %+v", p)
		}
		// The payload bytes are exactly our marshaling of them.
		signed, _, _ := Verify(sig, kr)
		again, _ := MarshalPayload(*p)
		if !bytes.Equal(signed, again) {
			t.Fatalf("skopeo payload %s\nours %s", signed, again)
		}
	}
	// Stored-blob recognition of skopeo's signature.
	if s, err := Unmarshal(sig); err != nil || s.Format != FormatSimpleSigning {
		t.Fatalf("Unmarshal: %v", err)
	}
}

func TestOcidSignsSkopeoVerifies(t *testing.T) {
	requireSkopeo(t)
	h, key, _ := fixtures(t)
	dir := t.TempDir()
	m := writeFile(t, dir, "manifest.json", testManifest)
	sig, err := StandaloneSign(testManifest, "example.com/ns/app:v1", mustSigningKey(t, key), nil)
	if err != nil {
		t.Fatal(err)
	}
	sigPath := writeFile(t, dir, "sig", sig)
	if err := skopeoVerify(t, h, m, "example.com/ns/app:v1", key.Fingerprint, sigPath); err != nil {
		t.Fatal(err)
	}
	if _, err := StandaloneVerify(testManifest, "example.com/ns/app:v1", key.Fingerprint, sig, mustKeyring(t, key.Public)); err != nil {
		t.Fatal(err)
	}
	// skopeo reads back our payload.
	out, err := run(t, h, "gpg", "--batch", "--decrypt", sigPath)
	if err != nil || !strings.Contains(string(out), `"creator":"ocid"`) {
		t.Fatalf("%v: %s", err, out)
	}
}

// TestStandaloneRejectionsMatchSkopeo: every refusal is shared.
func TestStandaloneRejectionsMatchSkopeo(t *testing.T) {
	requireSkopeo(t)
	h, key, other := fixtures(t)
	dir := t.TempDir()
	m := writeFile(t, dir, "manifest.json", testManifest)
	tampered := writeFile(t, dir, "tampered.json", bytes.Replace(testManifest, []byte(`"layers": []`), []byte(`"layers": [ ]`), 1))
	good, err := StandaloneSign(testManifest, "example.com/ns/app:v1", mustSigningKey(t, key), nil)
	if err != nil {
		t.Fatal(err)
	}
	byOther, err := StandaloneSign(testManifest, "example.com/ns/app:v1", mustSigningKey(t, other), nil)
	if err != nil {
		t.Fatal(err)
	}
	armored, err := h.GPG(mustPayloadFor(t, testManifest, "example.com/ns/app:v1"), "--local-user", key.Fingerprint, "--sign", "--armor")
	if err != nil {
		t.Fatal(err)
	}
	goodPath := writeFile(t, dir, "good", good)
	otherPath := writeFile(t, dir, "other", byOther)
	armoredPath := writeFile(t, dir, "armored", armored)
	both := mustKeyring(t, key.Public, other.Public)
	cases := []struct {
		name, manifest, ref, fpr, sig string
		want                          string
	}{
		{"tampered manifest", tampered, "example.com/ns/app:v1", key.Fingerprint, goodPath, "Signature for digest"},
		{"wrong identity", m, "example.com/ns/app:v2", key.Fingerprint, goodPath, "does not match"},
		{"wrong repository", m, "example.com/ns/other:v1", key.Fingerprint, goodPath, "does not match"},
		{"untrusted signer", m, "example.com/ns/app:v1", key.Fingerprint, otherPath, "does not match expected fingerprint"},
		{"armored (skopeo accepts, ocid does not)", m, "example.com/ns/app:v1", key.Fingerprint, armoredPath, "ASCII-armored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			manifest := readFile(t, c.manifest)
			_, err := StandaloneVerify(manifest, c.ref, c.fpr, readFile(t, c.sig), both)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ocid: %v, want %q", err, c.want)
			}
			skErr := skopeoVerify(t, h, c.manifest, c.ref, c.fpr, c.sig)
			if strings.Contains(c.name, "skopeo accepts") {
				// Documented divergence: gpgme takes armored input.
				if skErr != nil {
					t.Fatalf("skopeo now rejects armored input too: %v", skErr)
				}
				return
			}
			if skErr == nil {
				t.Fatal("skopeo accepted what ocid rejected")
			}
		})
	}
}

// TestSubkeyAndRevokedParity: skopeo and ocid both refuse signatures made
// by a signing subkey, and signatures by a revoked key.
func TestSubkeyAndRevokedParity(t *testing.T) {
	requireSkopeo(t)
	h := gpgtest.New(t)
	sub, err := h.GenerateKey(gpgtest.KeyOptions{Name: "sub signer", SigningSubkey: true})
	if err != nil {
		t.Fatal(err)
	}
	rev, err := h.GenerateKey(gpgtest.KeyOptions{Name: "revoked signer"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	m := writeFile(t, dir, "manifest.json", testManifest)
	subSig := dir + "/sub.sig"
	if out, err := run(t, h, "skopeo", "standalone-sign", m, "example.com/a:1", sub.Fingerprint, "-o", subSig); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if _, err := StandaloneVerify(testManifest, "example.com/a:1", sub.Fingerprint, readFile(t, subSig), mustKeyring(t, sub.Public)); err == nil || !strings.Contains(err.Error(), "subkey") {
		t.Fatalf("ocid on a subkey signature: %v", err)
	}
	if skopeoVerify(t, h, m, "example.com/a:1", sub.Fingerprint, subSig) == nil {
		t.Fatal("skopeo accepted a subkey signature")
	}

	revSig, err := StandaloneSign(testManifest, "example.com/a:1", mustSigningKey(t, rev), nil)
	if err != nil {
		t.Fatal(err)
	}
	revPath := writeFile(t, dir, "rev.sig", revSig)
	if err := skopeoVerify(t, h, m, "example.com/a:1", rev.Fingerprint, revPath); err != nil {
		t.Fatalf("before revocation: %v", err)
	}
	if err := h.Revoke(rev); err != nil {
		t.Fatal(err)
	}
	if _, err := StandaloneVerify(testManifest, "example.com/a:1", rev.Fingerprint, revSig, mustKeyring(t, rev.Public)); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("ocid on a revoked key: %v", err)
	}
	if skopeoVerify(t, h, m, "example.com/a:1", rev.Fingerprint, revPath) == nil {
		t.Fatal("skopeo accepted a revoked key")
	}
}

// TestExpiredKeyParity waits for a real key expiry (gpg cannot make one
// in the past and skopeo has no clock to inject), then checks that both
// refuse a signature made while the key was valid.
func TestExpiredKeyParity(t *testing.T) {
	requireSkopeo(t)
	if testing.Short() {
		t.Skip("waits for a key to expire")
	}
	t.Parallel()
	h := gpgtest.New(t)
	const life = 4 * time.Second
	key, err := h.GenerateKey(gpgtest.KeyOptions{Name: "brief", Expire: "seconds=4"})
	if err != nil {
		t.Fatal(err)
	}
	made := time.Now()
	dir := t.TempDir()
	m := writeFile(t, dir, "manifest.json", testManifest)
	sigPath := dir + "/sig"
	if out, err := run(t, h, "skopeo", "standalone-sign", m, "example.com/a:1", key.Fingerprint, "-o", sigPath); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	kr := mustKeyring(t, key.Public)
	if _, err := StandaloneVerify(testManifest, "example.com/a:1", key.Fingerprint, readFile(t, sigPath), kr); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	time.Sleep(time.Until(made.Add(life + 2*time.Second)))
	if _, err := StandaloneVerify(testManifest, "example.com/a:1", key.Fingerprint, readFile(t, sigPath), kr); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("after expiry: %v", err)
	}
	if skopeoVerify(t, h, m, "example.com/a:1", key.Fingerprint, sigPath) == nil {
		t.Fatal("skopeo accepted an expired key")
	}
}

func TestManifestDigestMatchesSkopeo(t *testing.T) {
	requireSkopeo(t)
	h, _, _ := fixtures(t)
	dir := t.TempDir()
	for name, m := range map[string][]byte{
		"v2s2":             testManifest,
		"oci":              []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}`),
		"schema1 signed":   schema1Signed(t),
		"schema1 unsigned": []byte(`{"schemaVersion":1,"name":"a/b","tag":"t","fsLayers":[]}`),
	} {
		p := writeFile(t, dir, "m", m)
		out, err := run(t, h, "skopeo", "manifest-digest", p)
		if err != nil {
			t.Fatalf("%s: %v %s", name, err, out)
		}
		d, err := ManifestDigest(m)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := strings.TrimSpace(string(out)); got != d.String() {
			t.Fatalf("%s: skopeo %s, ocid %s", name, got, d)
		}
	}
}

func mustPayloadFor(t *testing.T, manifest []byte, ref string) []byte {
	t.Helper()
	d, err := ManifestDigest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	p, err := MarshalPayload(NewPayload(d, ref, "test", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
