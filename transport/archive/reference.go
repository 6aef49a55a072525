// Package archive is the `docker-archive:PATH[:NAME:TAG|:@N]` transport:
// the tar that `docker save` writes and `docker load` reads
// (manifest.json, one JSON config and one uncompressed tar per layer).
package archive

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/pathref"
)

// Name is the transport's name.
const Name = "docker-archive"

// Transport parses docker-archive: references.
type Transport struct{}

func (Transport) Name() string { return Name }

func (Transport) ParseReference(s string) (transport.Reference, error) { return ParseReference(s) }

// Reference is an archive, optionally with the image's name:tag (which
// selects the image when reading, and is recorded when writing) or, when
// reading, @N, the image's position in manifest.json.
type Reference struct {
	path  string
	named reference.NamedTagged // may be nil
	index int                   // -1 when not given
}

// ParseReference parses `PATH[:NAME:TAG|:@N]`.
func ParseReference(s string) (*Reference, error) {
	p, rest := pathref.SplitPathAndRef(s)
	abs, err := pathref.Explicit(p)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", Name, s, err)
	}
	ref := &Reference{path: abs, index: -1}
	switch {
	case rest == "":
	case strings.HasPrefix(rest, "@"):
		n, err := strconv.Atoi(rest[1:])
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%s:%s: invalid image index %q: %w", Name, s, rest, errdefs.ErrInvalidArgument)
		}
		ref.index = n
	default:
		named, err := image.ParseDockerReference(rest)
		if err != nil {
			return nil, fmt.Errorf("%s:%s: %w", Name, s, err)
		}
		if _, ok := named.(reference.Digested); ok {
			return nil, fmt.Errorf("%s:%s: an archive names images by tag, not digest: %w", Name, s, errdefs.ErrInvalidArgument)
		}
		ref.named = image.WithDefaultTag(named).(reference.NamedTagged)
	}
	return ref, nil
}

func (r *Reference) Transport() string { return Name }

func (r *Reference) StringWithinTransport() string {
	switch {
	case r.named != nil:
		return r.path + ":" + r.named.String()
	case r.index >= 0:
		return r.path + ":@" + strconv.Itoa(r.index)
	}
	return r.path
}

func (r *Reference) String() string { return Name + ":" + r.StringWithinTransport() }

func (r *Reference) DockerReference() reference.Named {
	if r.named == nil {
		return nil
	}
	return r.named
}

// Policy scopes are not path-based for docker-archive (containers/image
// gives it none beyond the transport's default).
func (r *Reference) PolicyConfigurationIdentity() string     { return "" }
func (r *Reference) PolicyConfigurationNamespaces() []string { return nil }

func (r *Reference) NewSource(ctx context.Context, opts *transport.Options) (transport.Source, error) {
	return newSource(r)
}

func (r *Reference) NewDestination(ctx context.Context, opts *transport.Options) (transport.Destination, error) {
	return newDestination(r, opts)
}
