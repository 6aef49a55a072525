// Package store is the `store:` transport: images in ocid's own store.
//
//	store:NAME[:TAG]     an image by name (docker.io/library/busybox:latest)
//	store:@DIGEST        an image by ID (config digest) or manifest digest
//
// Writing unpacks layers into file objects as they stream in (see package
// store); reading gives the stored manifest when the compressed layer
// blobs were kept, or else a manifest of uncompressed layers rebuilt byte
// for byte from the store (their digests are the diffIDs).
package store

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	ostore "github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport"
)

// Name is the transport's name.
const Name = "store"

// Transport parses store: references against one store, opened on first
// use (so commands that never touch the store never open it).
type Transport struct {
	open func() (*ostore.Store, error)
	once sync.Once
	s    *ostore.Store
	err  error
}

// New makes the transport for the store open returns.
func New(open func() (*ostore.Store, error)) *Transport { return &Transport{open: open} }

func (t *Transport) Name() string { return Name }

func (t *Transport) store() (*ostore.Store, error) {
	t.once.Do(func() { t.s, t.err = t.open() })
	return t.s, t.err
}

// ParseReference parses NAME[:TAG] or @DIGEST.
func (t *Transport) ParseReference(s string) (transport.Reference, error) {
	ref := &Reference{t: t}
	switch {
	case strings.HasPrefix(s, "@"):
		d, err := digest.Parse(s[1:])
		if err != nil {
			return nil, fmt.Errorf("store:%s: %v: %w", s, err, errdefs.ErrInvalidArgument)
		}
		ref.digest = d
	case s == "":
		return nil, fmt.Errorf("store: needs an image name or @DIGEST: %w", errdefs.ErrInvalidArgument)
	default:
		named, err := image.ParseDockerReference(s)
		if err != nil {
			return nil, err
		}
		if _, ok := named.(reference.Digested); ok {
			return nil, fmt.Errorf("store:%s: name a stored image by tag, or use store:@DIGEST: %w", s, errdefs.ErrInvalidArgument)
		}
		ref.named = image.WithDefaultTag(named).(reference.NamedTagged)
	}
	return ref, nil
}

// Reference is an image in the store.
type Reference struct {
	t      *Transport
	named  reference.NamedTagged
	digest digest.Digest
}

// NewReference names an image in the store t opens.
func (t *Transport) NewReference(named reference.Named) *Reference {
	return &Reference{t: t, named: image.WithDefaultTag(named).(reference.NamedTagged)}
}

func (r *Reference) Transport() string { return Name }

func (r *Reference) StringWithinTransport() string {
	if r.named != nil {
		return r.named.String()
	}
	return "@" + r.digest.String()
}

func (r *Reference) String() string { return Name + ":" + r.StringWithinTransport() }

func (r *Reference) DockerReference() reference.Named {
	if r.named == nil {
		return nil
	}
	return r.named
}

func (r *Reference) PolicyConfigurationIdentity() string {
	if r.named == nil {
		return ""
	}
	return image.PolicyIdentity(r.named)
}

func (r *Reference) PolicyConfigurationNamespaces() []string {
	if r.named == nil {
		return nil
	}
	return image.PolicyNamespaces(r.named)
}

// lookupKey is what the store looks the image up by.
func (r *Reference) lookupKey() string {
	if r.named != nil {
		return r.named.String()
	}
	return r.digest.String()
}

func (r *Reference) NewSource(ctx context.Context, opts *transport.Options) (transport.Source, error) {
	s, err := r.t.store()
	if err != nil {
		return nil, err
	}
	return newSource(ctx, s, r)
}

func (r *Reference) NewDestination(ctx context.Context, opts *transport.Options) (transport.Destination, error) {
	if r.named == nil {
		return nil, fmt.Errorf("%s: give the image a name to store it under: %w", r, errdefs.ErrInvalidArgument)
	}
	s, err := r.t.store()
	if err != nil {
		return nil, err
	}
	p, err := s.BeginPull(ctx)
	if err != nil {
		return nil, err
	}
	return &destination{ref: r, pull: p}, nil
}

// ReplaceSignatures replaces the signatures of the stored manifest.
func (r *Reference) ReplaceSignatures(ctx context.Context, opts *transport.Options, dg digest.Digest, sigs [][]byte) error {
	s, err := r.t.store()
	if err != nil {
		return err
	}
	img, err := s.Lookup(r.lookupKey())
	if err != nil {
		return err
	}
	if img.Manifest != dg {
		return fmt.Errorf("%s: the stored manifest is %s, not %s: %w", r, img.Manifest, dg, errdefs.ErrPrecondition)
	}
	return s.SetSignatures(img, sigs)
}
