package signature

import (
	"bytes"
	"crypto"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures/gpgtest"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	_, key, _ := fixtures(t)
	sk := mustSigningKey(t, key)
	if sk.Fingerprint() != key.Fingerprint {
		t.Fatalf("fingerprint %s, gpg says %s", sk.Fingerprint(), key.Fingerprint)
	}
	payload := []byte(`{"critical":{},"optional":{}}`)
	blob, err := Sign(payload, sk)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(blob, []byte{0xA3, 0x01}) {
		t.Fatalf("signature starts with % x, want a3 01", blob[:2])
	}
	for name, kr := range map[string][]byte{"binary": key.Public, "armored": key.PublicArmored, "secret": key.Secret} {
		got, fpr, err := Verify(blob, mustKeyring(t, kr))
		if err != nil {
			t.Fatalf("%s keyring: %v", name, err)
		}
		if !bytes.Equal(got, payload) || fpr != key.Fingerprint {
			t.Fatalf("%s keyring: got %q by %s", name, got, fpr)
		}
	}
}

// TestSignLayoutMatchesGPG checks our packets with gpg's own parser: the
// layout gpg writes by default, and gpg accepts the signature.
func TestSignLayoutMatchesGPG(t *testing.T) {
	h, key, _ := fixtures(t)
	blob, err := Sign([]byte("hello"), mustSigningKey(t, key))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "sig", blob)
	out, err := run(t, h, "gpg", "--batch", "--list-packets", p)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	text := string(out)
	order := []string{":compressed packet: algo=1", ":onepass_sig packet", ":literal data packet:", "mode b (62)", `name=""`, ":signature packet:", "version 4", "sigclass 0x00", "digest algo 8"}
	at := 0
	for _, want := range order {
		i := strings.Index(text[at:], want)
		if i < 0 {
			t.Fatalf("gpg --list-packets lacks %q after offset %d:\n%s", want, at, text)
		}
		at += i
	}
	out, err = run(t, h, "gpg", "--batch", "--status-fd", "1", "--decrypt", p)
	if err != nil || !strings.Contains(string(out), "[GNUPG:] VALIDSIG "+key.Fingerprint) {
		t.Fatalf("gpg does not accept our signature: %v\n%s", err, out)
	}
}

func TestVerifyUncompressed(t *testing.T) {
	_, key, _ := fixtures(t)
	blob, err := Sign([]byte("payload"), mustSigningKey(t, key))
	if err != nil {
		t.Fatal(err)
	}
	// Unwrap the compressed packet: its body is the bare message.
	p, err := packet.Read(bytes.NewReader(blob))
	if err != nil {
		t.Fatal(err)
	}
	var inner bytes.Buffer
	if _, err := inner.ReadFrom(p.(*packet.Compressed).Body); err != nil {
		t.Fatal(err)
	}
	if inner.Bytes()[0] != 0x90 {
		t.Fatalf("uncompressed message starts with %#x, want the one-pass packet 0x90", inner.Bytes()[0])
	}
	got, fpr, err := Verify(inner.Bytes(), mustKeyring(t, key.Public))
	if err != nil || string(got) != "payload" || fpr != key.Fingerprint {
		t.Fatalf("got %q, %s, %v", got, fpr, err)
	}
	// Classify the uncompressed blob as simple signing too.
	if s, err := Unmarshal(inner.Bytes()); err != nil || s.Format != FormatSimpleSigning {
		t.Fatalf("Unmarshal: %v %v", s.Format, err)
	}
}

func TestVerifyRejectsGPGForms(t *testing.T) {
	h, key, _ := fixtures(t)
	kr := mustKeyring(t, key.Public)
	payload := []byte("some payload\n")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"armored", []string{"--sign", "--armor"}, "ASCII-armored"},
		{"clear-signed", []string{"--clearsign"}, "clear-signed"},
		{"detached binary", []string{"--detach-sign"}, "detached"},
		{"detached armored", []string{"--detach-sign", "--armor"}, "armored detached"},
		{"uncompressed by gpg", []string{"--sign", "--compress-algo", "none"}, ""},
		{"text mode by gpg", []string{"--sign", "--textmode"}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"--local-user", key.Fingerprint, "--digest-algo", "SHA256"}, c.args...)
			blob, err := h.GPG(payload, args...)
			if err != nil {
				t.Fatal(err)
			}
			got, fpr, err := Verify(blob, kr)
			if c.want == "" {
				// gpg stores text-mode data with canonical line endings.
				if err != nil || !bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), payload) || fpr != key.Fingerprint {
					t.Fatalf("gpg's %s message: %q %s %v", c.name, got, fpr, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to mention %q", err, c.want)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) || !IsInvalidSignature(err) {
				t.Fatalf("error %v is not an invalid-signature error", err)
			}
		})
	}
}

