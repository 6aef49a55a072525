package registries

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// tomlFile is the on-disk shape of one registries.conf; it holds both
// formats so that a v1 file is recognised instead of reported as unknown keys.
type tomlFile struct {
	UnqualifiedSearchRegistries []string          `toml:"unqualified-search-registries"`
	ShortNameMode               string            `toml:"short-name-mode"`
	CredentialHelpers           []string          `toml:"credential-helpers"`
	Aliases                     map[string]string `toml:"aliases"`
	Registries                  []tomlRegistry    `toml:"registry"`
	V1                          tomlV1            `toml:"registries"`
}

type tomlRegistry struct {
	Prefix             string `toml:"prefix"`
	Location           string `toml:"location"`
	Insecure           bool   `toml:"insecure"`
	Blocked            bool   `toml:"blocked"`
	MirrorByDigestOnly bool   `toml:"mirror-by-digest-only"`
	// PullFromMirror is only valid on mirrors; it is decoded here so that
	// the error can say so instead of calling it an unknown key.
	PullFromMirror string       `toml:"pull-from-mirror"`
	Mirrors        []tomlMirror `toml:"mirror"`
}

type tomlMirror struct {
	Location       string `toml:"location"`
	Insecure       bool   `toml:"insecure"`
	PullFromMirror string `toml:"pull-from-mirror"`
}

// tomlV1 is the deprecated format: [registries.search], [registries.insecure]
// and [registries.block], each with a "registries" list.
type tomlV1 struct {
	Search   tomlV1List `toml:"search"`
	Insecure tomlV1List `toml:"insecure"`
	Block    tomlV1List `toml:"block"`
}

type tomlV1List struct {
	Registries []string `toml:"registries"`
}

// inUse follows containers/image: empty v1 lists do not make a file v1, so
// a v2 file that still carries empty v1 tables keeps working.
func (v tomlV1) inUse() bool {
	return len(v.Search.Registries)+len(v.Insecure.Registries)+len(v.Block.Registries) > 0
}

// v2InUse reports whether any v2 setting has content.
func (f *tomlFile) v2InUse() bool {
	return len(f.UnqualifiedSearchRegistries) > 0 || f.ShortNameMode != "" ||
		len(f.CredentialHelpers) > 0 || len(f.Aliases) > 0 || len(f.Registries) > 0
}

// parsedFile is one validated file, before merging.
type parsedFile struct {
	origin               string
	registries           []Registry // unique prefixes, sorted
	searchRegistries     []string
	searchSet            bool // set, possibly to [], which clears earlier files
	credentialHelpers    []string
	credentialHelpersSet bool
	shortNameMode        ShortNameMode // "" when not set
	aliases              map[string]alias
}

// Parse reads one registries.conf file's contents as a complete
// configuration (the rules of a main file: v1 accepted, no drop-ins).
// origin names the data in errors and in Registry.Origin.
func Parse(data []byte, origin string) (*Config, error) {
	f, err := parseFile(data, origin, true)
	if err != nil {
		return nil, err
	}
	c := newEmptyConfig()
	c.merge(f)
	c.finish()
	return c, nil
}

// parseFile decodes and validates one file. allowV1 is false for drop-ins,
// which containers/image requires to be v2.
func parseFile(data []byte, origin string, allowV1 bool) (*parsedFile, error) {
	fail := func(what string, err error) error {
		return &ConfigError{File: origin, What: what, Err: err}
	}
	var tf tomlFile
	meta, err := toml.Decode(string(data), &tf)
	if err != nil {
		return nil, fail("", err)
	}
	// The decoder matches struct fields case-insensitively, so Undecoded
	// alone would accept "Prefix" or "Registry"; check exact names first.
	if unknown := unknownKeys(meta.Keys()); len(unknown) > 0 {
		return nil, fail("", unknownKeysError(unknown))
	}
	if undecoded := meta.Undecoded(); len(undecoded) > 0 {
		return nil, fail("", unknownKeysError(undecoded))
	}

	searchSet := meta.IsDefined("unqualified-search-registries")
	credentialHelpersSet := meta.IsDefined("credential-helpers")
	if tf.V1.inUse() {
		if !allowV1 {
			return nil, fail("", errors.New("the v1 format ([registries.search], [registries.insecure], [registries.block]) is not allowed in a drop-in file"))
		}
		if tf.v2InUse() {
			return nil, fail("", errors.New("mixing the v1 format ([registries.*]) with v2 settings is not supported"))
		}
		tf = convertV1(tf.V1)
		searchSet = tf.UnqualifiedSearchRegistries != nil
	}

	p := &parsedFile{origin: origin}
	if p.registries, err = validateRegistries(tf.Registries, origin); err != nil {
		return nil, err
	}

	p.searchSet = searchSet
	for i, entry := range tf.UnqualifiedSearchRegistries {
		host, err := validateSearchRegistry(entry)
		if err != nil {
			return nil, fail(fmt.Sprintf("unqualified-search-registries entry #%d", i+1), err)
		}
		p.searchRegistries = append(p.searchRegistries, host)
	}
	if p.searchSet && p.searchRegistries == nil {
		p.searchRegistries = []string{} // keep "set to empty" distinct from "unset"
	}

	p.credentialHelpersSet = credentialHelpersSet
	for i, helper := range tf.CredentialHelpers {
		if strings.TrimSpace(helper) == "" {
			return nil, fail(fmt.Sprintf("credential-helpers entry #%d", i+1), errors.New("empty helper name"))
		}
		p.credentialHelpers = append(p.credentialHelpers, helper)
	}

	// As in containers/image, short-name-mode = "" means "not set here".
	switch mode := ShortNameMode(tf.ShortNameMode); mode {
	case "", ShortNameEnforcing, ShortNamePermissive, ShortNameDisabled:
		p.shortNameMode = mode
	default:
		return nil, fail("short-name-mode", fmt.Errorf("invalid value %q (want enforcing, permissive or disabled)", tf.ShortNameMode))
	}

	if p.aliases, err = parseAliases(tf.Aliases, origin); err != nil {
		return nil, fail("[aliases]", err)
	}
	return p, nil
}

