package trust

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/trust/signature"
)

func TestScopePrecedence(t *testing.T) {
	p := mustParse(t, `{"default":[{"type":"reject"}],"transports":{"docker":{
		"example.com/ns/app:v1":[{"type":"reject"}],
		"example.com/ns/app@`+dgst+`":[{"type":"reject"}],
		"example.com/ns/app":[{"type":"reject"}],
		"example.com/ns":[{"type":"reject"}],
		"example.com":[{"type":"reject"}],
		"*.com":[{"type":"reject"}],
		"example.org:5000":[{"type":"reject"}],
		"example.net":[{"type":"reject"}],
		"*.example.net":[{"type":"reject"}],
		"":[{"type":"reject"}]
	},"dir":{"/srv/images":[{"type":"reject"}]}}}`)
	pc := NewPolicyContext(p, nil)
	cases := map[string]string{
		"example.com/ns/app:v1":       `transports.docker."example.com/ns/app:v1"`,
		"example.com/ns/app@" + dgst:  `transports.docker."example.com/ns/app@` + dgst + `"`,
		"example.com/ns/app:v2":       `transports.docker."example.com/ns/app"`,
		"example.com/ns/other:v1":     `transports.docker."example.com/ns"`,
		"example.com/ns2/x:1":         `transports.docker."example.com"`,
		"example.com:5000/ns/app:v1":  `transports.docker."*.com"`, // no host:port scope: wildcard without port
		"sub.example.com/x:1":         `transports.docker."*.com"`,
		"example.org:5000/a:1":        `transports.docker."example.org:5000"`,
		"example.org/a:1":             `transports.docker.""`,
		"example.net:5000/a:1":        `transports.docker.""`, // "example.net" has no port: no match
		"a.example.net/b:1":           `transports.docker."*.example.net"`,
		"quay.io/a:1":                 `transports.docker.""`,
		"docker.io/library/busybox:1": `transports.docker.""`,
	}
	for ref, want := range cases {
		if _, got := pc.RequirementsFor(newDockerRef(t, ref)); got != want {
			t.Errorf("%s: scope %s, want %s", ref, got, want)
		}
	}
	// Path transports: identity, then parents; another transport: default.
	d := &dirImage{path: "/srv/images/app", resolved: "/srv/images/app"}
	if _, got := pc.RequirementsFor(d); got != `transports.dir."/srv/images"` {
		t.Errorf("dir: %s", got)
	}
	d = &dirImage{path: "/srv/other", resolved: "/srv/other"}
	if _, got := pc.RequirementsFor(d); got != "default" {
		t.Errorf("dir without a scope: %s", got)
	}
}

// signedImage makes an in-memory docker image signed by the given keys
// with the given identities.
func signedImage(t *testing.T, ref string, manifest []byte, signers ...any) *memImage {
	t.Helper()
	img := &memImage{ref: newDockerRef(t, ref), manifest: manifest}
	for i := 0; i < len(signers); i += 2 {
		sk := signers[i].(*signature.SigningKey)
		blob, err := signature.StandaloneSign(manifest, signers[i+1].(string), sk, nil)
		if err != nil {
			t.Fatal(err)
		}
		img.sigs = append(img.sigs, signature.NewSimpleSigning(blob))
	}
	return img
}

