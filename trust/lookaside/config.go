package lookaside

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v2"

	"github.com/ocid-project/ocid/errdefs"
)

// DefaultDir is where registries.d files live unless --registries.d says
// otherwise.
const DefaultDir = "/etc/containers/registries.d"

// Namespace is the configuration of one scope (or of default-docker).
// The old names sigstore and sigstore-staging are folded into Lookaside
// and LookasideStaging when read; the new names win when both are given,
// as in containers/image.
type Namespace struct {
	Lookaside              string // for reading, and for writing without LookasideStaging
	LookasideStaging       string // for writing only
	UseSigstoreAttachments *bool  // nil when not set here
}

// File is one parsed registries.d file.
type File struct {
	Name          string
	DefaultDocker *Namespace
	Docker        map[string]Namespace
}

// Config is every file of a registries.d directory merged.
type Config struct {
	DefaultDocker *Namespace
	Docker        map[string]Namespace

	defaultFrom string            // file that defined default-docker
	dockerFrom  map[string]string // scope → file that defined it
}

// Load reads every *.yaml file of dir (DefaultDir when dir is empty) in
// name order and merges them. A missing directory is an empty
// configuration. default-docker or one docker scope defined in two files
// is an error naming both files.
func Load(dir string) (*Config, error) {
	if dir == "" {
		dir = DefaultDir
	}
	c := &Config{Docker: map[string]Namespace{}, dockerFrom: map[string]string{}}
	entries, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return c, nil
		}
		return nil, fmt.Errorf("reading registries.d: %w", err)
	}
	names := []string{}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".yaml") && !e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(dir, n)
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("reading registries.d: %w", err)
		}
		f, err := ParseFile(data, path)
		if err != nil {
			return nil, err
		}
		if err := c.Merge(f); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Merge adds f to c, refusing definitions c already has.
func (c *Config) Merge(f *File) error {
	if c.Docker == nil {
		c.Docker = map[string]Namespace{}
	}
	if c.dockerFrom == nil {
		c.dockerFrom = map[string]string{}
	}
	if f.DefaultDocker != nil {
		if c.DefaultDocker != nil {
			return fmt.Errorf(`registries.d: "default-docker" defined both in %q and %q: %w`, c.defaultFrom, f.Name, errdefs.ErrInvalidArgument)
		}
		ns := *f.DefaultDocker
		c.DefaultDocker, c.defaultFrom = &ns, f.Name
	}
	scopes := make([]string, 0, len(f.Docker))
	for s := range f.Docker {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	for _, s := range scopes {
		if _, dup := c.Docker[s]; dup {
			return fmt.Errorf(`registries.d: "docker" scope %q defined both in %q and %q: %w`, s, c.dockerFrom[s], f.Name, errdefs.ErrInvalidArgument)
		}
		c.Docker[s], c.dockerFrom[s] = f.Docker[s], f.Name
	}
	return nil
}

// ParseFile parses one registries.d YAML file; name is used in errors.
// Unknown keys are ignored (forward compatibility, as containers/image
// does); a key repeated inside one mapping is an error, and so are values
// of the wrong type.
func ParseFile(data []byte, name string) (*File, error) {
	f, err := parseFile(data, name)
	if err != nil {
		return nil, fmt.Errorf("%s: %w: %w", name, err, errdefs.ErrInvalidArgument)
	}
	return f, nil
}

func parseFile(data []byte, name string) (*File, error) {
	f := &File{Name: name, Docker: map[string]Namespace{}}
	var doc any
	// Strict mode makes yaml.v2 refuse duplicate mapping keys; decoding
	// into generic values keeps unknown keys harmless.
	if err := yaml.UnmarshalStrict(data, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return f, nil
	}
	top, ok := doc.(map[any]any)
	if !ok {
		return nil, fmt.Errorf("expected a mapping at the top level, got %s", yamlKind(doc))
	}
	for k, v := range top {
		switch keyString(k) {
		case "default-docker":
			if v == nil { // "default-docker:" with nothing after it
				continue
			}
			ns, err := parseNamespace(v, "default-docker")
			if err != nil {
				return nil, err
			}
			f.DefaultDocker = &ns
		case "docker":
			if v == nil {
				continue
			}
			scopes, ok := v.(map[any]any)
			if !ok {
				return nil, fmt.Errorf("docker: expected a mapping of scopes, got %s", yamlKind(v))
			}
			for sk, sv := range scopes {
				scope := keyString(sk)
				if _, dup := f.Docker[scope]; dup { // e.g. 1 and "1"
					return nil, fmt.Errorf("docker: scope %q defined twice", scope)
				}
				ns, err := parseNamespace(sv, fmt.Sprintf("docker.%q", scope))
				if err != nil {
					return nil, err
				}
				f.Docker[scope] = ns
			}
		}
	}
	return f, nil
}

func parseNamespace(v any, where string) (Namespace, error) {
	var ns Namespace
	if v == nil {
		return ns, nil
	}
	m, ok := v.(map[any]any)
	if !ok {
		return ns, fmt.Errorf("%s: expected a mapping, got %s", where, yamlKind(v))
	}
	var lookaside, staging, oldLookaside, oldStaging string
	for k, val := range m {
		key := keyString(k)
		var dst *string
		switch key {
		case "lookaside":
			dst = &lookaside
		case "lookaside-staging":
			dst = &staging
		case "sigstore":
			dst = &oldLookaside
		case "sigstore-staging":
			dst = &oldStaging
		case "use-sigstore-attachments":
			switch b := val.(type) {
			case nil:
			case bool:
				ns.UseSigstoreAttachments = &b
			default:
				return ns, fmt.Errorf("%s.%s: expected a boolean, got %s", where, key, yamlKind(val))
			}
			continue
		default:
			continue // unknown keys are ignored
		}
		switch s := val.(type) {
		case nil:
		case string:
			*dst = s
		default:
			return ns, fmt.Errorf("%s.%s: expected a URL string, got %s", where, key, yamlKind(val))
		}
	}
	ns.Lookaside = firstNonEmpty(lookaside, oldLookaside)
	ns.LookasideStaging = firstNonEmpty(staging, oldStaging)
	return ns, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// keyString renders a YAML mapping key as the string containers/image
// would see after its YAML→JSON conversion (a scope like 1.2 or true is a
// non-string YAML scalar).
func keyString(k any) string {
	switch v := k.(type) {
	case string:
		return v
	case bool:
		return strconv.FormatBool(v)
	case int:
		return strconv.Itoa(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	default:
		return fmt.Sprint(v)
	}
}

func yamlKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, uint64, float64:
		return "a number"
	case []any:
		return "a sequence"
	case map[any]any:
		return "a mapping"
	default:
		return fmt.Sprintf("%T", v)
	}
}
