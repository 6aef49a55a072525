// Package pull stores an image from wherever it is into the store: it
// resolves short names through registries.conf (aliases, search
// registries), then copies with package copy into the `store:`
// transport. The CLI's `image pull` and the CRI's PullImage share it.
package pull

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/registries"
	"github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
	"github.com/ocid-project/ocid/transport/registry"
	storetransport "github.com/ocid-project/ocid/transport/store"
)

// Puller pulls into one store.
type Puller struct {
	Store     *store.Store
	Transport *storetransport.Transport
	// Registries resolves short names; nil: names must be qualified.
	Registries *registries.Config
	// RegistriesFunc, when set, is asked instead (a daemon reloads
	// registries.conf on SIGHUP).
	RegistriesFunc func() *registries.Config
}

func (p *Puller) registries() *registries.Config {
	if p.RegistriesFunc != nil {
		return p.RegistriesFunc()
	}
	return p.Registries
}

// Result is the stored image and the name it was pulled as.
type Result struct {
	Image *store.Image
	Name  string
	// Source is the reference the image came from.
	Source transport.Reference
}

// Pull stores the image name: `TRANSPORT:REF` (stored under its
// registry name, or as) or a registry name, short or qualified. as, when
// set, is the name to store it under. opts is used for every attempt.
func (p *Puller) Pull(ctx context.Context, name, as string, opts *copy.Options) (*Result, error) {
	if strings.Contains(name, "://") || hasTransportPrefix(name) {
		src, err := all.ParseImageName(name)
		if err != nil {
			return nil, err
		}
		return p.pullFrom(ctx, src, as, opts)
	}
	candidates, err := p.candidates(name)
	if err != nil {
		return nil, err
	}
	var errs []error
	for _, c := range candidates {
		res, err := p.pullFrom(ctx, registry.NewReference(c), as, opts)
		if err == nil {
			return res, nil
		}
		if len(candidates) == 1 || !retryable(err) {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("%s: %w", c, err))
	}
	return nil, fmt.Errorf("pulling %s: no candidate worked: %w", name, errors.Join(errs...))
}

// candidates turns a registry name into the fully qualified names to
// try, in order.
func (p *Puller) candidates(name string) ([]reference.Named, error) {
	regs := p.registries()
	if !image.IsShortName(name) || regs == nil {
		named, err := image.ParseDockerReference(name)
		if err != nil {
			return nil, err
		}
		return []reference.Named{image.WithDefaultTag(named)}, nil
	}
	res, err := regs.ResolveShortName(name)
	if err != nil {
		return nil, err
	}
	if len(res.Candidates) == 0 {
		return nil, fmt.Errorf("short name %q: no alias and no unqualified-search-registries in registries.conf; use a fully qualified name: %w", name, errdefs.ErrInvalidArgument)
	}
	return res.Candidates, nil
}

// retryable: the next search registry is tried when this one does not
// have the image or cannot be reached, not when the image was refused
// (bad content, policy rejection).
func retryable(err error) bool {
	return !errdefs.IsInvalidArgument(err) && !errdefs.IsPrecondition(err)
}

func (p *Puller) pullFrom(ctx context.Context, src transport.Reference, as string, opts *copy.Options) (*Result, error) {
	target := as
	if target == "" {
		named := src.DockerReference()
		if named == nil {
			return nil, fmt.Errorf("%s has no registry name; give one to store it under: %w", src.Transport(), errdefs.ErrInvalidArgument)
		}
		if _, digested := named.(reference.Digested); digested {
			// Pulled by digest: stored under the repository name with
			// the digest recorded; the name keeps no tag.
			target = reference.TrimNamed(named).String() + ":" + digestTag(named.(reference.Digested))
		} else {
			target = named.String()
		}
	}
	dstRef, err := p.Transport.ParseReference(target)
	if err != nil {
		return nil, err
	}
	if _, err := copy.Image(ctx, dstRef, src, opts); err != nil {
		return nil, err
	}
	img, err := p.Store.Lookup(dstRef.DockerReference().String())
	if err != nil {
		return nil, err
	}
	return &Result{Image: img, Name: dstRef.DockerReference().String(), Source: src}, nil
}

// digestTag is the tag a by-digest pull is stored under, so the name
// stays unique per digest ("sha256-<hex>", as containers tools do).
func digestTag(d reference.Digested) string {
	return d.Digest().Algorithm().String() + "-" + d.Digest().Encoded()
}

func hasTransportPrefix(name string) bool {
	prefix, _, ok := strings.Cut(name, ":")
	if !ok {
		return false
	}
	for _, n := range all.Names() {
		if n == prefix {
			return true
		}
	}
	return false
}
