package image

import (
	"errors"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

const ociManifest = `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:` + sixtyFour + `","size":7},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:` + sixtyFour + `","size":32}]}`

var dockerListJSON = `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":10,"digest":"sha256:` + sixtyFour + `","platform":{"architecture":"arm64","os":"linux","variant":"v8"}},{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","size":10,"digest":"sha256:` + strings.Repeat("1", 64) + `","platform":{"architecture":"amd64","os":"linux"}}]}`

func TestDetectAndParse(t *testing.T) {
	mt, err := DetectMediaType([]byte(ociManifest), "")
	if err != nil || mt != MediaTypeOCIManifest {
		t.Fatalf("detect: %s %v", mt, err)
	}
	m, err := ParseManifest([]byte(ociManifest), mt)
	if err != nil || len(m.Layers) != 1 {
		t.Fatalf("parse: %v", err)
	}
	mt, err = DetectMediaType([]byte(dockerListJSON), MediaTypeDockerManifestList+"; charset=utf-8")
	if err != nil || mt != MediaTypeDockerManifestList {
		t.Fatalf("detect list: %s %v", mt, err)
	}
	idx, err := ParseIndex([]byte(dockerListJSON), mt)
	if err != nil {
		t.Fatal(err)
	}
	d, err := ChooseInstance(idx, Platform{OS: "linux", Architecture: "aarch64"})
	if err != nil || d.Digest.Encoded() != sixtyFour {
		t.Fatalf("choose arm64: %v %v", d.Digest, err)
	}
	if _, err := ChooseInstance(idx, Platform{OS: "linux", Architecture: "s390x"}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("s390x: %v", err)
	}
}

func TestBadManifests(t *testing.T) {
	for name, tc := range map[string]struct{ raw, declared string }{
		"not json":          {`{"schemaVersion":2`, ""},
		"trailing data":     {ociManifest + `{}`, ""},
		"wrong declared":    {ociManifest, MediaTypeDockerManifest},
		"schema1":           {`{"schemaVersion":1,"fsLayers":[]}`, ""},
		"bad digest":        {strings.Replace(ociManifest, "sha256:"+sixtyFour, "sha256:xyz", 1), ""},
		"negative size":     {strings.Replace(ociManifest, `"size":7`, `"size":-7`, 1), ""},
		"schemaVersion 3":   {strings.Replace(ociManifest, `"schemaVersion":2`, `"schemaVersion":3`, 1), ""},
		"no layer mt":       {strings.Replace(ociManifest, `"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip",`, ``, 1), ""},
		"nothing to detect": {`{"schemaVersion":2}`, ""},
	} {
		mt, err := DetectMediaType([]byte(tc.raw), tc.declared)
		if err == nil {
			_, err = ParseManifest([]byte(tc.raw), mt)
		}
		if !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: want invalid argument, got %v", name, err)
		}
	}
}

func TestConvertManifest(t *testing.T) {
	m, _ := ParseManifest([]byte(ociManifest), MediaTypeOCIManifest)
	d, err := ConvertManifest(m, FormatDocker)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := d.Marshal()
	want := `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":7,"digest":"sha256:` + sixtyFour + `"},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":32,"digest":"sha256:` + sixtyFour + `"}]}`
	if string(raw) != want {
		t.Fatalf("got  %s\nwant %s", raw, want)
	}
	back, err := ConvertManifest(d, FormatOCI)
	if err != nil {
		t.Fatal(err)
	}
	if raw, _ := back.Marshal(); string(raw) != ociManifest {
		t.Fatalf("round trip:\n%s\n%s", raw, ociManifest)
	}
	zstd := *m
	zstd.Layers = []Descriptor{{MediaType: MediaTypeOCILayerZstd, Digest: m.Layers[0].Digest, Size: 1}}
	if _, err := ConvertManifest(&zstd, FormatDocker); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("zstd to docker: %v", err)
	}
}

// FuzzParseManifest: detection and parsing never panic, errors are
// invalid-argument, and what parses re-marshals to something that parses
// to the same layers.
func FuzzParseManifest(f *testing.F) {
	f.Add([]byte(ociManifest), "")
	f.Add([]byte(dockerListJSON), MediaTypeDockerManifestList)
	f.Add([]byte(`{"manifests":[]}`), "")
	f.Add([]byte(`{"schemaVersion":2,"config":{},"layers":[]}`), MediaTypeOCIManifest)
	f.Fuzz(func(t *testing.T, raw []byte, declared string) {
		mt, err := DetectMediaType(raw, declared)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("detect error not invalid-argument: %v", err)
			}
			return
		}
		switch {
		case IsManifest(mt):
			m, err := ParseManifest(raw, mt)
			if err != nil {
				return
			}
			out, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			m2, err := ParseManifest(out, mt)
			if err != nil || len(m2.Layers) != len(m.Layers) || m2.Config.Digest != m.Config.Digest {
				t.Fatalf("re-marshalled manifest differs: %v", err)
			}
		case IsIndex(mt):
			idx, err := ParseIndex(raw, mt)
			if err != nil {
				return
			}
			_, _ = ChooseInstance(idx, DefaultPlatform())
			out, err := idx.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if idx2, err := ParseIndex(out, mt); err != nil || len(idx2.Manifests) != len(idx.Manifests) {
				t.Fatalf("re-marshalled index differs: %v", err)
			}
		}
	})
}
