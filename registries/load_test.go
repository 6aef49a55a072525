package registries

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

const baseConf = `
unqualified-search-registries = ["example.com"]
credential-helpers = ["base-helper"]

[[registry]]
location = "base.com"
insecure = true

[[registry]]
location = "kept.com"
[[registry.mirror]]
location = "mirror.kept.com"

[aliases]
"keep" = "example.com/keep"
"override" = "example.com/base"
"erase" = "example.com/erase"
`

func TestLoadDropInMerging(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "registries.conf")
	dropIns := filepath.Join(dir, "registries.conf.d")
	writeFile(t, main, baseConf)
	writeFile(t, filepath.Join(dropIns, "10-first.conf"), `
unqualified-search-registries = ["overwritten.com"]
credential-helpers = ["first-helper"]

[[registry]]
location = "first.com"

[aliases]
"override" = "example.com/first"
`)
	writeFile(t, filepath.Join(dropIns, "20-second.conf"), `
short-name-mode = "enforcing"
unqualified-search-registries = ["second.com", "docker.io"]

# Same prefix as the base file: replaces it whole (insecure and all).
[[registry]]
location = "base.com"
blocked = true

[aliases]
"erase" = ""
"added" = "quay.io/added"
`)
	// Ignored: wrong suffix, and a directory even with the right suffix.
	writeFile(t, filepath.Join(dropIns, "30-ignored.conf.bak"), "this is not toml [")
	writeFile(t, filepath.Join(dropIns, "40-dir.conf", "inner.conf"), "this is not toml [")

	c, err := Load(Options{Path: main, DropInDir: dropIns})
	if err != nil {
		t.Fatal(err)
	}

	wantSources := []string{main, filepath.Join(dropIns, "10-first.conf"), filepath.Join(dropIns, "20-second.conf")}
	if got := c.Sources(); !slices.Equal(got, wantSources) {
		t.Errorf("Sources() = %q, want %q", got, wantSources)
	}
	search, origin := c.UnqualifiedSearchRegistries()
	if !slices.Equal(search, []string{"second.com", "docker.io"}) || origin != wantSources[2] {
		t.Errorf("search %q from %q", search, origin)
	}
	if got := c.CredentialHelpers(); !slices.Equal(got, []string{"first-helper"}) {
		t.Errorf("credential helpers %q", got)
	}
	if c.ShortNameMode() != ShortNameEnforcing {
		t.Errorf("mode %q", c.ShortNameMode())
	}

	base, ok := c.FindRegistry("base.com/x")
	if !ok || !base.Blocked || base.Insecure || base.Origin != wantSources[2] {
		t.Errorf("base.com after override: %+v", base)
	}
	kept, ok := c.FindRegistry("kept.com/x")
	if !ok || len(kept.Mirrors) != 1 || kept.Origin != main {
		t.Errorf("kept.com: %+v", kept)
	}
	if _, ok := c.FindRegistry("first.com/x"); !ok {
		t.Errorf("first.com from the first drop-in is missing")
	}
	var prefixes []string
	for _, r := range c.Registries() {
		prefixes = append(prefixes, r.Prefix)
	}
	if !slices.Equal(prefixes, []string{"base.com", "first.com", "kept.com"}) {
		t.Errorf("registries %q, want sorted unique prefixes", prefixes)
	}

	wantAliases := map[string]string{
		"keep":     "example.com/keep",
		"override": "example.com/first",
		"added":    "quay.io/added",
	}
	got := c.Aliases()
	if len(got) != len(wantAliases) {
		t.Errorf("aliases %v, want %v", got, wantAliases)
	}
	for k, v := range wantAliases {
		if got[k] != v {
			t.Errorf("alias %q = %q, want %q", k, got[k], v)
		}
	}
	if _, origin, ok := c.ResolveAlias("override"); !ok || origin != wantSources[1] {
		t.Errorf("alias origin %q", origin)
	}
	// The erased alias falls back to the search registries.
	res, err := c.ResolveShortName("erase")
	var amb *AmbiguousShortNameError
	if res == nil || res.Source != FromSearchRegistries || !errors.As(err, &amb) {
		t.Errorf("erased alias: %+v, %v", res, err)
	}
}

