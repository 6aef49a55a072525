package registry_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/registry"
)

func insecureOpts() *transport.Options {
	f := false
	return &transport.Options{TLSVerify: &f}
}

func TestSourceReadsWhatWasPushed(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)

	ref, err := registry.ParseReference("//" + reg.Ref("ns/app", "v1"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	src, err := ref.NewSource(ctx, insecureOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	raw, mt, err := src.Manifest(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, img.Manifest.Data) || mt != image.MediaTypeOCIManifest {
		t.Fatalf("manifest differs (type %s)", mt)
	}
	for _, l := range img.Layers {
		rc, _, err := src.Blob(ctx, l.Descriptor())
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, l.Data) {
			t.Fatalf("layer %s differs", l.Digest)
		}
	}
}

func TestPlainHTTPRefusedUnlessInsecure(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	reg.Push(t, "ns/app", "v1", fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip))
	ref, _ := registry.ParseReference("//" + reg.Ref("ns/app", "v1"))
	_, err := ref.NewSource(context.Background(), &transport.Options{})
	if err == nil {
		t.Fatal("plain HTTP registry was used without being marked insecure")
	}
	t.Log(err)
}
