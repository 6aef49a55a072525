package signature

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

func TestCosignSignVerify(t *testing.T) {
	key, err := GenerateCosignKey()
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	pub, err := ReadCosignPublicKey(pubPEM)
	if err != nil {
		t.Fatal(err)
	}
	p8, _ := x509.MarshalPKCS8PrivateKey(key)
	sec1, _ := x509.MarshalECPrivateKey(key)
	for _, blk := range []*pem.Block{{Type: "PRIVATE KEY", Bytes: p8}, {Type: "EC PRIVATE KEY", Bytes: sec1}} {
		k, err := ReadCosignPrivateKey(pem.EncodeToMemory(blk))
		if err != nil || !k.Equal(key) {
			t.Fatalf("%s: %v", blk.Type, err)
		}
	}
	if _, err := ReadCosignPrivateKey(pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED SIGSTORE PRIVATE KEY", Bytes: []byte("{}")})); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Fatalf("encrypted key: %v", err)
	}

	d := digest.FromBytes(testManifest)
	sig, err := NewCosignSignature(d, "example.com/ns/app", key, &SignOptions{Now: time.Unix(1700000000, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if sig.Sigstore.MIMEType != CosignSignatureMIMEType || !strings.Contains(string(sig.Sigstore.Payload), `"type":"cosign container image signature"`) {
		t.Fatalf("%+v", sig.Sigstore)
	}
	accept := CosignRules{
		CheckDigest:   DigestRule(testManifest),
		CheckIdentity: func(string) error { return nil },
	}
	p, err := VerifyCosign(sig.Sigstore, pub, accept)
	if err != nil || p.DockerReference != "example.com/ns/app" || *p.Timestamp != 1700000000 {
		t.Fatalf("%v %+v", err, p)
	}
	// The signature covers the exact bytes: re-spacing the JSON breaks it.
	mod := *sig.Sigstore
	mod.Payload = append([]byte(" "), sig.Sigstore.Payload...)
	if _, err := VerifyCosign(&mod, pub, accept); err == nil || !strings.Contains(err.Error(), "verification failed") {
		t.Fatalf("modified payload: %v", err)
	}
	// Another key.
	other, _ := GenerateCosignKey()
	if _, err := VerifyCosign(sig.Sigstore, &other.PublicKey, accept); err == nil {
		t.Fatal("wrong key accepted")
	}
	// Missing annotation, bad base64.
	noAnn := NewSigstore(CosignSignatureMIMEType, sig.Sigstore.Payload, nil)
	if _, err := VerifyCosign(noAnn.Sigstore, pub, accept); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("no annotation: %v", err)
	}
	badB64 := NewSigstore(CosignSignatureMIMEType, sig.Sigstore.Payload, map[string]string{CosignSignatureAnnotation: "!!"})
	if _, err := VerifyCosign(badB64.Sigstore, pub, accept); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("bad base64: %v", err)
	}
	// Digest rule rejects another manifest.
	if _, err := VerifyCosign(sig.Sigstore, pub, CosignRules{CheckDigest: DigestRule([]byte("{}")), CheckIdentity: accept.CheckIdentity}); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("digest: %v", err)
	}
	if _, err := VerifyCosign(sig.Sigstore, pub, CosignRules{}); err == nil {
		t.Fatal("missing rules accepted")
	}
}

func TestCosignOtherKeyTypes(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	payload := []byte("p")
	if err := CosignVerify(payload, b64(ed25519.Sign(priv, payload)), pub); err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKIXPublicKey(pub)
	if _, err := ReadCosignPublicKey(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCosignPublicKey([]byte("junk")); err == nil {
		t.Fatal("junk accepted")
	}
	if _, err := ReadCosignPublicKey(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})); err == nil {
		t.Fatal("certificate block accepted as a public key")
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
