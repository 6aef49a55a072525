package trust

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/distribution/reference"
)

func TestDockerReferenceNaming(t *testing.T) {
	cases := []struct {
		ref string
		id  string
		ns  []string
	}{
		{"example.com:5000/ns1/ns2/app:v1", "example.com:5000/ns1/ns2/app:v1",
			[]string{"example.com:5000/ns1/ns2/app", "example.com:5000/ns1/ns2", "example.com:5000/ns1", "example.com:5000", "*.com"}},
		{"busybox", "docker.io/library/busybox:latest",
			[]string{"docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"}},
		{"a.b.c.example.com/x@sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7", "a.b.c.example.com/x@sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7",
			[]string{"a.b.c.example.com/x", "a.b.c.example.com", "*.b.c.example.com", "*.c.example.com", "*.example.com", "*.com"}},
		{"localhost:5000/app:1", "localhost:5000/app:1", []string{"localhost:5000/app", "localhost:5000"}},
	}
	for _, c := range cases {
		r := newDockerRef(t, c.ref)
		if got := r.PolicyConfigurationIdentity(); got != c.id {
			t.Errorf("%s: identity %s, want %s", c.ref, got, c.id)
		}
		if got := r.PolicyConfigurationNamespaces(); !reflect.DeepEqual(got, c.ns) {
			t.Errorf("%s: namespaces %q, want %q", c.ref, got, c.ns)
		}
		scopes, err := DockerReferenceScopes(r.ref)
		if err != nil || scopes[0] != c.id || len(scopes) != len(c.ns)+1 {
			t.Errorf("%s: scopes %q %v", c.ref, scopes, err)
		}
		// Every scope we produce is one ValidateScope accepts.
		for _, s := range scopes {
			if err := ValidateScope("docker", s); err != nil {
				t.Errorf("%s: scope %q refused: %v", c.ref, s, err)
			}
		}
	}
	nameOnly, _ := reference.ParseNormalizedNamed("busybox")
	if _, err := DockerReferenceIdentity(nameOnly); err == nil {
		t.Error("identity of a name without tag or digest")
	}
	both, _ := reference.ParseNormalizedNamed("busybox:1@sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7")
	if _, err := DockerReferenceIdentity(both); err == nil {
		t.Error("identity of a reference with tag and digest")
	}
}

func TestPathNaming(t *testing.T) {
	if got := PathNamespaces("/var/lib/images/app"); !reflect.DeepEqual(got, []string{"/var/lib/images", "/var/lib", "/var"}) {
		t.Errorf("namespaces %q", got)
	}
	if got := PathNamespaces("/app"); len(got) != 0 {
		t.Errorf("namespaces of /app: %q", got)
	}
	dir := t.TempDir()
	real := filepath.Join(dir, "real")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(real, filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	resolvedDir, _ := filepath.EvalSymlinks(dir)
	for in, want := range map[string]string{
		filepath.Join(dir, "link"):                         filepath.Join(resolvedDir, "real"),
		filepath.Join(dir, "link", "new"):                  filepath.Join(resolvedDir, "real", "new"),
		filepath.Join(dir, "real", "..", "real", "") + "/": filepath.Join(resolvedDir, "real"),
	} {
		got, err := ResolvePolicyPath(in)
		if err != nil || got != want {
			t.Errorf("ResolvePolicyPath(%s) = %s, %v; want %s", in, got, err, want)
		}
		if err := ValidateScope("dir", got); err != nil {
			t.Errorf("resolved %s is not a valid dir scope: %v", got, err)
		}
	}
	if _, err := ResolvePolicyPath(filepath.Join(dir, "missing", "new")); err == nil {
		t.Error("missing parent accepted")
	}
}
