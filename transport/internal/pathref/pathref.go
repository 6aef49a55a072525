// Package pathref holds what the file-based transports (dir, oci,
// archives) share about their paths: making them explicit and the
// policy.json scopes derived from them.
package pathref

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

// Explicit makes p absolute and resolves symlinks in the part that
// exists, so policy scopes name the real location. The last element may
// not exist yet (a destination).
func Explicit(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("empty path: %w", errdefs.ErrInvalidArgument)
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err == nil {
		return resolved, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return "", err
	}
	parent, err := filepath.EvalSymlinks(filepath.Dir(abs))
	if errors.Is(err, fs.ErrNotExist) {
		return abs, nil
	}
	if err != nil {
		return "", err
	}
	return filepath.Join(parent, filepath.Base(abs)), nil
}

// Namespaces are the parent directories of p, most specific first,
// excluding "/": the policy.json scopes that contain p.
func Namespaces(p string) []string { return image.PathNamespaces(p) }

// SplitPathAndRef splits `PATH[:REF]` at the first colon, as skopeo does
// for oci: and the archive transports.
func SplitPathAndRef(s string) (string, string) {
	path, ref, _ := strings.Cut(s, ":")
	return path, ref
}

// ExistsDir reports whether p is an existing directory.
func ExistsDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
