package trust

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures/gpgtest"
	"github.com/ocid-project/ocid/trust/signature"
)

// TestSkopeoDirPolicyParity builds dir: images signed by skopeo (copy
// --sign-by) and by ocid (signature-1 written by hand), then for every
// policy asks skopeo 1.9.3 (`skopeo --policy P copy dir:A dir:B`) and
// Evaluate for a verdict; they must agree. Identity matchers that need a
// docker name (matchExact, matchRepoDigestOrExact, matchRepository,
// remapIdentity) reject every dir: image in both; their positive cases
// are unit-tested with docker references.
func TestSkopeoDirPolicyParity(t *testing.T) {
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed")
	}
	h, key, other := fixtures(t)
	root := t.TempDir()
	const ident = "example.com/ns/app:v1"

	// The unsigned base image, and skopeo's signed copy of it.
	base := filepath.Join(root, "images", "unsigned")
	manifest := makeDirImage(t, base, "hello from ocid\n")
	open := writePolicy(t, root, "open.json", `{"default":[{"type":"insecureAcceptAnything"}]}`)
	bySkopeo := filepath.Join(root, "images", "skopeo-signed")
	if out, err := skopeo(t, h, "--policy", open, "copy", "--quiet", "--sign-by", key.Fingerprint, "--sign-identity", ident, "dir:"+base, "dir:"+bySkopeo); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(bySkopeo, "signature-1")); err != nil {
		t.Fatalf("skopeo wrote no signature: %v", err)
	}
	// A key whose signing subkey makes the signatures: skopeo (gpgme)
	// reports the subkey's fingerprint, which no policy lists.
	subKey, err := h.GenerateKey(gpgtest.KeyOptions{Name: "subkey signer", SigningSubkey: true})
	if err != nil {
		t.Fatal(err)
	}
	bySubkey := filepath.Join(root, "images", "skopeo-subkey-signed")
	if out, err := skopeo(t, h, "--policy", open, "copy", "--quiet", "--sign-by", subKey.Fingerprint, "--sign-identity", ident, "dir:"+base, "dir:"+bySubkey); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	// skopeo's manifest is byte-identical (dir → dir copies it as is).
	if m, _ := os.ReadFile(filepath.Join(bySkopeo, "manifest.json")); !bytes.Equal(m, manifest) {
		t.Fatal("skopeo changed the manifest")
	}

	sk, osk := signingKey(t, key), signingKey(t, other)
	sign := func(k *signature.SigningKey, ref string) []byte {
		b, err := signature.StandaloneSign(manifest, ref, k, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	armored, err := h.GPG(mustPayload(t, manifest, ident), "--local-user", key.Fingerprint, "--sign", "--armor")
	if err != nil {
		t.Fatal(err)
	}
	images := map[string]string{"unsigned": base, "skopeo-signed": bySkopeo, "skopeo-subkey-signed": bySubkey}
	variant := func(name string, sigs ...[]byte) {
		dir := filepath.Join(root, "images", name)
		copyDir(t, base, dir)
		for i, s := range sigs {
			if err := os.WriteFile(filepath.Join(dir, "signature-"+string(rune('1'+i))), s, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		images[name] = dir
	}
	variant("ocid-signed", sign(sk, ident))
	variant("ocid-signed-other-key", sign(osk, ident))
	variant("ocid-signed-other-identity", sign(sk, "example.com/ns/other:v2"))
	variant("other-then-good", sign(osk, ident), sign(sk, ident))
	variant("armored", armored)
	// A tampered manifest: same content, different bytes, so another digest.
	variant("tampered", sign(sk, ident))
	if err := os.WriteFile(filepath.Join(images["tampered"], "manifest.json"), append(bytes.Clone(manifest), '\n'), 0o644); err != nil {
		t.Fatal(err)
	}

	keyPath := `"keyPath":"` + key.PublicPath + `"`
	signedBy := func(keys, identity string) string {
		si := ""
		if identity != "" {
			si = `,"signedIdentity":` + identity
		}
		return `[{"type":"signedBy","keyType":"GPGKeys",` + keys + si + `}]`
	}
	exactRef := `{"type":"exactReference","dockerReference":"` + ident + `"}`
	exactRepo := `{"type":"exactRepository","dockerRepository":"example.com/ns/app"}`
	imagesDir := filepath.Join(root, "images")
	resolvedImages, _ := filepath.EvalSymlinks(imagesDir)
	policies := map[string]string{
		"exactReference":             `{"default":` + signedBy(keyPath, exactRef) + `}`,
		"exactRepository":            `{"default":` + signedBy(keyPath, exactRepo) + `}`,
		"exactReference other tag":   `{"default":` + signedBy(keyPath, `{"type":"exactReference","dockerReference":"example.com/ns/app:v2"}`) + `}`,
		"exactRepository other repo": `{"default":` + signedBy(keyPath, `{"type":"exactRepository","dockerRepository":"example.com/ns/other"}`) + `}`,
		"default identity":           `{"default":` + signedBy(keyPath, "") + `}`,
		"matchRepository":            `{"default":` + signedBy(keyPath, `{"type":"matchRepository"}`) + `}`,
		"matchExact":                 `{"default":` + signedBy(keyPath, `{"type":"matchExact"}`) + `}`,
		"remapIdentity":              `{"default":` + signedBy(keyPath, `{"type":"remapIdentity","prefix":"example.com","signedPrefix":"example.com"}`) + `}`,
		"keyPaths":                   `{"default":` + signedBy(`"keyPaths":["`+other.PublicPath+`","`+key.PublicArmoredPath+`"]`, exactRepo) + `}`,
		"keyPaths other only":        `{"default":` + signedBy(`"keyPaths":["`+other.PublicArmoredPath+`"]`, exactRepo) + `}`,
		"keyData binary":             `{"default":` + signedBy(`"keyData":"`+base64.StdEncoding.EncodeToString(key.Public)+`"`, exactRepo) + `}`,
		"keyData armored":            `{"default":` + signedBy(`"keyData":"`+base64.StdEncoding.EncodeToString(key.PublicArmored)+`"`, exactRef) + `}`,
		"scope: dir identity beats parent": `{"default":[{"type":"reject"}],"transports":{"dir":{` +
			`"` + resolvedImages + `":[{"type":"reject"}],` +
			`"` + filepath.Join(resolvedImages, "ocid-signed") + `":` + signedBy(keyPath, exactRepo) + `,` +
			`"` + filepath.Join(resolvedImages, "skopeo-signed") + `":[{"type":"insecureAcceptAnything"}]}}}`,
		"scope: parent beats empty": `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"dir":{` +
			`"":[{"type":"insecureAcceptAnything"}],` +
			`"` + resolvedImages + `":` + signedBy(keyPath, exactRef) + `}}}`,
		"scope: empty beats default": `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"dir":{"":` + signedBy(keyPath, exactRef) + `}}}`,
		"scope: other transport":     `{"default":` + signedBy(keyPath, exactRef) + `,"transports":{"docker":{"":[{"type":"reject"}]}}}`,
		"two requirements":           `{"default":` + strings.TrimSuffix(signedBy(keyPath, exactRepo), "]") + `,{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + other.PublicPath + `","signedIdentity":` + exactRepo + `}]}`,
		"reject":                     `{"default":[{"type":"reject"}]}`,
		"subkey owner's key":         `{"default":` + signedBy(`"keyPath":"`+subKey.PublicPath+`"`, exactRepo) + `}`,
	}

	ctx := context.Background()
	accepted := 0
	for pname, pjson := range policies {
		ppath := writePolicy(t, root, "p.json", pjson)
		p, err := LoadPolicy(ppath)
		if err != nil {
			t.Fatalf("%s: %v", pname, err)
		}
		pc := NewPolicyContext(p, nil)
		for iname, dir := range images {
			ocidErr := pc.Evaluate(ctx, newDirImage(t, dir))
			dst := filepath.Join(root, "out")
			_ = os.RemoveAll(dst)
			out, skErr := skopeo(t, h, "--policy", ppath, "copy", "--quiet", "dir:"+dir, "dir:"+dst)
			if (ocidErr == nil) != (skErr == nil) {
				t.Errorf("policy %q, image %s: ocid %v; skopeo %v: %s", pname, iname, ocidErr, skErr, bytes.TrimSpace(out))
				continue
			}
			if skErr != nil && !bytes.Contains(out, []byte("Source image rejected")) {
				t.Errorf("policy %q, image %s: skopeo failed for another reason: %s", pname, iname, out)
			}
			if ocidErr == nil {
				accepted++
			}
		}
	}
	if accepted < 15 {
		t.Errorf("only %d accepted cases: the parity test is not exercising acceptance", accepted)
	}
	t.Logf("%d policies × %d images, %d accepted by both", len(policies), len(images), accepted)
}

func skopeo(t *testing.T, h *gpgtest.Home, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", args...)
	cmd.Env = h.Env()
	return cmd.CombinedOutput()
}

func writePolicy(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "signature-") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustPayload(t *testing.T, manifest []byte, ref string) []byte {
	t.Helper()
	d, err := signature.ManifestDigest(manifest)
	if err != nil {
		t.Fatal(err)
	}
	p, err := signature.MarshalPayload(signature.NewPayload(d, ref, "test", time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return p
}
