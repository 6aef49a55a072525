package registry_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/registries"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/registry"
)

// TestMirrorsInOrderThenPrimary: a mirror that does not answer is passed
// over for the next one; a mirror that lacks the image too; the first
// that serves the manifest serves the pull; the image keeps its logical name.
func TestMirrorsInOrderThenPrimary(t *testing.T) {
	empty := fixtures.StartRegistry(t)
	full := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	full.Push(t, "mirror/app", "v1", img)
	conf := fmt.Sprintf(`
[[registry]]
prefix = "upstream.invalid/ns"
location = "upstream.invalid/ns"
[[registry.mirror]]
location = "127.0.0.1:1/dead"
insecure = true
[[registry.mirror]]
location = "%s/mirror"
insecure = true
[[registry.mirror]]
location = "%s/mirror"
insecure = true
`, empty.Host, full.Host)
	regs, err := registries.Parse([]byte(conf), "test.conf")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := registry.ParseReference("//upstream.invalid/ns/app:v1")
	src, err := ref.NewSource(context.Background(), &transport.Options{Registries: regs})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	raw, _, err := src.Manifest(context.Background(), "")
	if err != nil || !bytes.Equal(raw, img.Manifest.Data) {
		t.Fatalf("manifest from mirror: %v", err)
	}
	if got := src.Reference().DockerReference().String(); got != "upstream.invalid/ns/app:v1" {
		t.Fatalf("logical name changed to %s", got)
	}
	// Blobs come from the same mirror.
	rc, _, err := src.Blob(context.Background(), img.Layers[0].Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
}

// TestDigestOnlyMirrorSkippedForTags: a digest-only mirror is not asked
// for a tag, so the pull fails on the (unreachable) primary, and by
// digest it is served.
func TestDigestOnlyMirrorSkippedForTags(t *testing.T) {
	full := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	full.Push(t, "mirror/app", "v1", img)
	regs, err := registries.Parse([]byte(fmt.Sprintf(`
[[registry]]
location = "upstream.invalid"
[[registry.mirror]]
location = "%s/mirror"
insecure = true
pull-from-mirror = "digest-only"
`, full.Host)), "test.conf")
	if err != nil {
		t.Fatal(err)
	}
	o := &transport.Options{Registries: regs}
	byTag, _ := registry.ParseReference("//upstream.invalid/app:v1")
	if s, err := byTag.NewSource(context.Background(), o); err == nil {
		s.Close()
		t.Fatal("a digest-only mirror served a pull by tag")
	}
	byDigest, _ := registry.ParseReference("//upstream.invalid/app@" + image.Digest(img.Manifest.Data).String())
	s, err := byDigest.NewSource(context.Background(), o)
	if err != nil {
		t.Fatalf("pull by digest through the mirror: %v", err)
	}
	s.Close()
}
