// Package registry is the `docker://` transport: images on a registry
// that speaks the distribution (OCI) protocol. Authentication (bearer
// tokens, basic) comes from go-containerregistry's transport; manifests,
// blobs with resumable downloads, uploads and mounts are done here so
// that retries, verification and progress are under ocid's control.
package registry

import (
	"context"
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

// Name is the transport's name in `docker://…` and in policy.json.
const Name = "docker"

// Transport parses `docker://` references.
type Transport struct{}

// Name returns "docker".
func (Transport) Name() string { return Name }

// ParseReference parses the part after `docker:`, which must start with
// `//`. A name without tag or digest gets `:latest`.
func (Transport) ParseReference(s string) (transport.Reference, error) {
	return ParseReference(s)
}

// ParseReference parses `//host/repo[:tag|@digest]`.
func ParseReference(s string) (*Reference, error) {
	rest, ok := strings.CutPrefix(s, "//")
	if !ok {
		return nil, fmt.Errorf("docker reference %q must start with docker://: %w", s, errInvalid)
	}
	named, err := image.ParseDockerReference(rest)
	if err != nil {
		return nil, err
	}
	return NewReference(named), nil
}

// NewReference wraps a parsed name; a name without tag or digest gets `:latest`.
func NewReference(named reference.Named) *Reference {
	return &Reference{named: image.WithDefaultTag(named)}
}

// Reference is an image on a registry, always with a tag or a digest.
type Reference struct {
	named reference.Named
}

func (r *Reference) Transport() string                   { return Name }
func (r *Reference) StringWithinTransport() string       { return "//" + r.named.String() }
func (r *Reference) String() string                      { return "docker://" + r.named.String() }
func (r *Reference) DockerReference() reference.Named    { return r.named }
func (r *Reference) PolicyConfigurationIdentity() string { return image.PolicyIdentity(r.named) }
func (r *Reference) PolicyConfigurationNamespaces() []string {
	return image.PolicyNamespaces(r.named)
}

// tagOrDigest is the last path element of the manifest URL.
func tagOrDigest(named reference.Named) string {
	if d, ok := named.(reference.Digested); ok {
		return d.Digest().String()
	}
	if t, ok := named.(reference.Tagged); ok {
		return t.Tag()
	}
	return "latest"
}

// NewSource opens the image for reading, trying registries.conf mirrors
// in order before the primary location.
func (r *Reference) NewSource(ctx context.Context, opts *transport.Options) (transport.Source, error) {
	return newSource(ctx, r, opts)
}

// NewDestination opens the image's repository for writing (mirrors are
// never written to).
func (r *Reference) NewDestination(ctx context.Context, opts *transport.Options) (transport.Destination, error) {
	return newDestination(ctx, r, opts)
}
