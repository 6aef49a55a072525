package trust

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

// DockerReferenceIdentity is the policy identity of a docker reference:
// its full name with the tag ("example.com:5000/ns/app:v1") or the digest
// ("…/app@sha256:…"). A reference with neither, or with both, has none.
func DockerReferenceIdentity(ref reference.Named) (string, error) {
	tagged, isTagged := ref.(reference.NamedTagged)
	digested, isDigested := ref.(reference.Canonical)
	switch {
	case isTagged && isDigested:
		return "", fmt.Errorf("docker reference %s has both a tag and a digest: %w", reference.FamiliarString(ref), errdefs.ErrInvalidArgument)
	case isTagged:
		return ref.Name() + ":" + tagged.Tag(), nil
	case isDigested:
		return ref.Name() + "@" + digested.Digest().String(), nil
	default:
		return "", fmt.Errorf("docker reference %s has neither a tag nor a digest: %w", reference.FamiliarString(ref), errdefs.ErrInvalidArgument)
	}
}

// DockerReferenceNamespaces are the scopes a docker reference falls back
// to after its identity, most specific first: the repository, each parent
// namespace, the host[:port], then wildcard host forms without the port
// ("a.b.c:5000" gives "*.b.c", "*.c"). A port-less host scope therefore
// never matches a reference that has a port.
func DockerReferenceNamespaces(ref reference.Named) []string {
	return nameNamespaces(ref.Name())
}

// DockerReferenceScopes is the identity followed by the namespaces: the
// list lookaside.Config.BaseURL takes.
func DockerReferenceScopes(ref reference.Named) ([]string, error) {
	id, err := DockerReferenceIdentity(ref)
	if err != nil {
		return nil, err
	}
	return append([]string{id}, DockerReferenceNamespaces(ref)...), nil
}

// nameNamespaces works on a repository name "host[:port]/path…".
func nameNamespaces(name string) []string { return image.NameNamespaces(name) }

// ResolvePolicyPath turns a user-given path into the identity of a dir:,
// oci: or oci-archive: image: absolute, symlinks resolved, clean. The
// last component may not exist yet (a destination), its parent must.
func ResolvePolicyPath(path string) (string, error) {
	if _, err := os.Lstat(path); err == nil {
		return resolveExisting(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("resolving %q: %w", path, err)
	}
	parent, file := filepath.Split(path)
	if file == "." || file == ".." {
		return "", fmt.Errorf("resolving %q: unexpected path element %q: %w", path, file, errdefs.ErrInvalidArgument)
	}
	if parent == "" {
		parent = "."
	}
	p, err := resolveExisting(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(p, file), nil
}

func resolveExisting(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", path, err)
	}
	res, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("resolving %q: %w", path, err)
	}
	return filepath.Clean(res), nil
}

// PathNamespaces are the scopes a filesystem identity (from
// ResolvePolicyPath) falls back to: each parent directory, most specific
// first, up to but excluding "/" (the "" scope plays that role).
func PathNamespaces(identity string) []string { return image.PathNamespaces(identity) }
