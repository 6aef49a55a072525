package registries

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/reference"
)

const (
	digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
)

// mustParse parses one file's text as a complete configuration.
func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := Parse([]byte(text), "test.conf")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

// mustRef parses a reference the way callers of PullSources do.
func mustRef(t *testing.T, s string) reference.Named {
	t.Helper()
	r, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		t.Fatalf("ParseNormalizedNamed(%q): %v", s, err)
	}
	return r
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// useDefaults points Load's defaults at paths under a temp dir for one test.
func useDefaults(t *testing.T, path, dropInDir string) {
	t.Helper()
	oldPath, oldDir := defaultPath, defaultDropInDir
	defaultPath, defaultDropInDir = path, dropInDir
	t.Cleanup(func() { defaultPath, defaultDropInDir = oldPath, oldDir })
}

// wantErr checks that err wraps sentinel and mentions every fragment.
func wantErr(t *testing.T, err, sentinel error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one wrapping %v and mentioning %q", sentinel, fragments)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not wrap %v", err, sentinel)
	}
	for _, f := range fragments {
		if !strings.Contains(err.Error(), f) {
			t.Errorf("error %q does not mention %q", err, f)
		}
	}
}

func refStrings(refs []reference.Named) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.String()
	}
	return out
}

// parseUnnormalizedForTest returns a reference as reference.Parse gives it,
// without Docker Hub normalisation: what a careless caller might pass.
func parseUnnormalizedForTest(s string) (reference.Named, error) {
	r, err := reference.Parse(s)
	if err != nil {
		return nil, err
	}
	named, ok := r.(reference.Named)
	if !ok {
		return nil, errors.New("not a named reference")
	}
	return named, nil
}
