package spec

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// writeBundle validates s the way a runtime will meet it: written as
// config.json into a bundle directory and read back unchanged. It returns
// the bundle directory.
func writeBundle(t *testing.T, s *specs.Spec) string {
	t.Helper()
	if s.Version != OCIVersion {
		t.Fatalf("ociVersion %q, want %q", s.Version, OCIVersion)
	}
	if s.Process == nil || len(s.Process.Args) == 0 || !filepath.IsAbs(s.Process.Cwd) {
		t.Fatalf("process %+v lacks args or an absolute cwd", s.Process)
	}
	if s.Root == nil || !filepath.IsAbs(s.Root.Path) {
		t.Fatalf("root %+v is not absolute", s.Root)
	}
	for _, m := range s.Mounts {
		if !filepath.IsAbs(m.Destination) {
			t.Fatalf("mount destination %q is not absolute", m.Destination)
		}
	}
	data, err := json.MarshalIndent(s, "", "\t")
	if err != nil {
		t.Fatalf("marshal spec: %v", err)
	}
	bundle := t.TempDir()
	path := filepath.Join(bundle, "config.json")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	read, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back specs.Spec
	dec := json.NewDecoder(bytes.NewReader(read))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("read back config.json: %v", err)
	}
	again, err := json.MarshalIndent(&back, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, again) {
		t.Fatalf("config.json does not survive a round trip:\n%s\n---\n%s", data, again)
	}
	return bundle
}
