package trust

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/fixtures/gpgtest"
	"github.com/ocid-project/ocid/trust/signature"
)

// Package fixtures: one GNUPGHOME with a trusted and an untrusted key,
// made once; TestMain stops gpg-agent and removes it.
var (
	fixOnce  sync.Once
	fixErr   error
	fixRoot  string
	fixHome  *gpgtest.Home
	fixKey   *gpgtest.Key
	fixOther *gpgtest.Key
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixHome != nil {
		_ = fixHome.Close()
	}
	if fixRoot != "" {
		_ = os.RemoveAll(fixRoot)
	}
	os.Exit(code)
}

func fixtures(t testing.TB) (*gpgtest.Home, *gpgtest.Key, *gpgtest.Key) {
	t.Helper()
	fixOnce.Do(func() {
		if fixRoot, fixErr = os.MkdirTemp("", "ocid-trust-"); fixErr != nil {
			return
		}
		if fixHome, fixErr = gpgtest.NewHome(filepath.Join(fixRoot, "gnupg")); fixErr != nil {
			return
		}
		if fixKey, fixErr = fixHome.GenerateKey(gpgtest.KeyOptions{Name: "trusted signer"}); fixErr != nil {
			return
		}
		fixOther, fixErr = fixHome.GenerateKey(gpgtest.KeyOptions{Name: "other signer"})
	})
	if fixErr != nil {
		t.Fatalf("gpg fixtures: %v", fixErr)
	}
	return fixHome, fixKey, fixOther
}

func signingKey(t testing.TB, k *gpgtest.Key) *signature.SigningKey {
	t.Helper()
	sk, err := signature.ReadSigningKey(k.Secret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

func mustParse(t testing.TB, policy string) *Policy {
	t.Helper()
	p, err := ParsePolicy([]byte(policy), "policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// --- an image with a docker name, held in memory ---

type dockerRef struct{ ref reference.Named }

func newDockerRef(t testing.TB, s string) dockerRef {
	t.Helper()
	r, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		t.Fatal(err)
	}
	return dockerRef{reference.TagNameOnly(r)}
}

func (r dockerRef) Transport() string                { return "docker" }
func (r dockerRef) StringWithinTransport() string    { return "//" + r.ref.String() }
func (r dockerRef) DockerReference() reference.Named { return r.ref }
func (r dockerRef) PolicyConfigurationIdentity() string {
	id, err := DockerReferenceIdentity(r.ref)
	if err != nil {
		panic(err)
	}
	return id
}
func (r dockerRef) PolicyConfigurationNamespaces() []string { return DockerReferenceNamespaces(r.ref) }

type memImage struct {
	ref      ImageReference
	manifest []byte
	sigs     []signature.Signature
	sigErr   error
}

func (m *memImage) Reference() ImageReference { return m.ref }
func (m *memImage) Manifest(context.Context) ([]byte, string, error) {
	return m.manifest, "application/vnd.docker.distribution.manifest.v2+json", nil
}
func (m *memImage) Signatures(context.Context) ([]signature.Signature, error) {
	return m.sigs, m.sigErr
}

// --- a dir: image on disk, as skopeo reads and writes it ---

// dirImage reads a dir: layout: manifest.json and signature-1, -2, …
// until the first missing; an unrecognizable signature is an error.
type dirImage struct{ path, resolved string }

func newDirImage(t testing.TB, path string) *dirImage {
	t.Helper()
	r, err := ResolvePolicyPath(path)
	if err != nil {
		t.Fatal(err)
	}
	return &dirImage{path: path, resolved: r}
}

func (d *dirImage) Transport() string                       { return "dir" }
func (d *dirImage) StringWithinTransport() string           { return d.path }
func (d *dirImage) DockerReference() reference.Named        { return nil }
func (d *dirImage) PolicyConfigurationIdentity() string     { return d.resolved }
func (d *dirImage) PolicyConfigurationNamespaces() []string { return PathNamespaces(d.resolved) }
func (d *dirImage) Reference() ImageReference               { return d }
func (d *dirImage) Manifest(context.Context) ([]byte, string, error) {
	m, err := os.ReadFile(filepath.Join(d.path, "manifest.json"))
	return m, "", err
}
func (d *dirImage) Signatures(context.Context) ([]signature.Signature, error) {
	var res []signature.Signature
	for n := 1; ; n++ {
		blob, err := os.ReadFile(filepath.Join(d.path, "signature-"+strconv.Itoa(n)))
		if errors.Is(err, os.ErrNotExist) {
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		s, err := signature.Unmarshal(blob)
		if err != nil {
			return nil, fmt.Errorf("signature-%d: %w", n, err)
		}
		res = append(res, s)
	}
}

// makeDirImage writes a tiny valid image in the dir: layout: one gzipped
// tar layer holding one file, a config, a v2s2 manifest, the version file.
func makeDirImage(t testing.TB, dir, content string) []byte {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	body := []byte(content)
	if err := tw.WriteHeader(&tar.Header{Name: "hello.txt", Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	_, _ = tw.Write(body)
	_ = tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(tarBuf.Bytes())
	_ = zw.Close()
	layer := gz.Bytes()
	config, _ := json.Marshal(map[string]any{
		"architecture": "amd64", "os": "linux",
		"config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": []string{digest.FromBytes(tarBuf.Bytes()).String()}},
	})
	manifest, _ := json.MarshalIndent(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.docker.distribution.manifest.v2+json",
		"config":        map[string]any{"mediaType": "application/vnd.docker.container.image.v1+json", "size": len(config), "digest": digest.FromBytes(config).String()},
		"layers":        []any{map[string]any{"mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip", "size": len(layer), "digest": digest.FromBytes(layer).String()}},
	}, "", "   ")
	files := map[string][]byte{
		"version":                          []byte("Directory Transport Version: 1.1\n"),
		"manifest.json":                    manifest,
		digest.FromBytes(config).Encoded(): config,
		digest.FromBytes(layer).Encoded():  layer,
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return manifest
}
