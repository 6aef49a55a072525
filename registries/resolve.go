package registries

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
)

// Endpoint is one physical place to fetch an image from or send it to.
type Endpoint struct {
	// Reference is the physical reference: the location's host and path
	// with the rest of the logical name, tag and digest.
	Reference reference.Named
	// Insecure allows plain HTTP and unverified TLS for this endpoint.
	Insecure bool
	// Mirror is true for a [[registry.mirror]], false for the primary.
	Mirror bool
}

// matchPrefix returns how many leading bytes of name the prefix matches, or
// -1. name is a host[:port], a repository name or a full reference string.
func matchPrefix(name, prefix string) int {
	if strings.HasPrefix(prefix, "*.") {
		return matchWildcard(name, prefix[1:])
	}
	if !strings.HasPrefix(name, prefix) {
		return -1
	}
	if len(name) == len(prefix) {
		return len(prefix)
	}
	// ':' here is a tag after a repository, but after a bare host it is a
	// port: "example.com" matches "example.com:5000/x". containers/image
	// behaves so (and calls it unintended); keeping it keeps verdicts equal.
	switch name[len(prefix)] {
	case ':', '/', '@':
		return len(prefix)
	}
	return -1
}

// matchWildcard matches the host part of name against ".example.com" (the
// wildcard prefix without its '*'): the host must end with it and have at
// least one more label. The match ends where the host ends, so a port stays
// in the remainder like a path does.
func matchWildcard(name, dotSuffix string) int {
	hostEnd := strings.IndexAny(name, ":/@")
	if hostEnd < 0 {
		hostEnd = len(name)
	}
	host := name[:hostEnd]
	if len(host) > len(dotSuffix) && strings.HasSuffix(host, dotSuffix) {
		return hostEnd
	}
	return -1
}

// findRegistry returns the entry with the longest matching prefix, or nil.
func (c *Config) findRegistry(name string) *Registry {
	var best *Registry
	for i := range c.registries {
		r := &c.registries[i]
		if matchPrefix(name, r.Prefix) < 0 {
			continue
		}
		switch {
		case best == nil, len(r.Prefix) > len(best.Prefix):
			best = r
		case len(r.Prefix) == len(best.Prefix) && best.IsWildcard() && !r.IsWildcard():
			// The literal host is the more specific statement.
			best = r
		}
	}
	return best
}

// FindRegistry returns a copy of the [[registry]] entry whose prefix is the
// longest match for name (a host[:port], a repository name, or a reference
// string with tag or digest), and false when none matches. Names must be
// fully qualified ("docker.io/library/busybox", not "busybox").
func (c *Config) FindRegistry(name string) (*Registry, bool) {
	r := c.findRegistry(name)
	if r == nil {
		return nil, false
	}
	cp := r.clone()
	return &cp, true
}

// IsInsecure reports whether the registry at hostPort may be reached over
// plain HTTP or unverified TLS, for requests that concern the host as a
// whole (ping, login). Pulls and pushes use Endpoint.Insecure instead.
func (c *Config) IsInsecure(hostPort string) bool {
	r := c.findRegistry(hostPort)
	return r != nil && r.Insecure
}

// IsBlocked reports whether the entry selected for name (a host[:port], a
// repository name or a reference string) is blocked.
func (c *Config) IsBlocked(name string) bool {
	r := c.findRegistry(name)
	return r != nil && r.Blocked
}

// checkCanonical refuses a reference that is not in normalised form, since
// prefixes are written against normalised names ("docker.io/library/x").
func checkCanonical(ref reference.Named) error {
	s := ref.String()
	n, err := reference.ParseNormalizedNamed(s)
	if err != nil || n.String() != s {
		return fmt.Errorf("reference %q is not a normalised, fully-qualified name: %w", s, errdefs.ErrInvalidArgument)
	}
	return nil
}

func (c *Config) blockedError(action string, ref reference.Named, r *Registry) error {
	return fmt.Errorf("%s %s: registry %q is blocked in %s: %w", action, ref, r.Prefix, r.Origin, errdefs.ErrPrecondition)
}

