package registries

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
)

// ShortNameSource says how a name was turned into candidates.
type ShortNameSource int

const (
	// FromQualifiedName: the input already named a registry.
	FromQualifiedName ShortNameSource = iota
	// FromAlias: an [aliases] entry.
	FromAlias
	// FromSearchRegistries: unqualified-search-registries.
	FromSearchRegistries
)

func (s ShortNameSource) String() string {
	switch s {
	case FromQualifiedName:
		return "qualified name"
	case FromAlias:
		return "alias"
	case FromSearchRegistries:
		return "unqualified-search registries"
	}
	return fmt.Sprintf("ShortNameSource(%d)", int(s))
}

// ShortNameResolution is the outcome of ResolveShortName.
type ShortNameResolution struct {
	// Input is the name as given.
	Input string
	// Candidates are fully-qualified, normalised references to try in
	// order; each keeps the input's tag and digest, or gets ":latest".
	Candidates []reference.Named
	// Source says where the candidates came from.
	Source ShortNameSource
	// Origin is the file that defined the alias or the search list.
	Origin string
	// Mode is the effective short-name mode.
	Mode ShortNameMode
	// Ambiguous is true when several search registries produced
	// candidates, i.e. the first one that has the image wins, which a
	// squatter on an earlier registry can exploit.
	Ambiguous bool
}

// AmbiguousShortNameError is returned with short-name-mode "enforcing" when a
// short name has no alias and more than one search registry. It wraps
// errdefs.ErrInvalidArgument: the user must give a qualified name or an
// alias must be configured.
type AmbiguousShortNameError struct {
	Name       string
	Candidates []reference.Named
	Origin     string
}

func (e *AmbiguousShortNameError) Error() string {
	names := make([]string, len(e.Candidates))
	for i, c := range e.Candidates {
		names[i] = c.String()
	}
	return fmt.Sprintf("short name %q is ambiguous with short-name-mode %q (%s): it could be any of %s; use a fully-qualified name or configure an alias",
		e.Name, ShortNameEnforcing, e.Origin, strings.Join(names, ", "))
}

// Unwrap makes errors.Is(err, errdefs.ErrInvalidArgument) true.
func (e *AmbiguousShortNameError) Unwrap() error { return errdefs.ErrInvalidArgument }

// isRegistryComponent is containers/image's test for "this first path
// component names a registry": it has a dot or a port, or is localhost.
func isRegistryComponent(domain string) bool {
	return strings.ContainsAny(domain, ".:") || domain == "localhost"
}

// parseUnnormalized parses name without applying Docker Hub defaults and
// says whether it is a short name (no registry component).
func parseUnnormalized(name string) (named reference.Named, short bool, err error) {
	ref, err := reference.Parse(name)
	if err != nil {
		return nil, false, fmt.Errorf("invalid image name %q: %w", name, err)
	}
	named, ok := ref.(reference.Named)
	if !ok {
		return nil, false, fmt.Errorf("invalid image name %q: no repository", name)
	}
	return named, !isRegistryComponent(reference.Domain(named)), nil
}

// IsShortName reports whether name is a valid image name without a
// registry ("busybox", "library/busybox:1", but not "quay.io/x" or
// "localhost/x").
func IsShortName(name string) bool {
	_, short, err := parseUnnormalized(name)
	return err == nil && short
}

// validateShortName checks the left-hand side of an alias: a repository
// without registry, tag or digest.
func validateShortName(name string) error {
	named, short, err := parseUnnormalized(name)
	if err != nil {
		return fmt.Errorf("alias name %q: %w", name, err)
	}
	if !short {
		return fmt.Errorf("alias name %q must not contain a registry", name)
	}
	if !reference.IsNameOnly(named) {
		return fmt.Errorf("alias name %q must not contain a tag or digest", name)
	}
	return nil
}

// parseAliasValue checks the right-hand side of an alias: a repository with
// registry and without tag or digest, returned normalised
// ("docker.io/alpine" becomes "docker.io/library/alpine").
func parseAliasValue(value string) (reference.Named, error) {
	named, short, err := parseUnnormalized(value)
	if err != nil {
		return nil, err
	}
	if short {
		return nil, fmt.Errorf("value %q must contain a registry and a repository", value)
	}
	if !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("value %q must not contain a tag or digest", value)
	}
	return reference.ParseNormalizedNamed(value)
}

