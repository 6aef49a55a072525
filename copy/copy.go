package copy

import (
	"context"
	"fmt"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

// Result describes what was written.
type Result struct {
	// Digest and MediaType of the top-level manifest written.
	Digest    digest.Digest
	MediaType string
	Manifest  []byte
}

// UnparsedImage is an image (or one instance of an index) as read from a
// source, before it is trusted: what the policy looks at.
type UnparsedImage struct {
	Source   transport.Source
	Instance digest.Digest // "" for the top level
	raw      []byte
	mt       string
}

// Reference names the image.
func (u *UnparsedImage) Reference() transport.Reference { return u.Source.Reference() }

// Manifest returns the exact manifest bytes and media type.
func (u *UnparsedImage) Manifest(ctx context.Context) ([]byte, string, error) {
	if u.raw == nil {
		raw, mt, err := u.Source.Manifest(ctx, u.Instance)
		if err != nil {
			return nil, "", err
		}
		u.raw, u.mt = raw, mt
	}
	return u.raw, u.mt, nil
}

// Signatures returns the stored signatures of this manifest.
func (u *UnparsedImage) Signatures(ctx context.Context) ([][]byte, error) {
	return u.Source.Signatures(ctx, u.Instance)
}

// Image copies the image src names to dst.
func Image(ctx context.Context, dst, src transport.Reference, opts *Options) (*Result, error) {
	if opts == nil || (opts.Policy == nil && !opts.InsecureAcceptAnything) {
		return nil, fmt.Errorf("copy: no signature policy given: %w", errdefs.ErrInvalidArgument)
	}
	s, err := src.NewSource(ctx, opts.Source)
	if err != nil {
		return nil, err
	}
	defer s.Close()

	top := &UnparsedImage{Source: s}
	raw, mt, err := top.Manifest(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkPolicy(ctx, opts, top); err != nil {
		return nil, err
	}

	d, err := dst.NewDestination(ctx, opts.Dest)
	if err != nil {
		return nil, err
	}
	defer d.Close()

	c := &copier{src: s, dst: d, opts: opts, log: opts.logger(), progress: opts.progress()}
	var res *Result
	if image.IsIndex(mt) {
		res, err = c.copyIndex(ctx, top, raw, mt)
	} else {
		res, err = c.copyImage(ctx, top, false)
	}
	if err != nil {
		return nil, err
	}
	if err := d.Commit(ctx); err != nil {
		return nil, fmt.Errorf("committing %s: %w", dst.StringWithinTransport(), err)
	}
	return res, nil
}

func checkPolicy(ctx context.Context, opts *Options, img *UnparsedImage) error {
	if opts.InsecureAcceptAnything {
		return nil
	}
	return opts.Policy.Allow(ctx, img)
}

// copier holds one copy's state.
type copier struct {
	src      transport.Source
	dst      transport.Destination
	opts     *Options
	log      interface{ Info(string, ...any) }
	progress Progress
}
