package registries

import (
	"errors"
	"reflect"
	"testing"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
)

// fuzzSeeds are realistic files: the man page example, the shapes of
// containers/image's test data, Debian's shortnames drop-in, v1, and a few
// that must be rejected.
var fuzzSeeds = []string{
	``,
	`# all comments, like Debian's default registries.conf
# unqualified-search-registries = ["example.com"]
`,
	`unqualified-search-registries = ["example.com"]

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"

[[registry.mirror]]
location = "mirror.registry.com"
`,
	findRegistryConf,
	pullSourcesConf,
	shortNamesConf,
	`[aliases]
  # almalinux
  "almalinux" = "docker.io/library/almalinux"
  "centos" = "quay.io/centos/centos"
  "opensuse/leap" = "registry.opensuse.org/opensuse/leap"
  "alpine" = "docker.io/library/alpine"
  "erased" = ""
`,
	`short-name-mode = "enforcing"
unqualified-search-registries = ["registry.fedoraproject.org", "quay.io", "docker.io"]
credential-helpers = ["containers-auth.json", "pass"]
`,
	`[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry.unsafe.com']
`,
	`[[registry]]
location = "127.0.0.1:5000"
insecure = true

[[registry]]
prefix = "*.lab.internal"
blocked = true

[[registry]]
location = "docker.io"
mirror-by-digest-only = true
[[registry.mirror]]
location = "hub-cache.lab.internal:5000/dockerhub"
insecure = true
`,
	`[[registry]]
location = "registry.com"
[[registry]]
location = "registry.com"
insecure = true
`,
	`[[registry]]
prefix = "http://schema-is-invalid.com"
location = "registry.com:5000"
`,
	`[[registry]]
location = "a.com"
unknown = true
`,
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(data, "fuzz.conf")
		if err != nil {
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.File != "fuzz.conf" || !errdefs.IsInvalidArgument(err) {
				t.Fatalf("rejection %q is not a *ConfigError for the file wrapping ErrInvalidArgument", err)
			}
			return
		}
		again, err := Parse(data, "fuzz.conf")
		if err != nil || !reflect.DeepEqual(c.Registries(), again.Registries()) ||
			!reflect.DeepEqual(c.Aliases(), again.Aliases()) {
			t.Fatalf("parsing the same data twice differs (%v)", err)
		}
		checkConfigInvariants(t, c)
	})
}

// checkConfigInvariants exercises every lookup of a parsed configuration
// and checks what must hold whatever the file said.
func checkConfigInvariants(t *testing.T, c *Config) {
	t.Helper()
	regs := c.Registries()
	for i, r := range regs {
		if i > 0 && regs[i-1].Prefix >= r.Prefix {
			t.Fatalf("registries not sorted or not unique: %q then %q", regs[i-1].Prefix, r.Prefix)
		}
		if r.Location == "" && !r.IsWildcard() {
			t.Fatalf("registry %q has no location", r.Prefix)
		}
		for _, m := range r.Mirrors {
			if m.Location == "" || m.PullFromMirror == "" {
				t.Fatalf("registry %q has an incomplete mirror %+v", r.Prefix, m)
			}
		}
		probe := r.Prefix
		if r.IsWildcard() {
			probe = "fuzz" + r.Prefix[1:]
		}
		found, ok := c.FindRegistry(probe)
		if !ok || len(found.Prefix) < len(r.Prefix) || (!r.IsWildcard() && found.Prefix != r.Prefix) {
			t.Fatalf("FindRegistry(%q) = %+v, %v; want %q or longer", probe, found, ok, r.Prefix)
		}
		c.IsInsecure(probe)
		checkPullAndPush(t, c, probe)
	}
	search, _ := c.UnqualifiedSearchRegistries()
	for _, host := range search {
		c.IsInsecure(host)
		checkPullAndPush(t, c, host)
	}
	for name, value := range c.Aliases() {
		res, err := c.ResolveShortName(name)
		if err != nil || res.Source != FromAlias || len(res.Candidates) != 1 ||
			res.Candidates[0].String() != value+":latest" {
			t.Fatalf("alias %q = %q resolves to %+v, %v", name, value, res, err)
		}
	}
	for _, name := range []string{"fuzz", "fuzz/app:1", "fuzz@" + digestA, "quay.io/fuzz"} {
		res, err := c.ResolveShortName(name)
		if err != nil && !errdefs.IsInvalidArgument(err) {
			t.Fatalf("ResolveShortName(%q): unclassified error %v", name, err)
		}
		if res == nil {
			continue
		}
		if len(res.Candidates) == 0 {
			t.Fatalf("ResolveShortName(%q): no candidates and no error", name)
		}
		for _, cand := range res.Candidates {
			if reference.IsNameOnly(cand) || checkCanonical(cand) != nil {
				t.Fatalf("ResolveShortName(%q): candidate %q lacks a tag or is not normalised", name, cand)
			}
		}
	}
}

// checkPullAndPush pulls and pushes an image below a configured prefix.
func checkPullAndPush(t *testing.T, c *Config, prefix string) {
	t.Helper()
	for _, suffix := range []string{"/fuzz/app:1", "/fuzz/app@" + digestA} {
		ref, err := reference.ParseNormalizedNamed(prefix + suffix)
		if err != nil || ref.String() != prefix+suffix {
			// Nothing lies below a prefix with a tag or digest, and some
			// prefixes never match normalised names ("docker.io/app").
			continue
		}
		sources, err := c.PullSources(ref)
		if err != nil {
			if !errdefs.IsPrecondition(err) && !errdefs.IsInvalidArgument(err) {
				t.Fatalf("PullSources(%s): unclassified error %v", ref, err)
			}
		} else {
			if len(sources) == 0 || sources[len(sources)-1].Mirror {
				t.Fatalf("PullSources(%s) = %+v: the primary must come last", ref, sources)
			}
			selected, ok := c.FindRegistry(ref.Name())
			if ok && selected.Blocked {
				t.Fatalf("PullSources(%s) allowed a blocked registry %q", ref, selected.Prefix)
			}
			if ok && len(sources) > len(selected.Mirrors)+1 {
				t.Fatalf("PullSources(%s): %d sources for %d mirrors", ref, len(sources), len(selected.Mirrors))
			}
			_, byDigest := ref.(reference.Canonical)
			for _, s := range sources {
				if _, isDigest := s.Reference.(reference.Canonical); isDigest != byDigest {
					t.Fatalf("PullSources(%s): source %s lost or gained a digest", ref, s.Reference)
				}
			}
		}
		ep, err := c.PushDestination(ref)
		if err == nil && ep.Reference.String() != ref.String() {
			t.Fatalf("PushDestination(%s) rewrote to %s", ref, ep.Reference)
		}
		if err != nil && !errdefs.IsPrecondition(err) {
			t.Fatalf("PushDestination(%s): %v", ref, err)
		}
	}
}