// ResolveAlias returns the alias configured for a short repository name
// (without tag or digest) and the file that set it.
func (c *Config) ResolveAlias(name string) (value reference.Named, origin string, ok bool) {
	a, found := c.aliases[name]
	if !found || a.value == nil {
		return nil, "", false
	}
	return a.value, a.origin, true
}

// withTagAndDigest puts the input's tag and digest on a candidate, or
// ":latest" when the input had neither (reference.TagNameOnly).
func withTagAndDigest(repo reference.Named, input reference.Named) (reference.Named, error) {
	out := repo
	if tagged, ok := input.(reference.Tagged); ok {
		t, err := reference.WithTag(out, tagged.Tag())
		if err != nil {
			return nil, err
		}
		out = t
	}
	if digested, ok := input.(reference.Digested); ok {
		d, err := reference.WithDigest(out, digested.Digest())
		if err != nil {
			return nil, err
		}
		out = d
	}
	return reference.TagNameOnly(out), nil
}

// ResolveShortName turns a user-given image name into the references to
// try, following containers/image's pkg/shortnames without prompting:
//
//   - a qualified name (first component with '.' or ':', or "localhost") is
//     normalised and returned alone;
//   - a short name with an alias resolves to the alias alone (the input's
//     tag or digest is kept);
//   - otherwise each unqualified-search registry gives one candidate, in
//     order ("docker.io" adds "library/" to single-component names).
//
// With short-name-mode "enforcing" and more than one search candidate the
// returned error is an *AmbiguousShortNameError; the resolution is returned
// as well, with Ambiguous set, for callers that can ask a person to choose.
// A short name with neither alias nor search registries is an error. All
// errors wrap errdefs.ErrInvalidArgument.
func (c *Config) ResolveShortName(name string) (*ShortNameResolution, error) {
	named, short, err := parseUnnormalized(name)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	res := &ShortNameResolution{Input: name, Mode: c.shortNameMode}

	if !short {
		normalized, err := reference.ParseNormalizedNamed(name)
		if err != nil {
			return nil, fmt.Errorf("invalid image name %q: %w: %w", name, err, errdefs.ErrInvalidArgument)
		}
		res.Source = FromQualifiedName
		res.Candidates = []reference.Named{reference.TagNameOnly(normalized)}
		return res, nil
	}

	if value, origin, ok := c.ResolveAlias(reference.TrimNamed(named).String()); ok {
		candidate, err := withTagAndDigest(value, named)
		if err != nil {
			return nil, fmt.Errorf("alias of %q: %w: %w", name, err, errdefs.ErrInvalidArgument)
		}
		res.Source, res.Origin = FromAlias, origin
		res.Candidates = []reference.Named{candidate}
		return res, nil
	}

	search, origin := c.UnqualifiedSearchRegistries()
	if len(search) == 0 {
		where := origin
		if where == "" {
			where = c.describeSources()
		}
		return nil, fmt.Errorf("short name %q has no alias and no unqualified-search registries are defined (%s): %w",
			name, where, errdefs.ErrInvalidArgument)
	}
	res.Source, res.Origin = FromSearchRegistries, origin
	for _, host := range search {
		// Joining the input as typed lets normalisation add "library/" on
		// docker.io exactly as it would for a typed "docker.io/busybox".
		candidate, err := reference.ParseNormalizedNamed(host + "/" + name)
		if err != nil {
			return nil, fmt.Errorf("short name %q with search registry %q: %w: %w", name, host, err, errdefs.ErrInvalidArgument)
		}
		res.Candidates = append(res.Candidates, reference.TagNameOnly(candidate))
	}
	res.Ambiguous = len(res.Candidates) > 1
	if res.Ambiguous && c.shortNameMode == ShortNameEnforcing {
		return res, &AmbiguousShortNameError{Name: name, Candidates: res.Candidates, Origin: origin}
	}
	return res, nil
}