// rewrite replaces the matched prefix of ref by location. The result must
// again be a canonical reference; a location that cannot be joined with the
// remainder is a configuration error, reported against its file.
func rewrite(ref reference.Named, r *Registry, location string) (reference.Named, error) {
	if location == "" { // wildcard entry without location: no rewriting
		return ref, nil
	}
	s := ref.String()
	// Matching on the full string gives the same length as on the name,
	// for literal prefixes and (the host being the same) for wildcards.
	n := matchPrefix(s, r.Prefix)
	if n < 0 {
		return nil, fmt.Errorf("internal error: prefix %q does not match %q", r.Prefix, s)
	}
	joined := location + s[n:]
	out, err := reference.ParseNormalizedNamed(joined)
	if err == nil && out.String() != joined {
		err = fmt.Errorf("%q is not in normalised form (it means %q)", joined, out.String())
	}
	if err != nil {
		return nil, &ConfigError{File: r.Origin, What: fmt.Sprintf("[[registry]] prefix %q", r.Prefix),
			Err: fmt.Errorf("rewriting %s with location %q: %w", ref, location, err)}
	}
	return out, nil
}

// PullSources returns where to pull ref from, in the order to try them: the
// eligible mirrors in file order, then the primary location. The first
// endpoint that serves the manifest should serve the whole pull.
//
// A blocked registry fails with an error wrapping errdefs.ErrPrecondition.
// ref must be normalised (as from reference.ParseNormalizedNamed).
func (c *Config) PullSources(ref reference.Named) ([]Endpoint, error) {
	if err := checkCanonical(ref); err != nil {
		return nil, err
	}
	// Like containers/image, select by repository name: prefixes that carry
	// a tag or digest never select an entry for a pull.
	r := c.findRegistry(ref.Name())
	if r == nil {
		return []Endpoint{{Reference: ref}}, nil
	}
	if r.Blocked {
		return nil, c.blockedError("pulling", ref, r)
	}

	_, byDigest := ref.(reference.Canonical)
	var sources []Endpoint
	for _, m := range r.Mirrors {
		if !mirrorServes(r, m, byDigest) {
			continue
		}
		physical, err := rewrite(ref, r, m.Location)
		if err != nil {
			return nil, err
		}
		// A mirror whose own name is blocked is skipped: containers/image
		// fails that attempt and goes on to the next endpoint.
		if c.IsBlocked(physical.Name()) {
			continue
		}
		sources = append(sources, Endpoint{Reference: physical, Insecure: m.Insecure, Mirror: true})
	}

	physical, err := rewrite(ref, r, r.Location)
	if err != nil {
		return nil, err
	}
	if other := c.findRegistry(physical.Name()); other != nil && other.Blocked {
		return nil, c.blockedError("pulling", physical, other)
	}
	return append(sources, Endpoint{Reference: physical, Insecure: r.Insecure}), nil
}

// mirrorServes applies mirror-by-digest-only and pull-from-mirror. A
// reference with both tag and digest counts as by digest: the digest is
// what gets fetched.
func mirrorServes(r *Registry, m Mirror, byDigest bool) bool {
	if r.MirrorByDigestOnly {
		return byDigest
	}
	switch m.PullFromMirror {
	case MirrorDigestOnly:
		return byDigest
	case MirrorTagOnly:
		return !byDigest
	}
	return true
}

// PushDestination returns where a push of ref goes. Mirrors and location
// rewriting are never used for pushes (containers-registries.conf(5)), so
// ref is returned as is, with the insecure setting of the entry its name
// selects. A blocked entry refuses the push with errdefs.ErrPrecondition,
// which is also what containers/image does for a push.
func (c *Config) PushDestination(ref reference.Named) (Endpoint, error) {
	if err := checkCanonical(ref); err != nil {
		return Endpoint{}, err
	}
	r := c.findRegistry(ref.Name())
	if r == nil {
		return Endpoint{Reference: ref}, nil
	}
	if r.Blocked {
		return Endpoint{}, c.blockedError("pushing", ref, r)
	}
	return Endpoint{Reference: ref, Insecure: r.Insecure}, nil
}
