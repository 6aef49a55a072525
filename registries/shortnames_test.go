package registries

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

const shortNamesConf = `
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]
short-name-mode = "%s"

[aliases]
"fedora" = "registry.fedoraproject.org/fedora"
"alpine" = "docker.io/alpine"
"opensuse/leap" = "registry.opensuse.org/opensuse/leap"
`

func TestResolveShortName(t *testing.T) {
	c := mustParse(t, fmt.Sprintf(shortNamesConf, "disabled"))
	for _, tc := range []struct {
		name   string
		source ShortNameSource
		want   []string
	}{
		// Qualified names pass through, normalised, with :latest when bare.
		{"quay.io/ns/app", FromQualifiedName, []string{"quay.io/ns/app:latest"}},
		{"quay.io/ns/app:1", FromQualifiedName, []string{"quay.io/ns/app:1"}},
		{"docker.io/busybox", FromQualifiedName, []string{"docker.io/library/busybox:latest"}},
		{"index.docker.io/busybox:1", FromQualifiedName, []string{"docker.io/library/busybox:1"}},
		{"localhost/app", FromQualifiedName, []string{"localhost/app:latest"}},
		{"localhost:5000/app@" + digestA, FromQualifiedName, []string{"localhost:5000/app@" + digestA}},
		{"myhost:5000/app", FromQualifiedName, []string{"myhost:5000/app:latest"}},
		// Aliases win over search registries; tag and digest are carried over.
		{"fedora", FromAlias, []string{"registry.fedoraproject.org/fedora:latest"}},
		{"fedora:39", FromAlias, []string{"registry.fedoraproject.org/fedora:39"}},
		{"fedora@" + digestA, FromAlias, []string{"registry.fedoraproject.org/fedora@" + digestA}},
		{"fedora:39@" + digestA, FromAlias, []string{"registry.fedoraproject.org/fedora:39@" + digestA}},
		{"alpine", FromAlias, []string{"docker.io/library/alpine:latest"}},
		{"opensuse/leap:15", FromAlias, []string{"registry.opensuse.org/opensuse/leap:15"}},
		// Otherwise every search registry in order; docker.io adds library/.
		{"busybox", FromSearchRegistries, []string{
			"registry.fedoraproject.org/busybox:latest",
			"quay.io/busybox:latest",
			"docker.io/library/busybox:latest"}},
		{"ns/app:2@" + digestB, FromSearchRegistries, []string{
			"registry.fedoraproject.org/ns/app:2@" + digestB,
			"quay.io/ns/app:2@" + digestB,
			"docker.io/ns/app:2@" + digestB}},
		// Aliases match the repository exactly: "library/alpine" is not "alpine".
		{"library/alpine", FromSearchRegistries, []string{
			"registry.fedoraproject.org/library/alpine:latest",
			"quay.io/library/alpine:latest",
			"docker.io/library/alpine:latest"}},
	} {
		res, err := c.ResolveShortName(tc.name)
		if err != nil {
			t.Errorf("ResolveShortName(%q): %v", tc.name, err)
			continue
		}
		if got := refStrings(res.Candidates); !slices.Equal(got, tc.want) {
			t.Errorf("ResolveShortName(%q) = %q, want %q", tc.name, got, tc.want)
		}
		if res.Source != tc.source {
			t.Errorf("ResolveShortName(%q).Source = %v, want %v", tc.name, res.Source, tc.source)
		}
		if wantAmbiguous := tc.source == FromSearchRegistries; res.Ambiguous != wantAmbiguous {
			t.Errorf("ResolveShortName(%q).Ambiguous = %v", tc.name, res.Ambiguous)
		}
		if tc.source != FromQualifiedName && res.Origin != "test.conf" {
			t.Errorf("ResolveShortName(%q).Origin = %q", tc.name, res.Origin)
		}
	}
}

func TestShortNameModes(t *testing.T) {
	for _, tc := range []struct {
		mode          string
		wantMode      ShortNameMode
		wantAmbiguous bool // an *AmbiguousShortNameError for "busybox"
	}{
		{"enforcing", ShortNameEnforcing, true},
		{"permissive", ShortNamePermissive, false},
		{"disabled", ShortNameDisabled, false},
		{"", ShortNamePermissive, false}, // the containers/image default
	} {
		c := mustParse(t, fmt.Sprintf(shortNamesConf, tc.mode))
		if c.ShortNameMode() != tc.wantMode {
			t.Errorf("mode %q: ShortNameMode() = %q", tc.mode, c.ShortNameMode())
		}
		res, err := c.ResolveShortName("busybox:1")
		if res == nil || len(res.Candidates) != 3 || !res.Ambiguous {
			t.Fatalf("mode %q: resolution %+v, want the 3 candidates flagged ambiguous", tc.mode, res)
		}
		var amb *AmbiguousShortNameError
		if got := errors.As(err, &amb); got != tc.wantAmbiguous {
			t.Errorf("mode %q: ambiguous error = %v (%v), want %v", tc.mode, got, err, tc.wantAmbiguous)
		}
		if tc.wantAmbiguous {
			wantErr(t, err, errdefs.ErrInvalidArgument, "busybox:1", "enforcing",
				"registry.fedoraproject.org/busybox:1", "quay.io/busybox:1", "docker.io/library/busybox:1")
			if len(amb.Candidates) != 3 {
				t.Errorf("error carries %d candidates", len(amb.Candidates))
			}
		}
		// An alias is never ambiguous, whatever the mode.
		if res, err := c.ResolveShortName("fedora"); err != nil || res.Ambiguous || len(res.Candidates) != 1 {
			t.Errorf("mode %q: alias resolution %+v, %v", tc.mode, res, err)
		}
	}
}

func TestShortNameEnforcingSingleSearchRegistry(t *testing.T) {
	c := mustParse(t, `
short-name-mode = "enforcing"
unqualified-search-registries = ["docker.io"]
`)
	res, err := c.ResolveShortName("busybox")
	if err != nil {
		t.Fatal(err)
	}
	if got := refStrings(res.Candidates); !slices.Equal(got, []string{"docker.io/library/busybox:latest"}) || res.Ambiguous {
		t.Fatalf("got %q (ambiguous %v)", got, res.Ambiguous)
	}
}

func TestShortNameErrors(t *testing.T) {
	empty := mustParse(t, ``)
	_, err := empty.ResolveShortName("busybox")
	wantErr(t, err, errdefs.ErrInvalidArgument, `"busybox"`, "no unqualified-search registries")

	cleared := mustParse(t, `unqualified-search-registries = []`)
	_, err = cleared.ResolveShortName("busybox")
	wantErr(t, err, errdefs.ErrInvalidArgument, "test.conf")

	for _, bad := range []string{"", "Busybox", "busybox:", "a//b", "busybox@sha256:abc", "-bad.example.com/x", "quay.io/UPPER"} {
		if _, err := empty.ResolveShortName(bad); !errdefs.IsInvalidArgument(err) {
			t.Errorf("ResolveShortName(%q) = %v, want invalid argument", bad, err)
		}
	}
}

func TestIsShortName(t *testing.T) {
	for name, want := range map[string]bool{
		"busybox":               true,
		"busybox:1":             true,
		"library/busybox":       true,
		"busybox@" + digestA:    true,
		"quay.io/x":             false,
		"localhost/x":           false,
		"host:5000/x":           false,
		"docker.io/busybox":     false,
		"not a name":            false,
		"registry.example.com/": false,
	} {
		if got := IsShortName(name); got != want {
			t.Errorf("IsShortName(%q) = %v, want %v", name, got, want)
		}
	}
}