var testManifest = []byte(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}`)

func signedByPolicy(t *testing.T, keySource, identity string) *PolicyContext {
	t.Helper()
	si := ""
	if identity != "" {
		si = `,"signedIdentity":` + identity
	}
	return NewPolicyContext(mustParse(t, `{"default":[{"type":"signedBy","keyType":"GPGKeys",`+keySource+si+`}]}`), nil)
}

func expectVerdict(t *testing.T, pc *PolicyContext, img UnparsedImage, wantReason string) *RejectedError {
	t.Helper()
	err := pc.Evaluate(context.Background(), img)
	if wantReason == "" {
		if err != nil {
			t.Fatalf("rejected: %v", err)
		}
		return nil
	}
	var re *RejectedError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want a rejection mentioning %q", err, wantReason)
	}
	if !strings.Contains(err.Error(), wantReason) || !strings.HasPrefix(err.Error(), "Source image rejected: ") {
		t.Fatalf("error %q, want it to mention %q", err, wantReason)
	}
	if !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("%v does not wrap ErrPrecondition", err)
	}
	return re
}

func TestEvaluateSignedBy(t *testing.T) {
	_, key, other := fixtures(t)
	sk, osk := signingKey(t, key), signingKey(t, other)
	byPath := signedByPolicy(t, `"keyPath":"`+key.PublicPath+`"`, "")
	const ref = "example.com/ns/app:v1"
	md := digest.FromBytes(testManifest)

	expectVerdict(t, byPath, signedImage(t, ref, testManifest, sk, ref), "")
	expectVerdict(t, byPath, signedImage(t, ref, testManifest, sk, "example.com/ns/app:v2"), "Signature for identity example.com/ns/app:v2 is not accepted")
	// By digest, matchRepoDigestOrExact accepts any tag of the repository.
	expectVerdict(t, byPath, signedImage(t, "example.com/ns/app@"+md.String(), testManifest, sk, "example.com/ns/app:v2"), "")
	expectVerdict(t, byPath, signedImage(t, "example.com/ns/app@"+md.String(), testManifest, sk, "example.com/ns/other:v2"), "is not accepted")
	expectVerdict(t, byPath, &memImage{ref: newDockerRef(t, ref), manifest: testManifest}, "A signature was required, but no signature exists")
	// Tampered manifest: the signature names another digest.
	tampered := signedImage(t, ref, testManifest, sk, ref)
	tampered.manifest = append([]byte(" "), testManifest...)
	expectVerdict(t, byPath, tampered, "Signature for digest "+md.String()+" does not match")
	// Untrusted key: named by key ID.
	expectVerdict(t, byPath, signedImage(t, ref, testManifest, osk, ref), other.Fingerprint[24:])
	// One good signature among bad ones suffices; all bad lists every reason.
	expectVerdict(t, byPath, signedImage(t, ref, testManifest, osk, ref, sk, ref), "")
	re := expectVerdict(t, byPath, signedImage(t, ref, testManifest, osk, ref, sk, "example.com/x:1"), "None of the signatures were accepted, reasons: ")
	if !strings.Contains(re.Reason, "; Signature for identity example.com/x:1") || re.Scope != "default" || re.Index != 0 || re.Type != TypeSignedBy {
		t.Fatalf("summary %+v", re)
	}
	// Cosign signatures do not count for signedBy.
	cosignOnly := &memImage{ref: newDockerRef(t, ref), manifest: testManifest, sigs: []signature.Signature{signature.NewSigstore(signature.CosignSignatureMIMEType, []byte("{}"), nil)}}
	expectVerdict(t, byPath, cosignOnly, "A signature was required, but no signature exists")

	// keyPaths, keyData (binary and armored).
	good := signedImage(t, ref, testManifest, sk, ref)
	expectVerdict(t, signedByPolicy(t, `"keyPaths":["`+other.PublicPath+`","`+key.PublicArmoredPath+`"]`, ""), good, "")
	expectVerdict(t, signedByPolicy(t, `"keyPaths":["`+other.PublicPath+`"]`, ""), good, "not in the trusted keyring")
	expectVerdict(t, signedByPolicy(t, `"keyData":"`+base64.StdEncoding.EncodeToString(key.Public)+`"`, ""), good, "")
	expectVerdict(t, signedByPolicy(t, `"keyData":"`+base64.StdEncoding.EncodeToString(key.PublicArmored)+`"`, ""), good, "")
	// Zero keys, unreadable keys, unimplemented key types.
	expectVerdict(t, signedByPolicy(t, `"keyData":"`+base64.StdEncoding.EncodeToString([]byte("\n"))+`"`, ""), good, "No public keys imported")
	re = expectVerdict(t, signedByPolicy(t, `"keyPath":"/nonexistent/key.gpg"`, ""), good, "no such file")
	if !errors.Is(re, fs.ErrNotExist) {
		t.Fatal("missing key file is not visible as ErrNotExist")
	}
	expectVerdict(t, NewPolicyContext(mustParse(t, `{"default":[{"type":"signedBy","keyType":"X509Certificates","keyPath":"/k"}]}`), nil), good, `Unimplemented "keyType" value "X509Certificates"`)
}

func TestEvaluateIdentityRulesDocker(t *testing.T) {
	_, key, _ := fixtures(t)
	sk := signingKey(t, key)
	kp := `"keyPath":"` + key.PublicPath + `"`
	cases := []struct {
		identity, image, signed, want string
	}{
		{`{"type":"matchExact"}`, "example.com/a:1", "example.com/a:1", ""},
		{`{"type":"matchExact"}`, "example.com/a:1", "example.com/a:2", "is not accepted"},
		{`{"type":"matchRepository"}`, "example.com/a:1", "example.com/a:2", ""},
		{`{"type":"matchRepository"}`, "example.com/a:1", "example.com/b:1", "is not accepted"},
		{`{"type":"exactReference","dockerReference":"example.com/signed:x"}`, "example.com/a:1", "example.com/signed:x", ""},
		{`{"type":"exactRepository","dockerRepository":"example.com/signed"}`, "example.com/a:1", "example.com/signed:any", ""},
		{`{"type":"remapIdentity","prefix":"mirror.example.com","signedPrefix":"example.com"}`, "mirror.example.com/ns/a:1", "example.com/ns/a:1", ""},
		{`{"type":"remapIdentity","prefix":"mirror.example.com","signedPrefix":"example.com"}`, "mirror.example.com/ns/a:1", "mirror.example.com/ns/a:1", "is not accepted"},
	}
	for _, c := range cases {
		t.Run(c.identity+" "+c.image+" "+c.signed, func(t *testing.T) {
			expectVerdict(t, signedByPolicy(t, kp, c.identity), signedImage(t, c.image, testManifest, sk, c.signed), c.want)
		})
	}
}

func TestEvaluateSimpleRequirements(t *testing.T) {
	img := &memImage{ref: newDockerRef(t, "example.com/a:1"), manifest: testManifest}
	expectVerdict(t, NewPolicyContext(mustParse(t, `{"default":[{"type":"insecureAcceptAnything"}]}`), nil), img, "")
	expectVerdict(t, NewPolicyContext(mustParse(t, `{"default":[{"type":"reject"}]}`), nil), img, "Running image docker://example.com/a:1 is rejected by policy.")
	expectVerdict(t, NewPolicyContext(mustParse(t, `{"default":[{"type":"signedBaseLayer","baseLayerIdentity":{"type":"matchExact"}}]}`), nil), img, "signedBaseLayer not implemented")
	// Every requirement must allow: the second refuses, and is named.
	re := expectVerdict(t, NewPolicyContext(mustParse(t, `{"default":[{"type":"reject"}],"transports":{"docker":{"example.com":[{"type":"insecureAcceptAnything"},{"type":"reject"}]}}}`), nil), img, "rejected by policy")
	if re.Index != 1 || re.Scope != `transports.docker."example.com"` || !strings.Contains(re.Error(), `transports.docker."example.com"[1] reject`) {
		t.Fatalf("%+v: %v", re, re)
	}
}

func TestEvaluateSignatureReadErrors(t *testing.T) {
	_, key, _ := fixtures(t)
	pc := signedByPolicy(t, `"keyPath":"`+key.PublicPath+`"`, "")
	img := &memImage{ref: newDockerRef(t, "example.com/a:1"), manifest: testManifest, sigErr: fmt.Errorf("registry down: %w", errdefs.ErrUnavailable)}
	re := expectVerdict(t, pc, img, "reading signatures: registry down")
	if !errors.Is(re, errdefs.ErrUnavailable) {
		t.Fatal("ErrUnavailable hidden")
	}
	// A signature rejection is not an invalid argument of the caller.
	bad := signedImage(t, "example.com/a:1", testManifest, signingKey(t, key), "example.com/b:1")
	if err := pc.Evaluate(context.Background(), bad); errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("rejection classified as invalid argument: %v", err)
	}
}

func TestEvaluateExpiryWithClock(t *testing.T) {
	_, key, _ := fixtures(t)
	img := signedImage(t, "example.com/a:1", testManifest, signingKey(t, key), "example.com/a:1")
	p := mustParse(t, `{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"`+key.PublicPath+`"}]}`)
	// The key does not expire; a signature "from the future" is refused.
	past := NewPolicyContext(p, &ContextOptions{Now: func() time.Time { return time.Now().Add(-time.Hour) }})
	expectVerdict(t, past, img, "created in the future")
}

func TestKeyringCache(t *testing.T) {
	_, key, _ := fixtures(t)
	dir := t.TempDir()
	kp := filepath.Join(dir, "key.gpg")
	pc := signedByPolicy(t, `"keyPath":"`+kp+`"`, "")
	img := signedImage(t, "example.com/a:1", testManifest, signingKey(t, key), "example.com/a:1")
	// Missing at first: rejected, and not cached.
	expectVerdict(t, pc, img, "no such file")
	if err := os.WriteFile(kp, key.Public, 0o644); err != nil {
		t.Fatal(err)
	}
	expectVerdict(t, pc, img, "")
	// Read once: removing the file does not matter any more.
	if err := os.Remove(kp); err != nil {
		t.Fatal(err)
	}
	expectVerdict(t, pc, img, "")
}

func TestEvaluateSigstoreSigned(t *testing.T) {
	key, err := signature.GenerateCosignKey()
	if err != nil {
		t.Fatal(err)
	}
	other, _ := signature.GenerateCosignKey()
	pubPEM := cosignPubPEM(t, &key.PublicKey)
	dir := t.TempDir()
	pubPath := filepath.Join(dir, "cosign.pub")
	if err := os.WriteFile(pubPath, pubPEM, 0o644); err != nil {
		t.Fatal(err)
	}
	md := digest.FromBytes(testManifest)
	mk := func(k any, ref string) signature.Signature {
		s, err := signature.NewCosignSignature(md, ref, k.(*ecdsaKey), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	img := func(sigs ...signature.Signature) *memImage {
		return &memImage{ref: newDockerRef(t, "example.com/ns/app@"+md.String()), manifest: testManifest, sigs: sigs}
	}
	byPath := NewPolicyContext(mustParse(t, `{"default":[{"type":"sigstoreSigned","keyPath":"`+pubPath+`"}]}`), nil)
	byData := NewPolicyContext(mustParse(t, `{"default":[{"type":"sigstoreSigned","keyData":"`+base64.StdEncoding.EncodeToString(pubPEM)+`","signedIdentity":{"type":"matchRepository"}}]}`), nil)
	// cosign writes the reference without a tag: matchRepoDigestOrExact
	// refuses that, matchRepository takes it.
	expectVerdict(t, byPath, img(mk(key, "example.com/ns/app:v1")), "")
	expectVerdict(t, byPath, img(mk(key, "example.com/ns/app")), "Signature for identity example.com/ns/app is not accepted")
	expectVerdict(t, byData, img(mk(key, "example.com/ns/app")), "")
	expectVerdict(t, byPath, img(mk(other, "example.com/ns/app:v1")), "cryptographic verification failed")
	expectVerdict(t, byPath, img(), "A signature was required, but no signature exists")
	expectVerdict(t, byPath, img(signature.NewSimpleSigning([]byte{0xA3, 1})), "no signature exists (1 non-sigstore signature, 0 sigstore non-signature attachments)")
	expectVerdict(t, byPath, img(mk(other, "example.com/ns/app:v1"), mk(key, "example.com/ns/app:v1")), "")
}

func TestEvaluateConcurrently(t *testing.T) {
	_, key, _ := fixtures(t)
	pc := signedByPolicy(t, `"keyPath":"`+key.PublicPath+`"`, "")
	img := signedImage(t, "example.com/a:1", testManifest, signingKey(t, key), "example.com/a:1")
	errs := make(chan error, 8)
	for i := 0; i < cap(errs); i++ {
		go func() { errs <- pc.Evaluate(context.Background(), img) }()
	}
	for i := 0; i < cap(errs); i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
