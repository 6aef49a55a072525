package registries

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestMatchPrefix(t *testing.T) {
	for _, c := range []struct {
		name, prefix string
		want         int
	}{
		// Literal prefixes: the whole name, or followed by ':', '/', '@'.
		{"docker.io", "docker.io", len("docker.io")},
		{"docker.io", "example.com", -1},
		{"example.com/foo", "example.com", len("example.com")},
		{"example.com/foo/bar:baz", "example.com", len("example.com")},
		{"example.com/foo@" + digestA, "example.com", len("example.com")},
		{"example.com/foo@" + digestA, "example.com/foo", len("example.com/foo")},
		{"example.com/foo:tag", "example.com/foo", len("example.com/foo")},
		{"example.com/foobar", "example.com/foo", -1},
		{"example.comm/foo", "example.com", -1},
		{"docker.io/libraryy", "docker.io/library", -1},
		{"docker.io", "docker.io/library", -1},
		{"docker.io/library/busybox", "docker.io/library", len("docker.io/library")},
		// Ports.
		{"example.com:5000", "example.com:5000", len("example.com:5000")},
		{"example.com:50000", "example.com:5000", -1},
		{"example.com:5000/app", "example.com:5000", len("example.com:5000")},
		{"example.com:5000/app", "example.com:500", -1},
		// Kept from containers/image: a host prefix matches the host with a port.
		{"example.com:5000", "example.com", len("example.com")},
		{"example.com:5000/app:1", "example.com", len("example.com")},
		// Wildcards.
		{"docker.io", "*.io", len("docker.io")},
		{"docker.io/foo", "*.com", -1},
		{"example.com/foo", "*.example.com", -1},
		{"sub.example.com/foo/bar", "*.example.com", len("sub.example.com")},
		{"another.sub.example.com/foo:baz", "*.example.com", len("another.sub.example.com")},
		{"sub.example.com@" + digestA, "*.example.com", len("sub.example.com")},
		{"sub.example.com:5000/foo", "*.example.com", len("sub.example.com")},
		{"example.net/namespace-ends-in.com/foo", "*.com", -1},
		{"another.example.com/namespace.com/foo", "*.namespace.com", -1},
		{"foo.example.community/x", "*.example.com", -1},
		{".example.com/x", "*.example.com", -1}, // at least one label before the suffix
		// containers/image misses this one (first occurrence of the suffix).
		{"a.example.com.example.com/x", "*.example.com", len("a.example.com.example.com")},
	} {
		if got := matchPrefix(c.name, c.prefix); got != c.want {
			t.Errorf("matchPrefix(%q, %q) = %d, want %d", c.name, c.prefix, got, c.want)
		}
	}
}

const findRegistryConf = `
[[registry]]
prefix = "simple-prefix.com"
location = "registry.com:5000"

[[registry]]
prefix = "complex-prefix.com:4000/with/path"
location = "another-registry.com:5000"

[[registry]]
location = "no-prefix.com"

[[registry]]
prefix = "*.so.simple-prefix.com"
location = "subdomain-prefix.com"

[[registry]]
prefix = "*.simple-prefix.com"
location = "subdomain-prefix-2.com"

[[registry]]
prefix = "foo.bar.example.com:5000"
location = "port-specific.com"

[[registry]]
prefix = "*.bar.example.com"
location = "wildcard.com"

[[registry]]
prefix = "x.example.com"
location = "literal-x.com"

[[registry]]
prefix = "*.example.com"

[[registry]]
prefix = "docker.io/library"
location = "hub-library.mirror.local/lib"
`

