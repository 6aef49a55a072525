package copy_test

import (
	"context"
	"sync"
	"testing"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/image"
)

// recorder is a copy.Progress that remembers how each blob ended.
type recorder struct {
	mu     sync.Mutex
	status map[string]string // digest → status
}

func (r *recorder) Blob(d image.Descriptor, what string) copy.BlobTracker {
	return &recTracker{r: r, key: d.Digest.String()}
}
func (r *recorder) Note(string) {}

type recTracker struct {
	r   *recorder
	key string
}

func (t *recTracker) Add(int64) {}
func (t *recTracker) Done(status string, err error) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	if err != nil {
		status = "error: " + err.Error()
	}
	t.r.status[t.key] = status
}

func TestSameRegistryCopyMountsAndSkips(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/src", "v1", img)
	src := parse(t, "docker://"+reg.Ref("ns/src", "v1"))
	dst := parse(t, "docker://"+reg.Ref("other/dst", "v1"))

	rec := &recorder{status: map[string]string{}}
	o := opts()
	o.Progress = rec
	if _, err := copy.Image(context.Background(), dst, src, o); err != nil {
		t.Fatal(err)
	}
	for _, l := range img.Layers {
		if got := rec.status[l.Digest.String()]; got != "mounted" {
			t.Errorf("layer %s: %q, want mounted (cross-repository mount)", l.Digest, got)
		}
	}
	checkImage(t, "docker://"+reg.Ref("other/dst", "v1"), img)

	// A second copy finds everything in place.
	rec2 := &recorder{status: map[string]string{}}
	o2 := opts()
	o2.Progress = rec2
	if _, err := copy.Image(context.Background(), dst, src, o2); err != nil {
		t.Fatal(err)
	}
	for _, b := range append([]fixtures.Blob{img.Config}, layerBlobs(img)...) {
		if got := rec2.status[b.Digest.String()]; got != "exists" {
			t.Errorf("blob %s: %q on the second copy, want exists", b.Digest, got)
		}
	}
}

func layerBlobs(img *fixtures.Image) []fixtures.Blob {
	var out []fixtures.Blob
	for _, l := range img.Layers {
		out = append(out, l.Blob)
	}
	return out
}

// TestIndexCopy copies a multi-platform image whole (--all) and as this
// machine's platform only.
func TestIndexCopy(t *testing.T) {
	e := newEnv(t)
	idx := fixtures.MultiPlatformIndex(t, fixtures.OCI, fixtures.Gzip)
	e.reg.PushIndex(t, "ns/multi", "v1", idx)
	src := parse(t, "docker://"+e.reg.Ref("ns/multi", "v1"))

	all := opts()
	all.All = true
	res, err := copy.Image(context.Background(), parse(t, "dir:"+e.dir+"/all"), src, all)
	if err != nil {
		t.Fatal(err)
	}
	if res.Digest != idx.Manifest.Digest {
		t.Fatalf("--all wrote index %s, want the source's %s", res.Digest, idx.Manifest.Digest)
	}
	for _, img := range idx.Images {
		checkInstance(t, e.dir+"/all", img)
	}

	one, err := copy.Image(context.Background(), parse(t, "oci:"+e.dir+"/one:x"), src, opts())
	if err != nil {
		t.Fatal(err)
	}
	want := hostImage(t, idx)
	if one.Digest != want.Manifest.Digest {
		t.Fatalf("single-platform copy wrote %s, want this machine's instance %s", one.Digest, want.Manifest.Digest)
	}
	checkImage(t, "oci:"+e.dir+"/one:x", want)

	// An OCI layout cannot hold a Docker list unconverted: --all to oci: of
	// a Docker list converts every instance.
	didx := fixtures.MultiPlatformIndex(t, fixtures.DockerV2S2, fixtures.Gzip)
	e.reg.PushIndex(t, "ns/dmulti", "v1", didx)
	res, err = copy.Image(context.Background(), parse(t, "oci:"+e.dir+"/conv:x"), parse(t, "docker://"+e.reg.Ref("ns/dmulti", "v1")), all)
	if err != nil {
		t.Fatal(err)
	}
	if res.MediaType != image.MediaTypeOCIIndex {
		t.Fatalf("converted index has type %s", res.MediaType)
	}
}

func hostImage(t *testing.T, idx *fixtures.Index) *fixtures.Image {
	t.Helper()
	want := image.DefaultPlatform()
	for _, img := range idx.Images {
		if img.ConfigFile.Architecture == want.Architecture && img.ConfigFile.OS == want.OS {
			return img
		}
	}
	t.Fatalf("fixture index has no %s image", image.PlatformString(want))
	return nil
}

func checkInstance(t *testing.T, dir string, img *fixtures.Image) {
	t.Helper()
	raw := readFile(t, dir+"/"+img.Manifest.Digest.Encoded()+".manifest.json")
	if string(raw) != string(img.Manifest.Data) {
		t.Fatalf("instance %s differs", img.Manifest.Digest)
	}
	for _, l := range img.Layers {
		if got := readFile(t, dir+"/"+l.Digest.Encoded()); string(got) != string(l.Data) {
			t.Fatalf("instance layer %s differs", l.Digest)
		}
	}
}
