package registries

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

var (
	// anchoredHostPort is host[:port] as image references spell it,
	// including IP addresses and bracketed IPv6.
	anchoredHostPort = regexp.MustCompile(`^` + reference.DomainRegexp.String() + `$`)
	// anchoredHostname is a DNS name without port: what may follow "*.".
	anchoredHostname = regexp.MustCompile(`^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]))*$`)
)

// trimNamespace applies containers/image's clean-up of prefix and location
// values (trailing slashes dropped) and its one check (no URL scheme).
func trimNamespace(value string) (string, error) {
	trimmed := strings.TrimRight(value, "/")
	if strings.Contains(trimmed, "://") {
		return "", fmt.Errorf("%q: URI schemes are not supported, write host[:port][/path]", value)
	}
	return trimmed, nil
}

// checkNamespace accepts the forms the man page lists for a prefix or
// location: host[:port], optionally followed by /repository/path, optionally
// followed by :tag or @digest.
func checkNamespace(value string) error {
	host, _, hasPath := strings.Cut(value, "/")
	if !anchoredHostPort.MatchString(host) {
		return fmt.Errorf("%q: %q is not a valid host[:port]", value, host)
	}
	if !hasPath {
		return nil
	}
	ref, err := reference.Parse(value)
	if err != nil {
		return fmt.Errorf("%q: %w", value, err)
	}
	named, ok := ref.(reference.Named)
	if !ok || reference.Domain(named) != host {
		return fmt.Errorf("%q: not of the form host[:port]/repository", value)
	}
	return nil
}

// checkWildcardPrefix accepts "*.example.com": the wildcard only in front,
// no port, no path, no tag.
func checkWildcardPrefix(value string) error {
	if !anchoredHostname.MatchString(value[len("*."):]) {
		return fmt.Errorf("wildcard prefix %q must be of the form *.example.com (no port, path, tag or digest)", value)
	}
	return nil
}

// normalizePrefix validates a prefix value (already known to be non-empty).
func normalizePrefix(value string) (string, error) {
	prefix, err := trimNamespace(value)
	if err != nil {
		return "", fmt.Errorf("invalid prefix %w", err)
	}
	if strings.HasPrefix(prefix, "*.") {
		return prefix, checkWildcardPrefix(prefix)
	}
	if strings.Contains(prefix, "*") {
		return "", fmt.Errorf("invalid prefix %q: a wildcard is only allowed as a leading \"*.\" on a host name", value)
	}
	if err := checkNamespace(prefix); err != nil {
		return "", fmt.Errorf("invalid prefix %w", err)
	}
	return prefix, nil
}

// normalizeLocation validates a non-empty location of a registry or mirror.
func normalizeLocation(value string) (string, error) {
	location, err := trimNamespace(value)
	if err != nil {
		return "", fmt.Errorf("invalid location %w", err)
	}
	if location == "" {
		return "", fmt.Errorf("invalid location %q", value)
	}
	if err := checkNamespace(location); err != nil {
		return "", fmt.Errorf("invalid location %w", err)
	}
	return location, nil
}

// validateSearchRegistry checks one unqualified-search-registries entry,
// which is a host[:port], never a namespace.
func validateSearchRegistry(value string) (string, error) {
	host, err := trimNamespace(value)
	if err != nil {
		return "", fmt.Errorf("invalid entry %w", err)
	}
	if !anchoredHostPort.MatchString(host) {
		return "", fmt.Errorf("invalid entry %q: must be host[:port], without a namespace", value)
	}
	return host, nil
}

// validateRegistries turns one file's [[registry]] tables into Registry
// values and applies the containers/image consistency rules, plus the
// stricter rule that a prefix appears once per file.
func validateRegistries(raw []tomlRegistry, origin string) ([]Registry, error) {
	out := make([]Registry, 0, len(raw))
	prefixIndex := map[string]int{}
	for i, tr := range raw {
		what := fmt.Sprintf("[[registry]] #%d", i+1)
		r, err := validateRegistry(tr)
		if err != nil {
			return nil, &ConfigError{File: origin, What: what, Err: err}
		}
		r.Origin = origin
		if first, dup := prefixIndex[r.Prefix]; dup {
			return nil, &ConfigError{File: origin, What: what,
				Err: fmt.Errorf("prefix %q is already defined by [[registry]] #%d", r.Prefix, first+1)}
		}
		prefixIndex[r.Prefix] = i
		out = append(out, r)
	}
	if err := checkConflicts(out, origin); err != nil {
		return nil, err
	}
	sortRegistries(out)
	return out, nil
}