func TestVerifyRejectsUntrustedKey(t *testing.T) {
	_, key, other := fixtures(t)
	blob, err := Sign([]byte("x"), mustSigningKey(t, other))
	if err != nil {
		t.Fatal(err)
	}
	keyID := other.Fingerprint[24:]
	_, _, err = Verify(blob, mustKeyring(t, key.Public))
	if err == nil || !strings.Contains(err.Error(), keyID) || !strings.Contains(err.Error(), "not in the trusted keyring") {
		t.Fatalf("error %v should name key ID %s", err, keyID)
	}
	if _, _, err := Verify(blob, &Keyring{}); err == nil {
		t.Fatal("empty keyring accepted a signature")
	}
}

func TestVerifyRejectsTampering(t *testing.T) {
	_, key, _ := fixtures(t)
	sk := mustSigningKey(t, key)
	blob, err := Sign([]byte("original"), sk)
	if err != nil {
		t.Fatal(err)
	}
	// Re-sign, then swap the literal data: build an uncompressed message
	// whose payload differs from what was signed.
	p, _ := packet.Read(bytes.NewReader(blob))
	var inner bytes.Buffer
	_, _ = inner.ReadFrom(p.(*packet.Compressed).Body)
	tampered := bytes.Replace(inner.Bytes(), []byte("original"), []byte("0riginal"), 1)
	if _, _, err := Verify(tampered, mustKeyring(t, key.Public)); err == nil || !strings.Contains(err.Error(), "does not verify") {
		t.Fatalf("tampered payload: %v", err)
	}
	// Trailing garbage after the message.
	if _, _, err := Verify(append(inner.Bytes(), 0x90, 0x00), mustKeyring(t, key.Public)); err == nil {
		t.Fatal("trailing packet accepted")
	}
	// Truncation.
	if _, _, err := Verify(blob[:len(blob)/2], mustKeyring(t, key.Public)); err == nil {
		t.Fatal("truncated signature accepted")
	}
	if _, _, err := Verify([]byte("{}"), mustKeyring(t, key.Public)); err == nil || !strings.Contains(err.Error(), "not an OpenPGP message") {
		t.Fatalf("JSON accepted as a signature: %v", err)
	}
}

func TestVerifyExpiredKeyViaClock(t *testing.T) {
	h := gpgtest.New(t)
	key, err := h.GenerateKey(gpgtest.KeyOptions{Name: "short lived"})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := Sign([]byte("x"), mustSigningKey(t, key))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.SetExpire(key, "1d"); err != nil {
		t.Fatal(err)
	}
	kr := mustKeyring(t, key.Public)
	if _, _, err := VerifyAt(blob, kr, time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("before expiry: %v", err)
	}
	_, _, err = VerifyAt(blob, kr, time.Now().Add(49*time.Hour))
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("after expiry: %v", err)
	}
	// A signature from the future (signer clock ahead) is refused as gpg does.
	if _, _, err := VerifyAt(blob, kr, time.Now().Add(-time.Hour)); err == nil || !strings.Contains(err.Error(), "future") {
		t.Fatalf("verify before creation: %v", err)
	}
}

