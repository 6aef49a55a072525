package trust

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/trust/lookaside"
	"github.com/ocid-project/ocid/trust/signature"
)

// startRegistry runs Debian's docker-registry (distribution 2.8) on a free
// 127.0.0.1 port until the test ends, and returns "127.0.0.1:PORT".
func startRegistry(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Skip("docker-registry not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), addr)), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfg)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("registry did not start: %v\n%s", err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// registryImage is a docker image read from the test registry, with its
// signatures from the lookaside registries.d names.
type registryImage struct {
	dockerRef
	regd *lookaside.Config
}

func (r registryImage) Reference() ImageReference { return r.dockerRef }

func (r registryImage) Manifest(ctx context.Context) ([]byte, string, error) {
	ref := r.ref
	tagOrDigest := ""
	if c, ok := ref.(reference.Canonical); ok {
		tagOrDigest = c.Digest().String()
	} else {
		tagOrDigest = ref.(reference.NamedTagged).Tag()
	}
	u := "http://" + reference.Domain(ref) + "/v2/" + reference.Path(ref) + "/manifests/" + tagOrDigest
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, "", err
	}
	req.Header.Set("Accept", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	m, err := io.ReadAll(resp.Body)
	return m, resp.Header.Get("Content-Type"), err
}

func (r registryImage) Signatures(ctx context.Context) ([]signature.Signature, error) {
	m, _, err := r.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	scopes, err := DockerReferenceScopes(r.ref)
	if err != nil {
		return nil, err
	}
	base, err := r.regd.BaseURL(scopes, false)
	if err != nil {
		return nil, err
	}
	blobs, err := lookaside.ReadSignatures(ctx, nil, base, reference.Path(r.ref), digest.FromBytes(m))
	if err != nil {
		return nil, err
	}
	var res []signature.Signature
	for _, b := range blobs {
		s, err := signature.Unmarshal(b)
		if err != nil {
			return nil, err
		}
		res = append(res, s)
	}
	return res, nil
}

// TestSkopeoRegistryLookasideParity pushes a signed image with skopeo to a
// local registry (signature into a file: lookaside), reads and verifies
// it with ocid, adds ocid's own signature to the lookaside, and then
// compares skopeo's and ocid's verdicts for docker:// pulls by tag and by
// digest under every identity matcher and scope precedence case.
func TestSkopeoRegistryLookasideParity(t *testing.T) {
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed")
	}
	reg := startRegistry(t)
	h, key, other := fixtures(t)
	root := t.TempDir()
	sigstore := filepath.Join(root, "sigstore")
	regdDir := filepath.Join(root, "registries.d")
	if err := os.MkdirAll(regdDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Reading and writing go to the same place; written under the host's scope.
	if err := os.WriteFile(filepath.Join(regdDir, "test.yaml"), []byte("docker:\n  "+reg+":\n    lookaside: file://"+sigstore+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	regd, err := lookaside.Load(regdDir)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(root, "src")
	manifest := makeDirImage(t, src, "registry image\n")
	md := digest.FromBytes(manifest)
	open := writePolicy(t, root, "open.json", `{"default":[{"type":"insecureAcceptAnything"}]}`)
	tagRef := reg + "/ns1/app:v1"
	if out, err := skopeo(t, h, "--policy", open, "--registries.d", regdDir, "copy", "--quiet", "--dest-tls-verify=false",
		"--sign-by", key.Fingerprint, "dir:"+src, "docker://"+tagRef); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}

	// skopeo's signature is where the layout says, and verifies here.
	sigFile := filepath.Join(sigstore, "ns1", "app@sha256="+md.Encoded(), "signature-1")
	if _, err := os.Stat(sigFile); err != nil {
		t.Fatalf("skopeo's lookaside signature not at %s: %v", sigFile, err)
	}
	base, err := regd.BaseURL([]string{tagRef, reg + "/ns1/app", reg + "/ns1", reg}, true)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := lookaside.ReadSignatures(context.Background(), nil, base, "ns1/app", md)
	if err != nil || len(blobs) != 1 {
		t.Fatalf("ReadSignatures: %d, %v", len(blobs), err)
	}
	kr, _ := signature.ReadKeyring(key.Public)
	if _, err := signature.StandaloneVerify(manifest, tagRef, key.Fingerprint, blobs[0], kr); err != nil {
		t.Fatalf("skopeo's signature: %v", err)
	}
	// ocid appends its signature (by the other key, for a remapped name).
	ocidSig, err := signature.StandaloneSign(manifest, "example.com/ns1/app:v1", signingKey(t, other), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := lookaside.WriteSignatures(base, "ns1/app", md, append(blobs, ocidSig)); err != nil {
		t.Fatal(err)
	}

	sb := func(k, identity string) string {
		si := ""
		if identity != "" {
			si = `,"signedIdentity":` + identity
		}
		return `[{"type":"signedBy","keyType":"GPGKeys","keyPath":"` + k + `"` + si + `}]`
	}
	k1, k2 := key.PublicPath, other.PublicArmoredPath
	remap := `{"type":"remapIdentity","prefix":"` + reg + `/ns1","signedPrefix":"example.com/ns1"}`
	host := strings.Split(reg, ":")[0]
	policies := map[string]string{
		"default identity":                `{"default":` + sb(k1, "") + `}`,
		"matchExact":                      `{"default":` + sb(k1, `{"type":"matchExact"}`) + `}`,
		"matchRepository":                 `{"default":` + sb(k1, `{"type":"matchRepository"}`) + `}`,
		"exactReference":                  `{"default":` + sb(k1, `{"type":"exactReference","dockerReference":"`+tagRef+`"}`) + `}`,
		"exactReference other":            `{"default":` + sb(k1, `{"type":"exactReference","dockerReference":"`+reg+`/ns1/app:v2"}`) + `}`,
		"exactRepository":                 `{"default":` + sb(k1, `{"type":"exactRepository","dockerRepository":"`+reg+`/ns1/app"}`) + `}`,
		"ocid key, default identity":      `{"default":` + sb(k2, "") + `}`,
		"ocid key, remapIdentity":         `{"default":` + sb(k2, remap) + `}`,
		"ocid key, exactReference":        `{"default":` + sb(k2, `{"type":"exactReference","dockerReference":"example.com/ns1/app:v1"}`) + `}`,
		"scope: tag beats repository":     `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"` + tagRef + `":[{"type":"reject"}],"` + reg + `/ns1/app":` + sb(k1, "") + `}}}`,
		"scope: digest identity":          `{"default":[{"type":"reject"}],"transports":{"docker":{"` + reg + `/ns1/app@` + md.String() + `":[{"type":"insecureAcceptAnything"}]}}}`,
		"scope: namespace beats host":     `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"` + reg + `":[{"type":"insecureAcceptAnything"}],"` + reg + `/ns1":[{"type":"reject"}]}}}`,
		"scope: host:port beats wildcard": `{"default":[{"type":"reject"}],"transports":{"docker":{"*.0.0.1":[{"type":"reject"}],"` + reg + `":` + sb(k1, "") + `}}}`,
		"scope: wildcard beats empty":     `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"":[{"type":"insecureAcceptAnything"}],"*.0.1":[{"type":"reject"}]}}}`,
		"scope: port-less host no match":  `{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"` + host + `":[{"type":"reject"}]}}}`,
		"scope: empty beats default":      `{"default":[{"type":"reject"}],"transports":{"docker":{"":` + sb(k1, "") + `}}}`,
	}
	refs := map[string]string{"by tag": tagRef, "by digest": reg + "/ns1/app@" + md.String()}
	ctx := context.Background()
	accepted := 0
	for pname, pjson := range policies {
		ppath := writePolicy(t, root, "p.json", pjson)
		p, err := LoadPolicy(ppath)
		if err != nil {
			t.Fatalf("%s: %v", pname, err)
		}
		pc := NewPolicyContext(p, nil)
		for how, ref := range refs {
			ocidErr := pc.Evaluate(ctx, registryImage{dockerRef: newDockerRef(t, ref), regd: regd})
			dst := filepath.Join(root, "out")
			_ = os.RemoveAll(dst)
			out, skErr := skopeo(t, h, "--policy", ppath, "--registries.d", regdDir, "copy", "--quiet", "--src-tls-verify=false", "docker://"+ref, "dir:"+dst)
			if (ocidErr == nil) != (skErr == nil) {
				t.Errorf("policy %q %s: ocid %v; skopeo %v: %s", pname, how, ocidErr, skErr, bytes.TrimSpace(out))
				continue
			}
			if skErr != nil && !bytes.Contains(out, []byte("Source image rejected")) {
				t.Errorf("policy %q %s: skopeo failed for another reason: %s", pname, how, out)
			}
			if ocidErr == nil {
				accepted++
			}
			// Anchors: skopeo must read the signature ocid wrote, and the
			// docker-only matchers must behave by tag vs by digest.
			want, pinned := map[string]bool{
				"ocid key, remapIdentity by tag":     true,
				"ocid key, exactReference by digest": true,
				"ocid key, default identity by tag":  false,
				"matchExact by tag":                  true,
				"matchExact by digest":               false,
				"default identity by digest":         true,
			}[pname+" "+how]
			if pinned && want != (ocidErr == nil) {
				t.Errorf("policy %q %s: accepted=%v, want %v (%v)", pname, how, ocidErr == nil, want, ocidErr)
			}
		}
	}
	if accepted < 12 {
		t.Errorf("only %d accepted cases", accepted)
	}
	t.Logf("%d policies × %d references, %d accepted by both", len(policies), len(refs), accepted)
}
