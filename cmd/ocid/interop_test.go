package main

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
)

type inspected struct {
	Digest string
	Layers []string
}

func parseInspect(t *testing.T, who, out string) inspected {
	t.Helper()
	var v inspected
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s inspect output: %v\n%s", who, err, out)
	}
	return v
}

func skopeo(t *testing.T, args ...string) string {
	t.Helper()
	out, err := fixtures.Skopeo(t, args...)
	if err != nil {
		t.Fatalf("skopeo %v: %v\n%s", args, err, out)
	}
	return out
}

// TestSkopeoWritesOcidReads: skopeo puts the image in every transport;
// ocid inspects it with the same digest and layers skopeo reports, and
// copies it out intact.
func TestSkopeoWritesOcidReads(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	// A Docker schema 2 image (skopeo reads no such image from an OCI
	// layout, so the fixture pushes it to the registry for skopeo to copy).
	img := fixtures.LayeredImage(t, fixtures.DockerV2S2, fixtures.Gzip)
	reg.Push(t, "seed/app", "v1", img)
	seed := "docker://" + reg.Ref("seed/app", "v1")
	tmp := t.TempDir()
	for name, dst := range map[string]string{
		"docker":         "docker://" + reg.Ref("sk/app", "v1"),
		"oci":            "oci:" + filepath.Join(tmp, "oci") + ":app",
		"dir":            "dir:" + filepath.Join(tmp, "dir"),
		"docker-archive": "docker-archive:" + filepath.Join(tmp, "da.tar") + ":sk/app:v1",
	} {
		t.Run(name, func(t *testing.T) {
			skopeo(t, "copy", "--src-tls-verify=false", "--dest-tls-verify=false", seed, dst)
			sk := parseInspect(t, "skopeo", skopeo(t, "inspect", "--tls-verify=false", dst))
			r := ocid(t, "image", "inspect", "--tls-verify=false", dst).mustSucceed(t)
			oc := parseInspect(t, "ocid", r.stdout)
			if !reflect.DeepEqual(sk.Layers, oc.Layers) {
				t.Errorf("layers: skopeo %v, ocid %v", sk.Layers, oc.Layers)
			}
			// docker save stores no manifest: each tool makes one up, so
			// only there may the digests differ (see docs/architecture.md).
			if name != "docker-archive" && sk.Digest != oc.Digest {
				t.Errorf("digest: skopeo %s, ocid %s", sk.Digest, oc.Digest)
			}
			out := filepath.Join(t.TempDir(), "copy")
			ocid(t, "--insecure-policy", "image", "copy", "-q", "--src-tls-verify=false", dst, "dir:"+out).mustSucceed(t)
			back := parseInspect(t, "skopeo", skopeo(t, "inspect", "dir:"+out))
			if !reflect.DeepEqual(back.Layers, sk.Layers) {
				t.Errorf("copied layers %v, want %v", back.Layers, sk.Layers)
			}
		})
	}
}

// TestOcidWritesSkopeoReads: ocid puts the image in every transport;
// skopeo inspects it with the digest and layers ocid reports, and copies
// it out intact.
func TestOcidWritesSkopeoReads(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	layout := fixtures.NewOCILayout(t, "app", img)
	tmp := t.TempDir()
	for name, dst := range map[string]string{
		"docker":         "docker://" + reg.Ref("oc/app", "v1"),
		"oci":            "oci:" + filepath.Join(tmp, "oci") + ":app",
		"oci-archive":    "oci-archive:" + filepath.Join(tmp, "oa.tar") + ":app",
		"dir":            "dir:" + filepath.Join(tmp, "dir"),
		"docker-archive": "docker-archive:" + filepath.Join(tmp, "da.tar") + ":oc/app:v1",
	} {
		t.Run(name, func(t *testing.T) {
			ocid(t, "--insecure-policy", "image", "copy", "-q", "--dest-tls-verify=false", "oci:"+layout+":app", dst).mustSucceed(t)
			oc := parseInspect(t, "ocid", ocid(t, "image", "inspect", "--tls-verify=false", dst).mustSucceed(t).stdout)
			sk := parseInspect(t, "skopeo", skopeo(t, "inspect", "--tls-verify=false", dst))
			if !reflect.DeepEqual(sk.Layers, oc.Layers) {
				t.Errorf("layers: skopeo %v, ocid %v", sk.Layers, oc.Layers)
			}
			if name != "docker-archive" && sk.Digest != oc.Digest {
				t.Errorf("digest: skopeo %s, ocid %s", sk.Digest, oc.Digest)
			}
			out := filepath.Join(t.TempDir(), "copy")
			skopeo(t, "copy", "--src-tls-verify=false", dst, "dir:"+out)
			back := parseInspect(t, "ocid", ocid(t, "image", "inspect", "dir:"+out).mustSucceed(t).stdout)
			if !reflect.DeepEqual(back.Layers, oc.Layers) {
				t.Errorf("skopeo's copy has layers %v, want %v", back.Layers, oc.Layers)
			}
		})
	}
}