func TestFindRegistry(t *testing.T) {
	c := mustParse(t, findRegistryConf)
	for _, tc := range []struct {
		name       string
		wantPrefix string // "" = no match
	}{
		{"simple-prefix.com/foo/bar:latest", "simple-prefix.com"},
		{"simple-prefix.com", "simple-prefix.com"},
		{"simple-prefix.commercial/foo", ""},
		{"complex-prefix.com:4000/with/path/and/beyond:tag", "complex-prefix.com:4000/with/path"},
		{"complex-prefix.com:4000/with/pathology", ""},
		{"complex-prefix.com:4000/with", ""},
		{"no-prefix.com/foo:tag", "no-prefix.com"},
		{"not.so.simple-prefix.com/foo", "*.so.simple-prefix.com"},
		{"really.not.so.simple-prefix.com:5000/x", "*.so.simple-prefix.com"},
		{"not.quite.simple-prefix.com/foo", "*.simple-prefix.com"},
		{"foo.bar.example.com:5000/omg:foo", "foo.bar.example.com:5000"},
		{"foo.bar.example.com:5001/omg:foo", "*.bar.example.com"},
		{"foo.bar.example.com/omg", "*.bar.example.com"},
		{"y.example.com/a", "*.example.com"},
		// Literal and wildcard of equal length: the literal host wins.
		{"x.example.com/a", "x.example.com"},
		{"docker.io/library/busybox", "docker.io/library"},
		{"docker.io/someone/busybox", ""},
		{"unknown.org/a", ""},
	} {
		r, ok := c.FindRegistry(tc.name)
		switch {
		case tc.wantPrefix == "" && ok:
			t.Errorf("FindRegistry(%q) = %q, want no match", tc.name, r.Prefix)
		case tc.wantPrefix != "" && !ok:
			t.Errorf("FindRegistry(%q): no match, want %q", tc.name, tc.wantPrefix)
		case ok && r.Prefix != tc.wantPrefix:
			t.Errorf("FindRegistry(%q) = %q, want %q", tc.name, r.Prefix, tc.wantPrefix)
		}
	}
}

func TestFindRegistryReturnsACopy(t *testing.T) {
	c := mustParse(t, `
[[registry]]
location = "a.com"
[[registry.mirror]]
location = "m.a.com"
`)
	r, _ := c.FindRegistry("a.com/x")
	r.Mirrors[0].Location = "evil.com"
	r.Blocked = true
	again, _ := c.FindRegistry("a.com/x")
	if again.Mirrors[0].Location != "m.a.com" || again.Blocked {
		t.Fatalf("caller's change leaked into the config: %+v", again)
	}
}

// pullSourcesConf follows containers/image's pull-sources test data.
const pullSourcesConf = `
[[registry]]
prefix = "registry-a.com/foo"
location = "registry-a.com/bar"
[[registry.mirror]]
location = "mirror-1.registry-a.com"
[[registry.mirror]]
location = "mirror-2.registry-a.com"
insecure = true

[[registry]]
prefix = "registry-b.com/foo"
location = "registry-b.com/bar"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror-1.registry-b.com"
[[registry.mirror]]
location = "mirror-2.registry-b.com"

[[registry]]
prefix = "registry-g.com/foo"
location = "registry-g.com/bar"
insecure = true
[[registry.mirror]]
pull-from-mirror = "digest-only"
location = "mirror-1.registry-g.com"
[[registry.mirror]]
pull-from-mirror = "tag-only"
location = "mirror-2.registry-g.com"
[[registry.mirror]]
location = "mirror-3.registry-g.com"
[[registry.mirror]]
pull-from-mirror = "all"
location = "mirror-4.registry-g.com"

[[registry]]
prefix = "*.wild.io"
[[registry.mirror]]
location = "wild-mirror.local/cache"

[[registry]]
prefix = "*.remap.io"
location = "remapped.local"

[[registry]]
location = "docker.io"
[[registry.mirror]]
location = "hub-mirror.local:5000"
insecure = true
[[registry]]
prefix = "docker.io/library"
location = "hub-library.local/lib"
`

