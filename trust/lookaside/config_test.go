package lookaside

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func writeDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadMerge(t *testing.T) {
	dir := writeDir(t, map[string]string{
		"default.yaml": `
default-docker:
  lookaside: file:///var/lib/sigs
  lookaside-staging: file:///srv/staging
  future-key: ignored
`,
		"example.yaml": `
unknown-top: {a: 1}
docker:
  example.com:
    sigstore: https://sigs.example.com/old
    sigstore-staging: file:///old-staging
  example.com/ns/app:
    lookaside: https://sigs.example.com/new
    sigstore: https://ignored.example.com
    use-sigstore-attachments: true
  example.com:5000: {}
`,
		"notes.txt": "not: [yaml",
	})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.DefaultDocker == nil || c.DefaultDocker.Lookaside != "file:///var/lib/sigs" || c.DefaultDocker.LookasideStaging != "file:///srv/staging" {
		t.Fatalf("default-docker %+v", c.DefaultDocker)
	}
	if ns := c.Docker["example.com"]; ns.Lookaside != "https://sigs.example.com/old" || ns.LookasideStaging != "file:///old-staging" {
		t.Fatalf("old aliases: %+v", ns)
	}
	if ns := c.Docker["example.com/ns/app"]; ns.Lookaside != "https://sigs.example.com/new" || ns.UseSigstoreAttachments == nil || !*ns.UseSigstoreAttachments {
		t.Fatalf("new key wins over old alias: %+v", ns)
	}
	if _, ok := c.Docker["example.com:5000"]; !ok {
		t.Fatal("empty scope section lost")
	}
}

func TestLoadMissingDirIsEmpty(t *testing.T) {
	c, err := Load(filepath.Join(t.TempDir(), "nope"))
	if err != nil || c.DefaultDocker != nil || len(c.Docker) != 0 {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"default-docker twice", map[string]string{"a.yaml": "default-docker: {lookaside: file:///a}", "b.yaml": "default-docker: {lookaside: file:///b}"}, `"default-docker" defined both in`},
		{"scope twice across files", map[string]string{"a.yaml": "docker: {example.com: {lookaside: file:///a}}", "b.yaml": "docker:\n  example.com:\n    lookaside: file:///b\n"}, `scope "example.com" defined both in`},
		{"scope twice in one file", map[string]string{"a.yaml": "docker:\n  example.com: {}\n  example.com: {}\n"}, `already set`},
		{"syntax", map[string]string{"a.yaml": "docker: [\n"}, "a.yaml"},
		{"top level not a mapping", map[string]string{"a.yaml": "- a\n"}, "expected a mapping at the top level"},
		{"docker not a mapping", map[string]string{"a.yaml": "docker: [a]\n"}, "docker: expected a mapping of scopes"},
		{"scope not a mapping", map[string]string{"a.yaml": "docker: {example.com: x}\n"}, `docker."example.com": expected a mapping`},
		{"lookaside not a string", map[string]string{"a.yaml": "default-docker: {lookaside: [x]}\n"}, "default-docker.lookaside: expected a URL string"},
		{"attachments not a bool", map[string]string{"a.yaml": "default-docker: {use-sigstore-attachments: \"yes please\"}\n"}, "expected a boolean"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(writeDir(t, c.files))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("%v does not wrap ErrInvalidArgument", err)
			}
		})
	}
}

func TestBaseURLScopeChoice(t *testing.T) {
	dir := writeDir(t, map[string]string{"a.yaml": `
default-docker:
  lookaside: https://default.example.com/sigs
  use-sigstore-attachments: false
docker:
  example.com/ns/app:v1:
    lookaside-staging: file:///staging/exact
  example.com/ns:
    lookaside: https://ns.example.com/sigs
  example.com:
    lookaside: https://host.example.com/sigs
    lookaside-staging: file:///staging/host
    use-sigstore-attachments: true
  "*.example.com":
    lookaside: https://wild.example.com/sigs
`})
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	// Scopes as trust.DockerReferenceScopes computes them.
	app := []string{"example.com/ns/app:v1", "example.com/ns/app", "example.com/ns", "example.com", "*.com"}
	sub := []string{"reg.example.com/x:1", "reg.example.com/x", "reg.example.com", "*.example.com", "*.com"}
	other := []string{"quay.io/x:1", "quay.io/x", "quay.io", "*.io"}
	cases := []struct {
		scopes []string
		write  bool
		want   string
	}{
		// The exact section has no lookaside: reading falls through to the namespace.
		{app, false, "https://ns.example.com/sigs"},
		{app, true, "file:///staging/exact"},
		{app[2:], true, "https://ns.example.com/sigs"}, // no staging in the namespace: lookaside is written
		{app[3:], true, "file:///staging/host"},
		{sub, false, "https://wild.example.com/sigs"},
		{other, false, "https://default.example.com/sigs"},
	}
	for _, tc := range cases {
		u, err := c.BaseURL(tc.scopes, tc.write)
		if err != nil || u.String() != tc.want {
			t.Errorf("%v write=%v: %v %v, want %s", tc.scopes, tc.write, u, err, tc.want)
		}
	}
	if !c.UseSigstoreAttachments(app) || c.UseSigstoreAttachments(other) {
		t.Error("use-sigstore-attachments lookup")
	}
	empty, _ := Load(t.TempDir())
	if u, _ := empty.BaseURL(app, true); u.String() != DefaultBase {
		t.Errorf("nothing configured: %v", u)
	}
}