func TestLoadDropInClearsAndKeeps(t *testing.T) {
	for _, tc := range []struct {
		dropIn     string
		wantSearch []string
		wantHelper []string
	}{
		{"# sets nothing\n", []string{"example.com"}, []string{"base-helper"}},
		{"unqualified-search-registries = []\ncredential-helpers = []\n", []string{}, []string{AuthFileCredentialHelper}},
		{"short-name-mode = \"\"\n", []string{"example.com"}, []string{"base-helper"}},
	} {
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "main.conf"), baseConf)
		writeFile(t, filepath.Join(dir, "d", "x.conf"), tc.dropIn)
		c, err := Load(Options{Path: filepath.Join(dir, "main.conf"), DropInDir: filepath.Join(dir, "d")})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := c.UnqualifiedSearchRegistries(); !slices.Equal(got, tc.wantSearch) {
			t.Errorf("drop-in %q: search %q, want %q", tc.dropIn, got, tc.wantSearch)
		}
		if got := c.CredentialHelpers(); !slices.Equal(got, tc.wantHelper) {
			t.Errorf("drop-in %q: helpers %q, want %q", tc.dropIn, got, tc.wantHelper)
		}
		if c.ShortNameMode() != ShortNamePermissive {
			t.Errorf("drop-in %q: mode %q", tc.dropIn, c.ShortNameMode())
		}
	}
}

func TestLoadDefaults(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "registries.conf")
	dropIns := filepath.Join(dir, "registries.conf.d")
	useDefaults(t, main, dropIns)

	// Nothing at all: an empty configuration, not an error.
	c, err := Load(Options{})
	if err != nil {
		t.Fatalf("missing default file: %v", err)
	}
	if len(c.Sources()) != 0 || c.ShortNameMode() != ShortNamePermissive {
		t.Errorf("empty config: sources %q, mode %q", c.Sources(), c.ShortNameMode())
	}

	// Drop-ins apply even without a main file.
	writeFile(t, filepath.Join(dropIns, "a.conf"), "unqualified-search-registries = [\"quay.io\"]\n")
	c, err = Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UnqualifiedSearchRegistries(); !slices.Equal(got, []string{"quay.io"}) {
		t.Errorf("search %q", got)
	}

	// An explicit main file still gets the default drop-in directory, as
	// with skopeo --registries-conf; NoDropIns turns that off.
	explicit := filepath.Join(dir, "explicit.conf")
	writeFile(t, explicit, "unqualified-search-registries = [\"explicit.com\"]\n")
	c, err = Load(Options{Path: explicit})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UnqualifiedSearchRegistries(); !slices.Equal(got, []string{"quay.io"}) {
		t.Errorf("explicit path with default drop-ins: search %q", got)
	}
	c, err = Load(Options{Path: explicit, NoDropIns: true})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.UnqualifiedSearchRegistries(); !slices.Equal(got, []string{"explicit.com"}) {
		t.Errorf("NoDropIns: search %q", got)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	useDefaults(t, filepath.Join(dir, "absent.conf"), filepath.Join(dir, "absent.d"))

	missing := filepath.Join(dir, "missing.conf")
	_, err := Load(Options{Path: missing})
	wantErr(t, err, errdefs.ErrNotFound, missing)

	// A bad drop-in names itself.
	good := filepath.Join(dir, "good.conf")
	writeFile(t, good, "")
	bad := filepath.Join(dir, "d", "bad.conf")
	writeFile(t, bad, "[[registry]]\nlocation = \"a.com\"\nlocaton = \"typo\"\n")
	_, err = Load(Options{Path: good, DropInDir: filepath.Join(dir, "d")})
	wantErr(t, err, errdefs.ErrInvalidArgument, bad, `"registry.locaton"`)

	// v1 is only for the main file.
	v1 := "[registries.search]\nregistries = [\"a.com\"]\n"
	writeFile(t, bad, v1)
	_, err = Load(Options{Path: good, DropInDir: filepath.Join(dir, "d")})
	wantErr(t, err, errdefs.ErrInvalidArgument, bad, "v1")
	writeFile(t, good, v1)
	if _, err := Load(Options{Path: good, NoDropIns: true}); err != nil {
		t.Errorf("v1 main file: %v", err)
	}

	// A drop-in directory that is a file cannot be read.
	notDir := filepath.Join(dir, "file-not-dir")
	writeFile(t, notDir, "")
	if _, err := Load(Options{Path: good, DropInDir: notDir}); err == nil {
		t.Errorf("drop-in dir that is a file: no error")
	}
}

func TestLoadUnreadableMainFile(t *testing.T) {
	if os.Geteuid() == 0 {
		// Root reads mode-000 files; use a directory instead, which no
		// one can read as a file.
		dir := t.TempDir()
		useDefaults(t, dir, filepath.Join(dir, "none.d"))
		if _, err := Load(Options{}); err == nil {
			t.Fatal("directory as default registries.conf: no error")
		}
		return
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "r.conf")
	writeFile(t, path, "")
	if err := os.Chmod(path, 0); err != nil {
		t.Fatal(err)
	}
	useDefaults(t, path, filepath.Join(dir, "none.d"))
	if _, err := Load(Options{}); err == nil {
		t.Fatal("unreadable default registries.conf: no error")
	}
}