// keySchema lists the exact key names allowed below a table; a nil schema
// is a value with no keys below it, and "*" allows any name (aliases).
type keySchema map[string]keySchema

var fileKeys = keySchema{
	"unqualified-search-registries": nil,
	"short-name-mode":               nil,
	"credential-helpers":            nil,
	"aliases":                       {"*": nil},
	"registry": {
		"prefix":                nil,
		"location":              nil,
		"insecure":              nil,
		"blocked":               nil,
		"mirror-by-digest-only": nil,
		"pull-from-mirror":      nil,
		"mirror": {
			"location":         nil,
			"insecure":         nil,
			"pull-from-mirror": nil,
		},
	},
	"registries": {
		"search":   {"registries": nil},
		"insecure": {"registries": nil},
		"block":    {"registries": nil},
	},
}

// unknownKeys returns the keys (in file order) that are not spelt exactly
// as fileKeys says, each reported once at its first unknown component.
func unknownKeys(keys []toml.Key) []toml.Key {
	var unknown []toml.Key
	reported := map[string]bool{}
	for _, key := range keys {
		schema := fileKeys
		for i, part := range key {
			next, ok := schema[part]
			if !ok {
				next, ok = schema["*"]
			}
			if !ok {
				bad := key[:i+1]
				if !reported[bad.String()] {
					reported[bad.String()] = true
					unknown = append(unknown, bad)
				}
				break
			}
			schema = next
		}
	}
	return unknown
}

func unknownKeysError(keys []toml.Key) error {
	names := make([]string, len(keys))
	for i, k := range keys {
		names[i] = fmt.Sprintf("%q", k.String())
	}
	if len(names) == 1 {
		return fmt.Errorf("unknown key %s", names[0])
	}
	return fmt.Errorf("unknown keys %s", strings.Join(names, ", "))
}

// convertV1 maps the v1 lists onto v2 entries the way containers/image
// does: one [[registry]] per location (prefix = location), blocked entries
// first, then insecure ones, each location once in first-seen order.
func convertV1(v1 tomlV1) tomlFile {
	var out tomlFile
	index := map[string]int{}
	entry := func(location string) *tomlRegistry {
		// Trailing slashes are trimmed later; key on the trimmed form so
		// "a.com" and "a.com/" merge like they do in containers/image.
		key := strings.TrimRight(location, "/")
		i, ok := index[key]
		if !ok {
			i = len(out.Registries)
			index[key] = i
			out.Registries = append(out.Registries, tomlRegistry{Location: location})
		}
		return &out.Registries[i]
	}
	for _, location := range v1.Block.Registries {
		entry(location).Blocked = true
	}
	for _, location := range v1.Insecure.Registries {
		entry(location).Insecure = true
	}
	out.UnqualifiedSearchRegistries = v1.Search.Registries
	return out
}

// parseAliases validates every alias and reports all bad ones at once, so
// that fixing a file is not a guessing game.
func parseAliases(raw map[string]string, origin string) (map[string]alias, error) {
	out := make(map[string]alias, len(raw))
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	var problems []string
	for _, name := range names {
		if err := validateShortName(name); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		value := raw[name]
		if value == "" { // erases an alias from an earlier file
			out[name] = alias{origin: origin}
			continue
		}
		named, err := parseAliasValue(value)
		if err != nil {
			problems = append(problems, fmt.Sprintf("alias %q: %v", name, err))
			continue
		}
		out[name] = alias{value: named, origin: origin}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}
