package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/fixtures/gpgtest"
)

// signingEnv is a gpg key and the files a signed workflow needs.
type signingEnv struct {
	home *gpgtest.Home
	key  *gpgtest.Key
	dir  string
}

func newSigningEnv(t *testing.T) *signingEnv {
	fixtures.RequireTool(t, "gpg")
	h := gpgtest.New(t)
	k, err := h.GenerateKey(gpgtest.KeyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return &signingEnv{home: h, key: k, dir: t.TempDir()}
}

// policy writes a policy.json: anything is accepted except the scopes
// given, which need a signature by the env's key.
func (s *signingEnv) policy(t *testing.T, transport string, scopes map[string]string) string {
	t.Helper()
	reqs := map[string]any{}
	for scope, identity := range scopes {
		req := map[string]any{"type": "signedBy", "keyType": "GPGKeys", "keyPath": s.key.PublicPath}
		if identity != "" {
			req["signedIdentity"] = map[string]any{"type": "exactReference", "dockerReference": identity}
		}
		reqs[scope] = []any{req}
	}
	p := map[string]any{
		"default":    []any{map[string]any{"type": "insecureAcceptAnything"}},
		"transports": map[string]any{transport: reqs},
	}
	raw, _ := json.Marshal(p)
	path := filepath.Join(s.dir, fmt.Sprintf("policy-%d.json", len(scopes)+len(transport)))
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (s *signingEnv) skopeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(fixtures.RequireTool(t, "skopeo"), args...)
	cmd.Env = append(os.Environ(), s.home.Env()...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSignedDirBothWays: ocid signs into dir:, skopeo and ocid accept it
// under a signedBy policy; an unsigned image is refused by both.
func TestSignedDirBothWays(t *testing.T) {
	s := newSigningEnv(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)
	signed := filepath.Join(s.dir, "signed")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "--sign-key", s.key.SecretPath, "--sign-identity", "example.com/app:1",
		"oci:"+layout+":app", "dir:"+signed).mustSucceed(t)
	if _, err := os.Stat(filepath.Join(signed, "signature-1")); err != nil {
		t.Fatal("no signature-1 written")
	}
	pol := s.policy(t, "dir", map[string]string{"": "example.com/app:1"})

	ocid(t, "--policy", pol, "image", "copy", "-q", "dir:"+signed, "dir:"+filepath.Join(s.dir, "out1")).mustSucceed(t)
	if out, err := s.skopeo(t, "--policy", pol, "copy", "dir:"+signed, "dir:"+filepath.Join(s.dir, "out2")); err != nil {
		t.Fatalf("skopeo refused ocid's signature: %v\n%s", err, out)
	}
	v := ocid(t, "--policy", pol, "image", "verify", "dir:"+signed).mustSucceed(t)
	if !strings.Contains(v.stdout, s.key.Fingerprint) || !strings.Contains(v.stdout, "accepted") || !strings.Contains(v.stdout, "example.com/app:1") {
		t.Errorf("verify output lacks signer/identity/verdict:\n%s", v.stdout)
	}

	unsigned := filepath.Join(s.dir, "unsigned")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "oci:"+layout+":app", "dir:"+unsigned).mustSucceed(t)
	dst := filepath.Join(s.dir, "never")
	ocid(t, "--policy", pol, "image", "copy", "-q", "dir:"+unsigned, "dir:"+dst).mustFail(t, "Source image rejected", "signature was required, but no signature exists")
	assertAbsent(t, dst)
	if out, err := s.skopeo(t, "--policy", pol, "copy", "dir:"+unsigned, "dir:"+filepath.Join(s.dir, "never2")); err == nil {
		t.Fatalf("skopeo accepted an unsigned image:\n%s", out)
	}

	// A signature for another identity is refused by both.
	other := filepath.Join(s.dir, "other")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "--sign-key", s.key.SecretPath, "--sign-identity", "example.com/evil:1",
		"oci:"+layout+":app", "dir:"+other).mustSucceed(t)
	ocid(t, "--policy", pol, "image", "copy", "-q", "dir:"+other, "dir:"+dst).mustFail(t, "example.com/evil:1")
	if _, err := s.skopeo(t, "--policy", pol, "copy", "dir:"+other, "dir:"+filepath.Join(s.dir, "never3")); err == nil {
		t.Fatal("skopeo accepted the wrong identity")
	}
}