func TestPullSources(t *testing.T) {
	c := mustParse(t, pullSourcesConf)
	// Each want entry is "reference" or "reference (insecure)"; the last one
	// is the primary.
	for _, tc := range []struct {
		ref  string
		want []string
	}{
		{"registry-a.com/foo/image:latest", []string{
			"mirror-1.registry-a.com/image:latest",
			"mirror-2.registry-a.com/image:latest (insecure)",
			"registry-a.com/bar/image:latest"}},
		{"registry-a.com/foo/image@" + digestA, []string{
			"mirror-1.registry-a.com/image@" + digestA,
			"mirror-2.registry-a.com/image@" + digestA + " (insecure)",
			"registry-a.com/bar/image@" + digestA}},
		// mirror-by-digest-only: no mirrors for a tag.
		{"registry-b.com/foo/image:latest", []string{"registry-b.com/bar/image:latest"}},
		{"registry-b.com/foo/image@" + digestA, []string{
			"mirror-1.registry-b.com/image@" + digestA,
			"mirror-2.registry-b.com/image@" + digestA,
			"registry-b.com/bar/image@" + digestA}},
		// Tag and digest together count as by digest.
		{"registry-b.com/foo/image:v1@" + digestA, []string{
			"mirror-1.registry-b.com/image:v1@" + digestA,
			"mirror-2.registry-b.com/image:v1@" + digestA,
			"registry-b.com/bar/image:v1@" + digestA}},
		// Per-mirror pull-from-mirror, file order kept.
		{"registry-g.com/foo/image:latest", []string{
			"mirror-2.registry-g.com/image:latest",
			"mirror-3.registry-g.com/image:latest",
			"mirror-4.registry-g.com/image:latest",
			"registry-g.com/bar/image:latest (insecure)"}},
		{"registry-g.com/foo/image@" + digestA, []string{
			"mirror-1.registry-g.com/image@" + digestA,
			"mirror-3.registry-g.com/image@" + digestA,
			"mirror-4.registry-g.com/image@" + digestA,
			"registry-g.com/bar/image@" + digestA + " (insecure)"}},
		// Wildcard without location: the name is kept, mirrors still apply.
		{"a.b.wild.io/ns/app:1", []string{"wild-mirror.local/cache/ns/app:1", "a.b.wild.io/ns/app:1"}},
		{"a.remap.io/ns/app:1", []string{"remapped.local/ns/app:1"}},
		// docker.io: the longer docker.io/library prefix wins for library images.
		{"busybox", []string{"hub-library.local/lib/busybox:latest"}},
		{"someone/app:2", []string{"hub-mirror.local:5000/someone/app:2 (insecure)", "docker.io/someone/app:2"}},
		// No entry: the reference itself, secure.
		{"quay.io/ns/app:1", []string{"quay.io/ns/app:1"}},
		// Prefix "registry-a.com/foo" does not match "registry-a.com/foobar".
		{"registry-a.com/foobar:1", []string{"registry-a.com/foobar:1"}},
	} {
		ref := mustRef(t, tc.ref)
		if !strings.Contains(tc.ref, ":") && !strings.Contains(tc.ref, "@") {
			ref = mustRef(t, tc.ref+":latest")
		}
		sources, err := c.PullSources(ref)
		if err != nil {
			t.Errorf("PullSources(%s): %v", tc.ref, err)
			continue
		}
		var got []string
		for i, s := range sources {
			entry := s.Reference.String()
			if s.Insecure {
				entry += " (insecure)"
			}
			got = append(got, entry)
			if s.Mirror != (i < len(sources)-1) {
				t.Errorf("PullSources(%s)[%d].Mirror = %v", tc.ref, i, s.Mirror)
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("PullSources(%s) =\n  %q\nwant\n  %q", tc.ref, got, tc.want)
		}
	}
}

func TestPullSourcesRewriteErrors(t *testing.T) {
	c := mustParse(t, `
[[registry]]
prefix = "docker.io/library"
location = "docker.io"

[[registry]]
prefix = "*.example.com"
location = "plain.local:1"
`)
	for _, ref := range []string{
		// "docker.io/busybox" is not canonical (it means docker.io/library/busybox).
		"docker.io/library/busybox:1",
		// The port stays in the remainder: "plain.local:1:5000/app" is no reference.
		"a.example.com:5000/app:1",
	} {
		_, err := c.PullSources(mustRef(t, ref))
		wantErr(t, err, errdefs.ErrInvalidArgument, "test.conf", ref)
	}
}

func TestPullSourcesRejectsUnnormalisedReference(t *testing.T) {
	c := mustParse(t, ``)
	ref, err := parseUnnormalizedForTest("busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PullSources(ref)
	wantErr(t, err, errdefs.ErrInvalidArgument, "busybox:1")
	_, err = c.PushDestination(ref)
	wantErr(t, err, errdefs.ErrInvalidArgument, "busybox:1")
}

func TestBlocked(t *testing.T) {
	c := mustParse(t, `
[[registry]]
location = "blocked.com"
blocked = true
[[registry.mirror]]
location = "mirror.local"

[[registry]]
location = "blocked.com/allowed"

[[registry]]
location = "open.com/ns"
blocked = true

[[registry]]
location = "banned-mirror.com"
blocked = true

[[registry]]
location = "uses-banned.com"
[[registry.mirror]]
location = "banned-mirror.com/cache"
[[registry.mirror]]
location = "good-mirror.com"

[[registry]]
prefix = "remapped.com"
location = "banned-mirror.com/remap"

[[registry]]
prefix = "blocked-remap.com"
location = "unblocked-elsewhere.com"
blocked = true
`)
	for _, tc := range []struct {
		ref         string
		blockedBy   string // "" = allowed
		wantSources []string
	}{
		// Blocked before any mirror is tried (containers/image would try mirror.local).
		{"blocked.com/app:1", "blocked.com", nil},
		// Kept from containers/image: the host entry applies to other ports.
		{"blocked.com:5000/app:1", "blocked.com", nil},
		// A longer, unblocked prefix carves out a namespace.
		{"blocked.com/allowed/app:1", "", []string{"blocked.com/allowed/app:1"}},
		{"open.com/ns/app:1", "open.com/ns", nil},
		{"open.com/other/app:1", "", []string{"open.com/other/app:1"}},
		// A blocked mirror is skipped.
		{"uses-banned.com/app:1", "", []string{"good-mirror.com/app:1", "uses-banned.com/app:1"}},
		// The logical name is blocked even though its location is not
		// (containers/image would pull from unblocked-elsewhere.com).
		{"blocked-remap.com/app:1", "blocked-remap.com", nil},
		// A primary location that is itself blocked fails.
		{"remapped.com/app:1", "banned-mirror.com", nil},
	} {
		sources, err := c.PullSources(mustRef(t, tc.ref))
		if tc.blockedBy != "" {
			wantErr(t, err, errdefs.ErrPrecondition, fmt.Sprintf("%q", tc.blockedBy), "blocked", "test.conf")
			continue
		}
		if err != nil {
			t.Errorf("PullSources(%s): %v", tc.ref, err)
			continue
		}
		var got []string
		for _, s := range sources {
			got = append(got, s.Reference.String())
		}
		if !slices.Equal(got, tc.wantSources) {
			t.Errorf("PullSources(%s) = %q, want %q", tc.ref, got, tc.wantSources)
		}
	}

	for name, want := range map[string]bool{
		"blocked.com":             true,
		"blocked.com/app":         true,
		"blocked.com/allowed/app": false,
		"open.com/ns/app:1":       true,
		"open.com/nsx":            false,
		"remapped.com/app":        false, // only its location is blocked
		"elsewhere.com":           false,
	} {
		if got := c.IsBlocked(name); got != want {
			t.Errorf("IsBlocked(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestPushDestination(t *testing.T) {
	c := mustParse(t, `
[[registry]]
prefix = "example.com/foo"
location = "internal.local/bar"
insecure = true
[[registry.mirror]]
location = "mirror.local"

[[registry]]
location = "blocked.com/ns"
blocked = true
`)
	// No rewriting and no mirrors for pushes; insecure from the selected entry.
	ep, err := c.PushDestination(mustRef(t, "example.com/foo/app:1"))
	if err != nil {
		t.Fatal(err)
	}
	if ep.Reference.String() != "example.com/foo/app:1" || !ep.Insecure || ep.Mirror {
		t.Errorf("PushDestination = %+v", ep)
	}
	ep, err = c.PushDestination(mustRef(t, "example.com/other:1"))
	if err != nil || ep.Insecure || ep.Reference.String() != "example.com/other:1" {
		t.Errorf("PushDestination(example.com/other:1) = %+v, %v", ep, err)
	}
	_, err = c.PushDestination(mustRef(t, "blocked.com/ns/app:1"))
	wantErr(t, err, errdefs.ErrPrecondition, `"blocked.com/ns"`, "pushing")
	if _, err := c.PushDestination(mustRef(t, "blocked.com/elsewhere:1")); err != nil {
		t.Errorf("push outside the blocked namespace: %v", err)
	}
}

func TestIsInsecure(t *testing.T) {
	c := mustParse(t, `
[[registry]]
location = "insecure.local"
insecure = true

[[registry]]
location = "insecure.local:5000"

[[registry]]
location = "secure.local"

[[registry]]
prefix = "*.lab.internal"
insecure = true

[[registry]]
location = "[::1]:5000"
insecure = true
`)
	for host, want := range map[string]bool{
		"insecure.local":        true,
		"insecure.local:443":    true,  // the host entry covers other ports (containers/image)
		"insecure.local:5000":   false, // a longer, port-specific entry wins
		"secure.local":          false,
		"a.lab.internal":        true,
		"a.lab.internal:8443":   true,
		"lab.internal":          false,
		"[::1]:5000":            true,
		"unknown.example:5000":  false,
		"insecure.localhost":    false,
		"insecure.local.evil.x": false,
	} {
		if got := c.IsInsecure(host); got != want {
			t.Errorf("IsInsecure(%q) = %v, want %v", host, got, want)
		}
	}
}

func TestErrorsAreClassified(t *testing.T) {
	c := mustParse(t, `
[[registry]]
location = "b.com"
blocked = true
`)
	_, err := c.PullSources(mustRef(t, "b.com/x:1"))
	if !errdefs.IsPrecondition(err) || errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("blocked pull error %v: want precondition only", err)
	}
}
