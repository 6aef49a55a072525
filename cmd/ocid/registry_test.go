package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
)

func TestListTagsAndDelete(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "tags")
	for _, tag := range []string{"v1", "v2", "latest"} {
		reg.Push(t, "ns/app", tag, img)
	}
	reg.Push(t, "ns/app", "other", fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "other"))
	var out struct {
		Repository string
		Tags       []string
	}
	r := ocid(t, "image", "list-tags", "--tls-verify=false", "docker://"+reg.Host+"/ns/app").mustSucceed(t)
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	sort.Strings(out.Tags)
	if out.Repository != reg.Host+"/ns/app" || !reflect.DeepEqual(out.Tags, []string{"latest", "other", "v1", "v2"}) {
		t.Fatalf("list-tags: %+v", out)
	}
	// Deleting by tag deletes the manifest, so every tag of it goes.
	ocid(t, "image", "delete", "--tls-verify=false", "docker://"+reg.Ref("ns/app", "v1")).mustSucceed(t)
	r = ocid(t, "image", "list-tags", "--tls-verify=false", "--format", "{{range .Tags}}{{.}} {{end}}", "docker://"+reg.Host+"/ns/app").mustSucceed(t)
	if strings.TrimSpace(r.stdout) != "other" {
		t.Fatalf("after delete: %q", r.stdout)
	}
	ocid(t, "image", "inspect", "--tls-verify=false", "docker://"+reg.Ref("ns/app", "v2")).mustFail(t, "manifest unknown")
	ocid(t, "image", "delete", "--tls-verify=false", "docker://"+reg.Ref("ns/app", "v2")).mustFail(t, "ns/app")
}

// TestFormatAndCompressionConversion: --format and --dest-compress-format
// rewrite the manifest and layers; skopeo reads the results.
func TestFormatAndCompressionConversion(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)
	tmp := t.TempDir()

	zstd := filepath.Join(tmp, "zstd")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "--dest-compress-format", "zstd", "oci:"+layout+":app", "oci:"+zstd+":app").mustSucceed(t)
	raw := ocid(t, "image", "inspect", "oci:"+zstd+":app").mustSucceed(t).stdout
	if strings.Count(raw, "tar+zstd") != len(img.Layers) {
		t.Fatalf("not every layer is zstd:\n%s", raw)
	}
	// Back to gzip in Docker format, then check the layers unpack to the
	// same diffIDs (the config, which lists them, is unchanged).
	v2 := filepath.Join(tmp, "v2")
	ocid(t, "--insecure-policy", "image", "copy", "-q", "--format", "v2s2", "--dest-compress-format", "gzip", "oci:"+zstd+":app", "dir:"+v2).mustSucceed(t)
	m := ocid(t, "image", "inspect", "--raw", "dir:"+v2).mustSucceed(t).stdout
	if !strings.Contains(m, "application/vnd.docker.distribution.manifest.v2+json") || strings.Contains(m, "zstd") {
		t.Fatalf("v2s2 conversion:\n%s", m)
	}
	cfg := ocid(t, "image", "inspect", "--config", "--raw", "dir:"+v2).mustSucceed(t).stdout
	if cfg != string(img.Config.Data) {
		t.Fatal("the config changed in conversion")
	}
	skopeo(t, "copy", "dir:"+v2, "oci:"+filepath.Join(tmp, "skopeo-read")+":x")
	// zstd cannot be written as Docker schema 2.
	ocid(t, "--insecure-policy", "image", "copy", "-q", "--format", "v2s2", "oci:"+zstd+":app", "dir:"+filepath.Join(tmp, "never")).mustFail(t, "zstd")
	assertAbsent(t, filepath.Join(tmp, "never"))
}