// TestRegistryLookasideBothWays: signatures written by ocid into a
// registry's lookaside are read by skopeo, and skopeo's by ocid.
func TestRegistryLookasideBothWays(t *testing.T) {
	s := newSigningEnv(t)
	reg := fixtures.StartRegistry(t)
	regd := filepath.Join(s.dir, "registries.d")
	sigstore := filepath.Join(s.dir, "sigstore")
	os.MkdirAll(regd, 0o755)
	os.WriteFile(filepath.Join(regd, "default.yaml"), []byte("default-docker:\n  lookaside: file://"+sigstore+"\n"), 0o644)
	pol := s.policy(t, "docker", map[string]string{reg.Host: ""})
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)

	// ocid signs while pushing; skopeo pulls under the policy.
	ocid(t, "--insecure-policy", "--registries.d", regd, "image", "copy", "-q", "--dest-tls-verify=false",
		"--sign-key", s.key.SecretPath, "oci:"+layout+":app", "docker://"+reg.Ref("ns/byocid", "v1")).mustSucceed(t)
	if out, err := s.skopeo(t, "--policy", pol, "--registries.d", regd, "copy", "--src-tls-verify=false",
		"docker://"+reg.Ref("ns/byocid", "v1"), "dir:"+filepath.Join(s.dir, "sk")); err != nil {
		t.Fatalf("skopeo refused ocid's lookaside signature: %v\n%s", err, out)
	}

	// skopeo signs while pushing; ocid pulls under the policy.
	if out, err := s.skopeo(t, "--insecure-policy", "--registries.d", regd, "copy", "--dest-tls-verify=false",
		"--sign-by", s.key.Fingerprint, "oci:"+layout+":app", "docker://"+reg.Ref("ns/byskopeo", "v1")); err != nil {
		t.Fatalf("skopeo copy --sign-by: %v\n%s", err, out)
	}
	ocid(t, "--policy", pol, "--registries.d", regd, "image", "copy", "-q", "--src-tls-verify=false",
		"docker://"+reg.Ref("ns/byskopeo", "v1"), "dir:"+filepath.Join(s.dir, "oc")).mustSucceed(t)

	// Without a signature the registry image is refused.
	reg.Push(t, "ns/unsigned", "v1", fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "unsigned"))
	ocid(t, "--policy", pol, "--registries.d", regd, "image", "copy", "-q", "--src-tls-verify=false",
		"docker://"+reg.Ref("ns/unsigned", "v1"), "dir:"+filepath.Join(s.dir, "never")).mustFail(t, "Source image rejected")

	// image sign adds a signature in place; the policy then accepts it.
	ocid(t, "--registries.d", regd, "image", "sign", "--tls-verify=false", "--sign-key", s.key.SecretPath,
		"docker://"+reg.Ref("ns/unsigned", "v1")).mustSucceed(t)
	ocid(t, "--policy", pol, "--registries.d", regd, "image", "copy", "-q", "--src-tls-verify=false",
		"docker://"+reg.Ref("ns/unsigned", "v1"), "dir:"+filepath.Join(s.dir, "now")).mustSucceed(t)
}

func TestStandaloneSignVerifyBothWays(t *testing.T) {
	s := newSigningEnv(t)
	img := fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "standalone")
	manifest := filepath.Join(s.dir, "manifest.json")
	os.WriteFile(manifest, img.Manifest.Data, 0o644)

	byOcid := filepath.Join(s.dir, "ocid.sig")
	ocid(t, "image", "standalone-sign", "--key", s.key.SecretPath, manifest, "busybox:latest", "-o", byOcid).mustSucceed(t)
	if out, err := s.skopeo(t, "standalone-verify", manifest, "docker.io/library/busybox:latest", s.key.Fingerprint, byOcid); err != nil {
		t.Fatalf("skopeo standalone-verify of ocid's signature: %v\n%s", err, out)
	}

	bySkopeo := filepath.Join(s.dir, "skopeo.sig")
	if out, err := s.skopeo(t, "standalone-sign", manifest, "busybox:latest", s.key.Fingerprint, "-o", bySkopeo); err != nil {
		t.Fatalf("skopeo standalone-sign: %v\n%s", err, out)
	}
	r := ocid(t, "image", "standalone-verify", "--keyring", s.key.PublicPath, manifest, "busybox:latest", s.key.Fingerprint, bySkopeo).mustSucceed(t)
	if !strings.Contains(r.stdout, "Signature verified using fingerprint "+s.key.Fingerprint) {
		t.Fatalf("unexpected output: %s", r.stdout)
	}
	// Wrong reference and tampered manifest are refused.
	ocid(t, "image", "standalone-verify", "--keyring", s.key.PublicPath, manifest, "busybox:other", s.key.Fingerprint, bySkopeo).mustFail(t, "busybox")
	tampered := filepath.Join(s.dir, "tampered.json")
	os.WriteFile(tampered, append(img.Manifest.Data, ' '), 0o644)
	ocid(t, "image", "standalone-verify", "--keyring", s.key.PublicPath, tampered, "busybox:latest", s.key.Fingerprint, bySkopeo).mustFail(t, "digest")
}

