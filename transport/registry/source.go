package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

type source struct {
	ref      *Reference
	physical reference.Named // where the image was found (a mirror or the primary)
	c        *client
	opts     *transport.Options
	top      []byte
	topType  string
}

func newSource(ctx context.Context, ref *Reference, opts *transport.Options) (*source, error) {
	eps, err := pullEndpoints(ref.named, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	var errs []error
	for _, ep := range eps {
		s, err := openAt(ctx, ref, ep, opts)
		if err == nil {
			return s, nil
		}
		if len(eps) == 1 {
			return nil, err
		}
		errs = append(errs, fmt.Errorf("from %s: %w", ep.named, err))
	}
	return nil, fmt.Errorf("%s: no mirror or primary location served the image: %w", ref, errors.Join(errs...))
}

// openAt connects to one endpoint and reads the top-level manifest there;
// the endpoint that serves it serves the whole pull.
func openAt(ctx context.Context, ref *Reference, ep endpoint, opts *transport.Options) (*source, error) {
	c, err := newClient(ctx, apiHost(reference.Domain(ep.named)), reference.Path(ep.named), false, nil, clientOptions(opts, ep.insecure))
	if err != nil {
		return nil, err
	}
	raw, mt, err := c.getManifest(ctx, tagOrDigest(ep.named))
	if err != nil {
		return nil, err
	}
	return &source{ref: ref, physical: ep.named, c: c, opts: opts, top: raw, topType: mt}, nil
}

func (s *source) Reference() transport.Reference { return s.ref }
func (s *source) Close() error                   { s.c.http.CloseIdleConnections(); return nil }

func (s *source) Manifest(ctx context.Context, instance digest.Digest) ([]byte, string, error) {
	if instance == "" {
		return s.top, s.topType, nil
	}
	return s.c.getManifest(ctx, instance.String())
}

// getManifest fetches a manifest by tag or digest. By digest the bytes
// must hash to it; by tag they must match the Docker-Content-Digest the
// registry announces, so a proxy cannot swap them undetected.
func (c *client) getManifest(ctx context.Context, ref string) ([]byte, string, error) {
	what := fmt.Sprintf("manifest %s/%s:%s", c.host, c.repo, ref)
	if strings.Contains(ref, ":") {
		what = fmt.Sprintf("manifest %s/%s@%s", c.host, c.repo, ref)
	}
	resp, err := c.do(ctx, http.MethodGet, c.url("manifests/"+ref), nil,
		map[string]string{"Accept": strings.Join(image.SupportedManifestTypes, ", ")})
	if err != nil {
		return nil, "", classify(fmt.Errorf("reading %s: %w", what, err))
	}
	defer resp.Body.Close()
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", what, err)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, image.MaxManifestSize+1))
	if err != nil {
		return nil, "", fmt.Errorf("reading %s: %w", what, err)
	}
	if len(raw) > image.MaxManifestSize {
		return nil, "", fmt.Errorf("%s is over %d bytes: %w", what, image.MaxManifestSize, errInvalid)
	}
	want := resp.Header.Get("Docker-Content-Digest")
	if d, err := digest.Parse(ref); err == nil {
		want = d.String()
	}
	if want != "" {
		d, err := digest.Parse(want)
		if err != nil {
			return nil, "", fmt.Errorf("%s: registry announced a bad digest %q: %w", what, want, errInvalid)
		}
		if got := d.Algorithm().FromBytes(raw); got != d {
			return nil, "", fmt.Errorf("%s: content has digest %s, want %s: %w", what, got, d, errInvalid)
		}
	}
	mt, err := image.DetectMediaType(raw, resp.Header.Get("Content-Type"))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", what, err)
	}
	return raw, mt, nil
}

func (s *source) Blob(ctx context.Context, desc image.Descriptor) (io.ReadCloser, int64, error) {
	br := &blobReader{ctx: ctx, c: s.c, desc: desc, size: desc.Size, maxResumes: 5}
	if err := br.open(); err != nil {
		return nil, 0, err
	}
	return br, br.size, nil
}

func (s *source) Signatures(ctx context.Context, instance digest.Digest) ([][]byte, error) {
	if instance == "" {
		instance = digest.FromBytes(s.top)
	}
	return readSignatures(ctx, s.c, s.physical, instance, s.opts)
}
