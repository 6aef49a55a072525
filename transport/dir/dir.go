// Package dir is the `dir:PATH` transport: an image as a plain directory
// in exactly the layout skopeo writes, so each reads the other's:
//
//	version                      "Directory Transport Version: 1.1\n"
//	manifest.json                the manifest (or index, with --all)
//	<hex>                        every blob, named by its sha256 hex
//	signature-1, signature-2 …   signatures of manifest.json
//	<hex>.manifest.json          an index's instance manifests
//	<hex>.signature-N            their signatures
package dir

import (
	"context"
	"fmt"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/internal/pathref"
)

// Name is the transport's name.
const Name = "dir"

// versionContent is what skopeo 1.9 writes (and accepts 1.0 too).
const versionContent = "Directory Transport Version: 1.1\n"

// Transport parses dir: references.
type Transport struct{}

func (Transport) Name() string { return Name }

func (Transport) ParseReference(s string) (transport.Reference, error) {
	return NewReference(s)
}

// Reference is a directory holding one image.
type Reference struct {
	path string
}

// NewReference makes a reference to the directory at path.
func NewReference(path string) (*Reference, error) {
	p, err := pathref.Explicit(path)
	if err != nil {
		return nil, fmt.Errorf("dir:%s: %w", path, err)
	}
	if p == "/" {
		return nil, fmt.Errorf("dir:/ is not a usable image directory: %w", errdefs.ErrInvalidArgument)
	}
	return &Reference{path: p}, nil
}

func (r *Reference) Transport() string                       { return Name }
func (r *Reference) StringWithinTransport() string           { return r.path }
func (r *Reference) String() string                          { return Name + ":" + r.path }
func (r *Reference) DockerReference() reference.Named        { return nil }
func (r *Reference) PolicyConfigurationIdentity() string     { return r.path }
func (r *Reference) PolicyConfigurationNamespaces() []string { return pathref.Namespaces(r.path) }

// Path is the directory.
func (r *Reference) Path() string { return r.path }

func (r *Reference) NewSource(ctx context.Context, opts *transport.Options) (transport.Source, error) {
	return newSource(r)
}

func (r *Reference) NewDestination(ctx context.Context, opts *transport.Options) (transport.Destination, error) {
	return newDestination(r)
}