func TestTrustSetAndShow(t *testing.T) {
	s := newSigningEnv(t)
	pol := filepath.Join(s.dir, "policy.json")
	os.WriteFile(pol, []byte(`{"default":[{"type":"insecureAcceptAnything"}]}`), 0o644)
	ocid(t, "--policy", pol, "trust", "set", "--type", "signedBy", "--pubkeysfile", s.key.PublicPath, "registry.acme.example").mustSucceed(t)
	ocid(t, "--policy", pol, "trust", "set", "--type", "reject", "default").mustSucceed(t)
	out := ocid(t, "--policy", pol, "trust", "show", "--format", "json").mustSucceed(t).stdout
	if !strings.Contains(out, "registry.acme.example") || !strings.Contains(out, s.key.Fingerprint) || !strings.Contains(out, "reject") {
		t.Fatalf("trust show lacks the new entries:\n%s", out)
	}
	// skopeo reads the edited file and agrees that the default rejects.
	img := fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "trust")
	layout := fixtures.NewOCILayout(t, "x", img)
	if out, err := s.skopeo(t, "--policy", pol, "copy", "oci:"+layout+":x", "dir:"+filepath.Join(s.dir, "d")); err == nil {
		t.Fatalf("skopeo accepted under a reject default:\n%s", out)
	}
	ocid(t, "--policy", pol, "image", "copy", "-q", "oci:"+layout+":x", "dir:"+filepath.Join(s.dir, "d2")).mustFail(t, "rejected")
}

// TestRemapIdentityMirror: an image signed under its upstream name and
// served from a mirror is accepted with remapIdentity, by ocid and skopeo
// alike, and refused by both under the default identity rule.
func TestRemapIdentityMirror(t *testing.T) {
	s := newSigningEnv(t)
	reg := fixtures.StartRegistry(t)
	regd := filepath.Join(s.dir, "registries.d")
	os.MkdirAll(regd, 0o755)
	os.WriteFile(filepath.Join(regd, "default.yaml"), []byte("default-docker:\n  lookaside: file://"+filepath.Join(s.dir, "sigstore")+"\n"), 0o644)
	layout := fixtures.NewOCILayout(t, "app", fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "remap"))
	mirrored := reg.Host + "/mirror/ns/app:1"
	ocid(t, "--insecure-policy", "--registries.d", regd, "image", "copy", "-q", "--dest-tls-verify=false",
		"--sign-key", s.key.SecretPath, "--sign-identity", "upstream.example/ns/app:1", "oci:"+layout+":app", "docker://"+mirrored).mustSucceed(t)

	write := func(name string, identity map[string]any) string {
		req := map[string]any{"type": "signedBy", "keyType": "GPGKeys", "keyPath": s.key.PublicPath}
		if identity != nil {
			req["signedIdentity"] = identity
		}
		raw, _ := json.Marshal(map[string]any{
			"default":    []any{map[string]any{"type": "reject"}},
			"transports": map[string]any{"docker": map[string]any{reg.Host: []any{req}}, "dir": map[string]any{"": []any{map[string]any{"type": "insecureAcceptAnything"}}}},
		})
		p := filepath.Join(s.dir, name)
		os.WriteFile(p, raw, 0o644)
		return p
	}
	remap := write("remap.json", map[string]any{"type": "remapIdentity", "prefix": reg.Host + "/mirror", "signedPrefix": "upstream.example"})
	exact := write("exact.json", nil)
	for _, tc := range []struct {
		policy string
		allow  bool
	}{{remap, true}, {exact, false}} {
		r := ocid(t, "--policy", tc.policy, "--registries.d", regd, "image", "copy", "-q", "--src-tls-verify=false", "docker://"+mirrored, "dir:"+filepath.Join(t.TempDir(), "o"))
		out, err := s.skopeo(t, "--policy", tc.policy, "--registries.d", regd, "copy", "--src-tls-verify=false", "docker://"+mirrored, "dir:"+filepath.Join(t.TempDir(), "s"))
		if (r.code == 0) != tc.allow || (err == nil) != tc.allow {
			t.Fatalf("%s: ocid exit %d (%s), skopeo %v (%s); want allowed=%v", filepath.Base(tc.policy), r.code, r.stderr, err, out, tc.allow)
		}
	}
}
