package registries

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ocid-project/ocid/errdefs"
)

const (
	// DefaultPath is the system registries.conf.
	DefaultPath = "/etc/containers/registries.conf"
	// DefaultDropInDir holds drop-in files merged after the main file.
	DefaultDropInDir = "/etc/containers/registries.conf.d"
)

// The defaults Load uses; variables so tests can point them at a temp dir.
var (
	defaultPath      = DefaultPath
	defaultDropInDir = DefaultDropInDir
)

// Options says which files Load reads. The zero value reads the system
// defaults.
type Options struct {
	// Path is the main file. Empty means DefaultPath, where a missing file
	// is an empty configuration; a Path given here must exist.
	Path string
	// DropInDir is the directory of *.conf drop-ins. Empty means
	// DefaultDropInDir, also when Path is set, as in containers/image.
	DropInDir string
	// NoDropIns reads the main file only.
	NoDropIns bool
}

// Load reads the main file and the drop-ins and returns the merged
// configuration. Errors about a file's contents wrap
// errdefs.ErrInvalidArgument (as a *ConfigError); a missing explicit Path
// wraps errdefs.ErrNotFound.
func Load(opts Options) (*Config, error) {
	c := newEmptyConfig()

	mainPath, explicit := opts.Path, opts.Path != ""
	if !explicit {
		mainPath = defaultPath
	}
	data, err := os.ReadFile(mainPath)
	switch {
	case err == nil:
		f, err := parseFile(data, mainPath, true)
		if err != nil {
			return nil, err
		}
		c.merge(f)
	case errors.Is(err, fs.ErrNotExist) && !explicit:
		// A node without registries.conf simply has no settings.
	case errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("registries configuration %s: %w", mainPath, errors.Join(err, errdefs.ErrNotFound))
	default:
		return nil, fmt.Errorf("registries configuration: %w", err)
	}

	if !opts.NoDropIns {
		dir := opts.DropInDir
		if dir == "" {
			dir = defaultDropInDir
		}
		paths, err := dropInFiles(dir)
		if err != nil {
			return nil, err
		}
		for _, path := range paths {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("registries configuration drop-in: %w", err)
			}
			f, err := parseFile(data, path, false)
			if err != nil {
				return nil, err
			}
			c.merge(f)
		}
	}

	c.finish()
	return c, nil
}

// dropInFiles lists the *.conf entries directly in dir in lexical order, as
// containers/image's directory walk does: subdirectories are not entered
// (even one named x.conf), other names are ignored, a missing dir is empty.
func dropInFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registries configuration drop-in directory: %w", err)
	}
	var paths []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".conf") {
			continue
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	sort.Strings(paths) // os.ReadDir sorts already; the order is part of the contract
	return paths, nil
}
