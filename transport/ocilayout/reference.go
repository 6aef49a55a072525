// Package ocilayout is the `oci:PATH[:REF]` transport (an OCI image
// layout directory) and the `oci-archive:PATH[:REF]` transport (the same
// layout in a tar file). REF is the index.json entry's
// org.opencontainers.image.ref.name annotation.
package ocilayout

import (
	"context"
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/pathref"
)

// Names of the two transports.
const (
	Name        = "oci"
	ArchiveName = "oci-archive"
)

// refNameAnnotation names an image in index.json.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// Transport parses oci: references; ArchiveTransport oci-archive: ones.
type (
	Transport        struct{}
	ArchiveTransport struct{}
)

func (Transport) Name() string        { return Name }
func (ArchiveTransport) Name() string { return ArchiveName }

func (Transport) ParseReference(s string) (transport.Reference, error) {
	return parse(s, false)
}

func (ArchiveTransport) ParseReference(s string) (transport.Reference, error) {
	return parse(s, true)
}

// Reference is an image in a layout directory or archive.
type Reference struct {
	path    string
	name    string // the ref.name annotation; "" = the only image
	archive bool
}

// NewReference names image name in the layout (archive) at path.
func NewReference(path, name string, archive bool) (*Reference, error) {
	return parse(path+":"+name, archive)
}

func parse(s string, archive bool) (*Reference, error) {
	p, name := pathref.SplitPathAndRef(s)
	t := Name
	if archive {
		t = ArchiveName
	}
	abs, err := pathref.Explicit(p)
	if err != nil {
		return nil, fmt.Errorf("%s:%s: %w", t, s, err)
	}
	if abs == "/" {
		return nil, fmt.Errorf("%s:/ is not a usable path: %w", t, errdefs.ErrInvalidArgument)
	}
	if err := validRefName(name); err != nil {
		return nil, fmt.Errorf("%s:%s: %w", t, s, err)
	}
	return &Reference{path: abs, name: name, archive: archive}, nil
}

// validRefName applies image-spec's grammar for ref.name (components of
// alphanumerics separated by -._:@/+ and --).
func validRefName(name string) error {
	if name == "" {
		return nil
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._:@/+", r)) {
			return fmt.Errorf("invalid image reference name %q: character %q: %w", name, r, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

func (r *Reference) Transport() string {
	if r.archive {
		return ArchiveName
	}
	return Name
}

func (r *Reference) StringWithinTransport() string {
	if r.name == "" {
		return r.path
	}
	return r.path + ":" + r.name
}

func (r *Reference) String() string { return r.Transport() + ":" + r.StringWithinTransport() }

// DockerReference is nil: a layout's names are not registry names.
func (r *Reference) DockerReference() reference.Named { return nil }

// PolicyConfigurationIdentity is the path, with the name when given,
// as containers/image scopes oci: images.
func (r *Reference) PolicyConfigurationIdentity() string { return r.StringWithinTransport() }

func (r *Reference) PolicyConfigurationNamespaces() []string {
	ns := pathref.Namespaces(r.path)
	if r.name != "" {
		ns = append([]string{r.path}, ns...)
	}
	return ns
}

// Path is the layout directory or archive file; ImageName the ref name.
func (r *Reference) Path() string      { return r.path }
func (r *Reference) ImageName() string { return r.name }

func (r *Reference) NewSource(ctx context.Context, opts *transport.Options) (transport.Source, error) {
	if r.archive {
		return newArchiveSource(r)
	}
	return newSource(r, dirFS(r.path))
}

func (r *Reference) NewDestination(ctx context.Context, opts *transport.Options) (transport.Destination, error) {
	if r.archive {
		return newArchiveDestination(r, opts)
	}
	return newDestination(r)
}
