package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
)

// assertAbsent checks that a failed copy left nothing at the destination
// and no temporary files beside it.
func assertAbsent(t *testing.T, dst string) {
	t.Helper()
	if _, err := os.Lstat(dst); err == nil {
		t.Errorf("%s exists after a failed copy", dst)
	}
	entries, _ := os.ReadDir(filepath.Dir(dst))
	for _, e := range entries {
		if strings.Contains(e.Name(), "ocid-tmp") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
}

func TestBadReferencesAndTransports(t *testing.T) {
	ocid(t, "image", "inspect", "nosuch:thing").mustFail(t, `unknown transport "nosuch"`, "dir, docker, docker-archive, oci, oci-archive")
	ocid(t, "image", "inspect", "docker://UPPER CASE").mustFail(t, "invalid image reference")
	ocid(t, "image", "inspect", "docker:busybox").mustFail(t, "must start with docker://")
	ocid(t, "image", "inspect", "busybox").mustFail(t, "expected TRANSPORT:REFERENCE")
	if r := ocid(t, "image", "copy", "--format", "v3", "dir:/a", "dir:/b"); r.code != exitUsage {
		t.Fatalf("bad --format: exit %d, want %d (%s)", r.code, exitUsage, r.stderr)
	}
}

func TestTamperedBlobIsRefusedAndNothingWritten(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)
	// Change one byte of the second layer on disk.
	blob := filepath.Join(layout, "blobs", "sha256", img.Layers[1].Digest.Encoded())
	data, err := os.ReadFile(blob)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(blob, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	for _, dst := range []string{"dir:" + out + "/d", "oci:" + out + "/o:app", "oci-archive:" + out + "/a.tar", "docker-archive:" + out + "/da.tar"} {
		ocid(t, "--insecure-policy", "image", "copy", "-q", "oci:"+layout+":app", dst).mustFail(t, img.Layers[1].Digest.String())
		assertAbsent(t, strings.SplitN(strings.SplitN(dst, ":", 2)[1], ":", 2)[0])
	}
}

func TestTruncatedBlobIsRefused(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)
	blob := filepath.Join(layout, "blobs", "sha256", img.Layers[0].Digest.Encoded())
	data, _ := os.ReadFile(blob)
	os.WriteFile(blob, data[:len(data)-10], 0o644)
	dst := filepath.Join(t.TempDir(), "d")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "oci:"+layout+":app", "dir:"+dst).mustFail(t, "truncated or wrong")
	assertAbsent(t, dst)
}

func TestMalformedManifestIsRefused(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	src := filepath.Join(t.TempDir(), "src")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "oci:"+fixtures.NewOCILayout(t, "app", img)+":app", "dir:"+src).mustSucceed(t)
	os.WriteFile(filepath.Join(src, "manifest.json"), []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"digest":"sha256:nothex"}`), 0o644)
	dst := filepath.Join(t.TempDir(), "d")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "dir:"+src, "dir:"+dst).mustFail(t, "manifest")
	assertAbsent(t, dst)
	ocid(t, "image", "inspect", "dir:"+src).mustFail(t, "not valid JSON")
}

func TestBlockedRegistry(t *testing.T) {
	conf := filepath.Join(t.TempDir(), "registries.conf")
	os.WriteFile(conf, []byte("[[registry]]\nlocation = \"blocked.example.com\"\nblocked = true\n"), 0o644)
	dst := filepath.Join(t.TempDir(), "d")
	ocid(t, "--registries-conf", conf, "--insecure-policy", "image", "copy", "docker://blocked.example.com/app:1", "dir:"+dst).mustFail(t, "blocked")
	assertAbsent(t, dst)
}

func TestRefusesToOverwriteForeignDirectory(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	dst := t.TempDir()
	os.WriteFile(filepath.Join(dst, "precious.txt"), []byte("keep me"), 0o644)
	ocid(t, "--insecure-policy", "image", "copy", "-q", "oci:"+fixtures.NewOCILayout(t, "app", img)+":app", "dir:"+dst).mustFail(t, "refusing to overwrite")
	if b, err := os.ReadFile(filepath.Join(dst, "precious.txt")); err != nil || string(b) != "keep me" {
		t.Fatal("a foreign directory was touched")
	}
}
