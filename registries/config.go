package registries

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
)

// ShortNameMode says what to do when a short name has several candidates.
type ShortNameMode string

const (
	// ShortNameEnforcing: more than one unqualified-search candidate (and no
	// alias) is an error, because nobody can be asked to choose.
	ShortNameEnforcing ShortNameMode = "enforcing"
	// ShortNamePermissive: try all candidates in order (containers/image
	// prompts on a terminal; ocid never does).
	ShortNamePermissive ShortNameMode = "permissive"
	// ShortNameDisabled: try all candidates in order.
	ShortNameDisabled ShortNameMode = "disabled"

	// DefaultShortNameMode applies when no file sets short-name-mode.
	DefaultShortNameMode = ShortNamePermissive
)

// MirrorPolicy is a mirror's pull-from-mirror setting.
type MirrorPolicy string

const (
	// MirrorAll: the mirror serves pulls by tag and by digest.
	MirrorAll MirrorPolicy = "all"
	// MirrorDigestOnly: the mirror serves only pulls by digest, so a stale
	// mirror cannot hand out an old image for a moved tag.
	MirrorDigestOnly MirrorPolicy = "digest-only"
	// MirrorTagOnly: the mirror serves only pulls by tag.
	MirrorTagOnly MirrorPolicy = "tag-only"
)

// AuthFileCredentialHelper is the reserved credential-helpers entry meaning
// "consult containers-auth.json(5) files"; it is the default list.
const AuthFileCredentialHelper = "containers-auth.json"

// Mirror is one [[registry.mirror]] table.
type Mirror struct {
	// Location is host[:port] with an optional path; never empty.
	Location string
	// Insecure allows plain HTTP and unverified TLS for this mirror.
	Insecure bool
	// PullFromMirror is never empty: an unset value is stored as MirrorAll.
	PullFromMirror MirrorPolicy
}

// Registry is one [[registry]] table after validation.
type Registry struct {
	// Prefix selects the names this entry applies to; it defaults to
	// Location, and may be a wildcard "*.example.com".
	Prefix string
	// Location is where the prefix-rooted namespace really lives. It is
	// empty only for a wildcard prefix, meaning "no rewriting".
	Location string
	// Insecure allows plain HTTP and unverified TLS for Location.
	Insecure bool
	// Blocked refuses pulls of matching names.
	Blocked bool
	// MirrorByDigestOnly restricts all mirrors to pulls by digest.
	MirrorByDigestOnly bool
	// Mirrors in file order.
	Mirrors []Mirror
	// Origin is the file that defined this entry, for messages.
	Origin string
}

// IsWildcard reports whether Prefix has the "*.example.com" form.
func (r *Registry) IsWildcard() bool { return strings.HasPrefix(r.Prefix, "*.") }

func (r Registry) clone() Registry {
	r.Mirrors = slices.Clone(r.Mirrors)
	return r
}

// alias is one [aliases] entry; value nil records an alias erased by a
// later file with "", so that the erasure survives further merging.
type alias struct {
	value  reference.Named
	origin string
}

// Config is a merged registries.conf. It is not modified after Load or
// Parse returns it, so it may be shared between goroutines.
type Config struct {
	registries          []Registry // unique prefixes, sorted by prefix
	searchRegistries    []string
	searchOrigin        string
	shortNameMode       ShortNameMode
	shortNameModeOrigin string
	credentialHelpers   []string
	aliases             map[string]alias
	sources             []string
}

// Registries returns a copy of every [[registry]] entry, sorted by prefix.
func (c *Config) Registries() []Registry {
	out := make([]Registry, len(c.registries))
	for i, r := range c.registries {
		out[i] = r.clone()
	}
	return out
}

// UnqualifiedSearchRegistries returns the host[:port] entries tried for short
// names, in order, and the file that set them ("" if none did).
func (c *Config) UnqualifiedSearchRegistries() (registries []string, origin string) {
	return slices.Clone(c.searchRegistries), c.searchOrigin
}

// ShortNameMode returns the effective short-name mode.
func (c *Config) ShortNameMode() ShortNameMode { return c.shortNameMode }

// CredentialHelpers returns the global credential helpers in order; never
// empty.
func (c *Config) CredentialHelpers() []string { return slices.Clone(c.credentialHelpers) }

// Aliases returns the effective short-name aliases, name to fully-qualified
// repository (erased aliases are left out).
func (c *Config) Aliases() map[string]string {
	out := make(map[string]string, len(c.aliases))
	for name, a := range c.aliases {
		if a.value != nil {
			out[name] = a.value.String()
		}
	}
	return out
}

// Sources returns the files that were read, in the order they were merged.
func (c *Config) Sources() []string { return slices.Clone(c.sources) }

// describeSources names the configuration for messages that cannot point at
// a single file.
func (c *Config) describeSources() string {
	if len(c.sources) == 0 {
		return "no registries.conf file"
	}
	return strings.Join(c.sources, ", ")
}

// newEmptyConfig is the configuration of a node without any file.
func newEmptyConfig() *Config {
	return &Config{aliases: map[string]alias{}}
}

// finish applies the defaults that depend on nothing having set a value.
func (c *Config) finish() {
	if c.shortNameMode == "" {
		c.shortNameMode = DefaultShortNameMode
	}
	if len(c.credentialHelpers) == 0 {
		c.credentialHelpers = []string{AuthFileCredentialHelper}
	}
}

// merge folds a later file into c as containers/image does: registries are
// replaced by prefix, globals replaced when set, aliases merged by name.
func (c *Config) merge(f *parsedFile) {
	byPrefix := make(map[string]Registry, len(c.registries)+len(f.registries))
	for _, r := range c.registries {
		byPrefix[r.Prefix] = r
	}
	for _, r := range f.registries {
		byPrefix[r.Prefix] = r
	}
	c.registries = c.registries[:0:0]
	for _, r := range byPrefix {
		c.registries = append(c.registries, r)
	}
	sortRegistries(c.registries)

	if f.searchSet {
		c.searchRegistries = f.searchRegistries
		c.searchOrigin = f.origin
	}
	if f.credentialHelpersSet {
		c.credentialHelpers = f.credentialHelpers
	}
	if f.shortNameMode != "" {
		c.shortNameMode = f.shortNameMode
		c.shortNameModeOrigin = f.origin
	}
	for name, a := range f.aliases {
		c.aliases[name] = a
	}
	c.sources = append(c.sources, f.origin)
}

func sortRegistries(rs []Registry) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Prefix < rs[j].Prefix })
}

// ConfigError reports a registries.conf file that cannot be used. It wraps
// errdefs.ErrInvalidArgument and, when there is one, the underlying error
// (a *toml.ParseError, for instance).
type ConfigError struct {
	File string // the file, or the origin given to Parse
	What string // where in the file, e.g. `[[registry]] #2 (prefix "x")`; may be empty
	Err  error
}

func (e *ConfigError) Error() string {
	if e.What == "" {
		return fmt.Sprintf("registries configuration %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("registries configuration %s: %s: %v", e.File, e.What, e.Err)
}

// Unwrap lets errors.Is find both the detail and errdefs.ErrInvalidArgument.
func (e *ConfigError) Unwrap() []error { return []error{e.Err, errdefs.ErrInvalidArgument} }