// TestVerifyExpiredGoCryptoKey makes a key whose lifetime already passed
// (gpg refuses to), signs with it at a time it was valid, and verifies now.
func TestVerifyExpiredGoCryptoKey(t *testing.T) {
	created := time.Now().Add(-2 * time.Hour)
	cfg := &packet.Config{RSABits: 2048, Time: func() time.Time { return created }, KeyLifetimeSecs: 3600, DefaultHash: crypto.SHA256}
	e, err := openpgp.NewEntity("expired", "", "expired@example.com", cfg)
	if err != nil {
		t.Fatal(err)
	}
	var sec, pub bytes.Buffer
	if err := e.SerializePrivate(&sec, cfg); err != nil {
		t.Fatal(err)
	}
	if err := e.Serialize(&pub); err != nil {
		t.Fatal(err)
	}
	sk, err := ReadSigningKey(sec.Bytes(), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	blob, err := SignAt([]byte("x"), sk, created.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	kr := mustKeyring(t, pub.Bytes())
	if _, _, err := VerifyAt(blob, kr, created.Add(30*time.Minute)); err != nil {
		t.Fatalf("while valid: %v", err)
	}
	if _, _, err := Verify(blob, kr); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired key accepted: %v", err)
	}
}

func TestVerifyRevokedKey(t *testing.T) {
	h := gpgtest.New(t)
	key, err := h.GenerateKey(gpgtest.KeyOptions{Name: "to revoke"})
	if err != nil {
		t.Fatal(err)
	}
	blob, err := Sign([]byte("x"), mustSigningKey(t, key))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Revoke(key); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(blob, mustKeyring(t, key.Public)); err == nil || !strings.Contains(err.Error(), "revoked") {
		t.Fatalf("revoked key: %v", err)
	}
}

func TestVerifyRejectsSubkeySignature(t *testing.T) {
	h := gpgtest.New(t)
	key, err := h.GenerateKey(gpgtest.KeyOptions{Name: "with subkey", SigningSubkey: true})
	if err != nil {
		t.Fatal(err)
	}
	// gpg signs with the newest signing subkey by default.
	blob, err := h.GPG([]byte("x"), "--local-user", key.Fingerprint, "--sign")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = Verify(blob, mustKeyring(t, key.Public))
	if err == nil || !strings.Contains(err.Error(), "subkey") || !strings.Contains(err.Error(), key.Fingerprint) {
		t.Fatalf("subkey signature: %v", err)
	}
	// The primary key of the same entity, named with "!", still works.
	blob, err = h.GPG([]byte("x"), "--local-user", key.Fingerprint+"!", "--sign")
	if err != nil {
		t.Fatal(err)
	}
	if _, fpr, err := Verify(blob, mustKeyring(t, key.Public)); err != nil || fpr != key.Fingerprint {
		t.Fatalf("primary-key signature: %s %v", fpr, err)
	}
}

func TestReadSigningKey(t *testing.T) {
	h, key, other := fixtures(t)
	both := append(append([]byte{}, key.Secret...), other.Secret...)
	if _, err := ReadSigningKey(both, "", nil); err == nil {
		t.Fatal("two secret keys and no fingerprint accepted")
	}
	sk, err := ReadSigningKey(both, strings.ToLower(other.Fingerprint), nil)
	if err != nil || sk.Fingerprint() != other.Fingerprint {
		t.Fatalf("pick by fingerprint: %v", err)
	}
	if _, err := ReadSigningKey(key.Public, "", nil); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("public key as secret key: %v", err)
	}
	// The public half verifies what the key signs.
	pub, err := sk.Keyring()
	if err != nil || pub.Fingerprints()[0] != other.Fingerprint {
		t.Fatalf("Keyring: %v", err)
	}
	blob, err := Sign([]byte("q"), sk)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(blob, pub); err != nil {
		t.Fatal(err)
	}
	// A passphrase-protected key, armored.
	prot, err := h.GenerateKey(gpgtest.KeyOptions{Name: "protected", Passphrase: "s3cret"})
	if err != nil {
		t.Fatal(err)
	}
	armored, err := h.GPG(nil, "--passphrase", "s3cret", "--export-secret-keys", "--armor", prot.Fingerprint)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSigningKey(armored, "", nil); err == nil {
		t.Fatal("protected key without passphrase accepted")
	}
	if _, err := ReadSigningKey(armored, "", []byte("wrong")); err == nil {
		t.Fatal("wrong passphrase accepted")
	}
	sk, err = ReadSigningKey(armored, "", []byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	blob, err = Sign([]byte("p"), sk)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := Verify(blob, mustKeyring(t, prot.PublicArmored)); err != nil {
		t.Fatal(err)
	}
}

func TestReadKeyringForms(t *testing.T) {
	_, key, other := fixtures(t)
	concatArmored := append(append([]byte{}, key.PublicArmored...), other.PublicArmored...)
	kr, err := ReadKeyring(concatArmored)
	if err != nil {
		t.Fatal(err)
	}
	if got := kr.Fingerprints(); len(got) != 2 || got[0] != key.Fingerprint || got[1] != other.Fingerprint {
		t.Fatalf("fingerprints %v", got)
	}
	if ids := kr.Identities(); !strings.Contains(ids[0], key.Email) {
		t.Fatalf("identities %v", ids)
	}
	kr, err = LoadKeyringFiles(key.PublicPath, other.PublicArmoredPath)
	if err != nil || kr.Len() != 2 {
		t.Fatalf("LoadKeyringFiles: %v", err)
	}
	if kr, err := ReadKeyring(nil); err != nil || kr.Len() != 0 {
		t.Fatalf("empty keyring: %v", err)
	}
	if _, err := ReadKeyring([]byte("-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n")); err == nil {
		t.Fatal("armored signature accepted as a keyring")
	}
	if _, err := LoadKeyringFiles("/nonexistent/key.gpg"); err == nil {
		t.Fatal("missing file accepted")
	}
}
