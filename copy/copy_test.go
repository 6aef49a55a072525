package copy_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/compression"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
)

// env is one test's places: a registry and a temp dir.
type env struct {
	t   *testing.T
	reg *fixtures.Registry
	dir string
}

func newEnv(t *testing.T) *env {
	return &env{t: t, reg: fixtures.StartRegistry(t), dir: t.TempDir()}
}

func insecure() *transport.Options {
	f := false
	return &transport.Options{TLSVerify: &f}
}

func opts() *copy.Options {
	return &copy.Options{InsecureAcceptAnything: true, Source: insecure(), Dest: insecure()}
}

// place returns a fresh image name of the given transport.
func (e *env) place(transportName, tag string) string {
	switch transportName {
	case "docker":
		return "docker://" + e.reg.Ref("ns/"+tag, "v1")
	case "oci":
		return "oci:" + filepath.Join(e.dir, tag+"-layout") + ":" + tag
	case "oci-archive":
		return "oci-archive:" + filepath.Join(e.dir, tag+".oci.tar") + ":" + tag
	case "dir":
		return "dir:" + filepath.Join(e.dir, tag+"-dir")
	case "docker-archive":
		return "docker-archive:" + filepath.Join(e.dir, tag+".docker.tar") + ":ns/" + tag + ":v1"
	}
	e.t.Fatalf("unknown transport %s", transportName)
	return ""
}

// seed puts img at a place of the given transport without ocid: the
// registry and OCI layout by the fixtures, the others by skopeo.
func (e *env) seed(transportName string, img *fixtures.Image) string {
	e.t.Helper()
	layout := filepath.Join(e.dir, "seed-layout")
	if err := fixtures.WriteOCILayout(layout, "seed", img); err != nil {
		e.t.Fatal(err)
	}
	name := e.place(transportName, "seed-"+transportName)
	switch transportName {
	case "docker":
		e.reg.Push(e.t, "ns/seed-docker", "v1", img)
	case "oci":
		if err := fixtures.WriteOCILayout(strings.TrimSuffix(strings.TrimPrefix(name, "oci:"), ":seed-oci"), "seed-oci", img); err != nil {
			e.t.Fatal(err)
		}
	default:
		if out, err := fixtures.Skopeo(e.t, "copy", "--preserve-digests", "oci:"+layout+":seed", name); err != nil {
			if out2, err2 := fixtures.Skopeo(e.t, "copy", "oci:"+layout+":seed", name); err2 != nil {
				e.t.Fatalf("skopeo seeding %s: %v\n%s\n%s", name, err2, out, out2)
			}
		}
	}
	return name
}

func parse(t *testing.T, name string) transport.Reference {
	t.Helper()
	ref, err := all.ParseImageName(name)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// checkImage reads the image at name back with ocid and checks it against
// the fixture layer by layer: the config bytes are the same, and every
// layer, whatever its compression now, unpacks to the same tar (diffID).
func checkImage(t *testing.T, name string, want *fixtures.Image) []byte {
	t.Helper()
	ctx := context.Background()
	src, err := parse(t, name).NewSource(ctx, insecure())
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	raw, mt, err := src.Manifest(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := image.ParseManifest(raw, mt)
	if err != nil {
		t.Fatal(err)
	}
	if m.Config.Digest != want.Config.Digest {
		t.Fatalf("%s: config %s, want %s", name, m.Config.Digest, want.Config.Digest)
	}
	if got := readBlob(t, src, m.Config); !bytes.Equal(got, want.Config.Data) {
		t.Fatalf("%s: config bytes differ", name)
	}
	if len(m.Layers) != len(want.Layers) {
		t.Fatalf("%s: %d layers, want %d", name, len(m.Layers), len(want.Layers))
	}
	for i, l := range m.Layers {
		blob := readBlob(t, src, l)
		if digest.FromBytes(blob) != l.Digest {
			t.Fatalf("%s: layer %d does not match its digest", name, i)
		}
		plain, err := compression.Decompress(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		tarBytes, err := io.ReadAll(plain)
		if err != nil {
			t.Fatal(err)
		}
		if digest.FromBytes(tarBytes) != want.Layers[i].DiffID {
			t.Fatalf("%s: layer %d unpacks to %s, want diffID %s", name, i, digest.FromBytes(tarBytes), want.Layers[i].DiffID)
		}
	}
	return raw
}

func readBlob(t *testing.T, src transport.Source, d image.Descriptor) []byte {
	t.Helper()
	rc, _, err := src.Blob(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var transports = []string{"docker", "oci", "oci-archive", "dir", "docker-archive"}

// TestEveryTransportPair copies an image from each transport to each
// other one and checks the result blob by blob.
func TestEveryTransportPair(t *testing.T) {
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	e := newEnv(t)
	for _, from := range transports {
		src := e.seed(from, img)
		for _, to := range transports {
			t.Run(from+"_to_"+to, func(t *testing.T) {
				dst := e.place(to, fmt.Sprintf("%s-to-%s", from, to))
				res, err := copy.Image(context.Background(), parse(t, dst), parse(t, src), opts())
				if err != nil {
					t.Fatal(err)
				}
				raw := checkImage(t, dst, img)
				if digest.FromBytes(raw) != res.Digest {
					t.Fatalf("result digest %s, destination manifest %s", res.Digest, digest.FromBytes(raw))
				}
				// Places that keep OCI manifests and compressed layers must
				// keep the manifest byte for byte.
				if from != "docker-archive" && to != "docker-archive" && !bytes.Equal(raw, img.Manifest.Data) {
					t.Fatalf("manifest changed:\n%s\nwant\n%s", raw, img.Manifest.Data)
				}
			})
		}
	}
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