func validateRegistry(tr tomlRegistry) (Registry, error) {
	r := Registry{
		Insecure:           tr.Insecure,
		Blocked:            tr.Blocked,
		MirrorByDigestOnly: tr.MirrorByDigestOnly,
	}
	if tr.Location != "" {
		location, err := normalizeLocation(tr.Location)
		if err != nil {
			return r, err
		}
		r.Location = location
	}
	switch {
	case tr.Prefix != "":
		prefix, err := normalizePrefix(tr.Prefix)
		if err != nil {
			return r, err
		}
		r.Prefix = prefix
	case r.Location != "":
		r.Prefix = r.Location
	default:
		return r, errors.New("neither prefix nor location is set")
	}
	if r.Location == "" && !r.IsWildcard() {
		return r, fmt.Errorf("prefix %q: location is unset, which only a wildcard prefix (*.example.com) allows", r.Prefix)
	}
	if tr.PullFromMirror != "" {
		return r, fmt.Errorf("prefix %q: pull-from-mirror belongs in a [[registry.mirror]] table, not in [[registry]]", r.Prefix)
	}
	for j, tm := range tr.Mirrors {
		m, err := validateMirror(tm, r.MirrorByDigestOnly)
		if err != nil {
			return r, fmt.Errorf("prefix %q: [[registry.mirror]] #%d: %w", r.Prefix, j+1, err)
		}
		r.Mirrors = append(r.Mirrors, m)
	}
	return r, nil
}

func validateMirror(tm tomlMirror, mirrorByDigestOnly bool) (Mirror, error) {
	if tm.Location == "" {
		return Mirror{}, errors.New("location is unset")
	}
	location, err := normalizeLocation(tm.Location)
	if err != nil {
		return Mirror{}, err
	}
	m := Mirror{Location: location, Insecure: tm.Insecure, PullFromMirror: MirrorAll}
	if tm.PullFromMirror != "" {
		// containers/image refuses the combination even for "all": two
		// switches for one decision is a mistake worth reporting.
		if mirrorByDigestOnly {
			return m, fmt.Errorf("mirror %q: pull-from-mirror cannot be combined with the registry's mirror-by-digest-only", location)
		}
		switch policy := MirrorPolicy(tm.PullFromMirror); policy {
		case MirrorAll, MirrorDigestOnly, MirrorTagOnly:
			m.PullFromMirror = policy
		default:
			return m, fmt.Errorf("mirror %q: invalid pull-from-mirror %q (want all, digest-only or tag-only)", location, tm.PullFromMirror)
		}
	}
	return m, nil
}

// checkConflicts refuses one physical registry (location, or the wildcard
// prefix when there is no location) that is declared both secure and
// insecure, or both blocked and not, by different prefixes of one file.
func checkConflicts(rs []Registry, origin string) error {
	type firstSeen struct {
		index int
		reg   Registry
	}
	seen := map[string]firstSeen{}
	for i, r := range rs {
		key := r.Location
		if key == "" {
			key = r.Prefix
		}
		first, ok := seen[key]
		if !ok {
			seen[key] = firstSeen{i, r}
			continue
		}
		for _, c := range []struct {
			setting string
			a, b    bool
		}{{"insecure", first.reg.Insecure, r.Insecure}, {"blocked", first.reg.Blocked, r.Blocked}} {
			if c.a != c.b {
				return &ConfigError{File: origin, Err: fmt.Errorf(
					"registry %q is defined more than once with conflicting %q settings (prefixes %q and %q)",
					key, c.setting, first.reg.Prefix, r.Prefix)}
			}
		}
	}
	return nil
}
