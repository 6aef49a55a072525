package registry

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/verify"
	"github.com/ocid-project/ocid/transport"
)

type destination struct {
	ref      *Reference
	physical reference.Named
	c        *client
	opts     *transport.Options
	// top is the digest of the top-level manifest once it is written;
	// its signatures are stored under it.
	top digest.Digest
}

func newDestination(ctx context.Context, ref *Reference, opts *transport.Options) (*destination, error) {
	ep, err := pushEndpoint(ref.named, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	c, err := newClient(ctx, apiHost(reference.Domain(ep.named)), reference.Path(ep.named), true, nil, clientOptions(opts, ep.insecure))
	if err != nil {
		return nil, err
	}
	return &destination{ref: ref, physical: ep.named, c: c, opts: opts}, nil
}

func (d *destination) Reference() transport.Reference   { return d.ref }
func (d *destination) SupportedManifestTypes() []string { return nil }
func (d *destination) DesiredLayerCompression() transport.LayerCompression {
	return transport.Compress
}

// AcceptsForeignLayers: non-distributable layers stay where their URLs
// point, as docker and skopeo do.
func (d *destination) AcceptsForeignLayers() bool { return true }

// Commit has nothing to do: a registry publishes each manifest as it is
// put, and the top-level manifest is put last.
func (d *destination) Commit(context.Context) error { return nil }
func (d *destination) Close() error                 { d.c.http.CloseIdleConnections(); return nil }

func (d *destination) HasBlob(ctx context.Context, desc image.Descriptor) (bool, error) {
	resp, err := d.c.do(ctx, http.MethodHead, d.c.url("blobs/"+desc.Digest.String()), nil, nil)
	if err != nil {
		return false, classify(fmt.Errorf("checking blob %s: %w", desc.Digest, err))
	}
	resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusOK:
		return desc.Size < 0 || resp.ContentLength < 0 || resp.ContentLength == desc.Size, nil
	case http.StatusNotFound:
		return false, nil
	}
	return false, fmt.Errorf("checking blob %s: %w", desc.Digest, checkResponse(resp, http.StatusOK))
}

// startUpload opens an upload session, or mounts desc from another
// repository when from is set. It returns the session URL, or "" when
// the mount succeeded.
func (d *destination) startUpload(ctx context.Context, desc image.Descriptor, from string) (string, error) {
	u := d.c.url("blobs/uploads/")
	if from != "" {
		u += "?" + url.Values{"mount": {desc.Digest.String()}, "from": {from}}.Encode()
	}
	resp, err := d.c.do(ctx, http.MethodPost, u, nil, nil)
	if err != nil {
		return "", classify(fmt.Errorf("starting upload of %s to %s: %w", desc.Digest, d.physical.Name(), err))
	}
	defer resp.Body.Close()
	if from != "" && resp.StatusCode == http.StatusCreated {
		return "", nil
	}
	if err := checkResponse(resp, http.StatusAccepted); err != nil {
		return "", fmt.Errorf("starting upload of %s to %s: %w", desc.Digest, d.physical.Name(), err)
	}
	loc, err := resp.Location()
	if err != nil {
		return "", fmt.Errorf("starting upload of %s: registry sent no upload location: %w", desc.Digest, err)
	}
	return loc.String(), nil
}

func (d *destination) cancelUpload(location string) {
	resp, err := d.c.do(context.Background(), http.MethodDelete, location, nil, nil)
	if err == nil {
		resp.Body.Close()
	}
}

// PutBlob uploads r. With a known digest and size it is one monolithic
// PUT whose body fails at EOF if the bytes do not match, so the registry
// never commits a wrong blob; otherwise the bytes are streamed with PATCH
// and committed under the digest computed on the way.
func (d *destination) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	loc, err := d.startUpload(ctx, desc, "")
	if err != nil {
		return image.Descriptor{}, err
	}
	vr := verify.NewReader(r, desc.Digest, desc.Size)
	out, err := d.upload(ctx, loc, vr, desc)
	if err != nil {
		d.cancelUpload(loc)
		return image.Descriptor{}, fmt.Errorf("uploading blob %s to %s: %w", desc.Digest, d.physical.Name(), err)
	}
	return out, nil
}

func (d *destination) upload(ctx context.Context, loc string, vr *verify.Reader, desc image.Descriptor) (image.Descriptor, error) {
	if desc.Digest != "" && desc.Size >= 0 {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, withDigest(loc, desc.Digest), vr)
		if err != nil {
			return desc, err
		}
		req.ContentLength = desc.Size
		req.Header.Set("Content-Type", "application/octet-stream")
		if err := d.send(req, http.StatusCreated); err != nil {
			return desc, vr.Explain(err)
		}
		return desc, nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, loc, vr)
	if err != nil {
		return desc, err
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := d.c.http.Do(req)
	if err != nil {
		return desc, vr.Explain(classify(err))
	}
	resp.Body.Close()
	if err := checkResponse(resp, http.StatusAccepted, http.StatusNoContent); err != nil {
		return desc, err
	}
	next, err := resp.Location()
	if err != nil {
		return desc, fmt.Errorf("registry sent no upload location after PATCH: %w", err)
	}
	out := desc
	out.Digest, out.Size = vr.Digest(), vr.N()
	req, err = http.NewRequestWithContext(ctx, http.MethodPut, withDigest(next.String(), out.Digest), nil)
	if err != nil {
		return desc, err
	}
	return out, d.send(req, http.StatusCreated)
}

func (d *destination) send(req *http.Request, want int) error {
	resp, err := d.c.http.Do(req)
	if err != nil {
		return classify(err)
	}
	defer resp.Body.Close()
	return checkResponse(resp, want)
}

func withDigest(loc string, dg digest.Digest) string {
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	q := u.Query()
	q.Set("digest", dg.String())
	u.RawQuery = q.Encode()
	return u.String()
}

// MountBlob asks the registry to link desc from another repository on the
// same host (a cross-repository mount), so its bytes are not sent again.
func (d *destination) MountBlob(ctx context.Context, desc image.Descriptor, from transport.Reference) (bool, error) {
	src, ok := from.(*Reference)
	if !ok || reference.Domain(src.named) != reference.Domain(d.physical) || src.named.Name() == d.physical.Name() {
		return false, nil
	}
	loc, err := d.startUpload(ctx, desc, reference.Path(src.named))
	if err != nil {
		return false, err
	}
	if loc != "" {
		// The registry opened an upload instead (it may not hold the blob
		// there, or may not allow the mount): cancel it; the caller copies.
		d.cancelUpload(loc)
		return false, nil
	}
	return true, nil
}

// PutManifest puts an index instance by digest, and the top-level
// manifest by the reference's tag, or by its digest, which must match.
func (d *destination) PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error {
	dg := digest.FromBytes(raw)
	target := dg.String()
	if instance == "" {
		switch n := d.physical.(type) {
		case reference.Digested:
			if n.Digest() != dg {
				return fmt.Errorf("cannot push to %s: the manifest to write has digest %s (it was converted or changed): %w", d.ref, dg, errInvalid)
			}
		case reference.Tagged:
			target = n.Tag()
		}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, d.c.url("manifests/"+target), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", mediaType)
	if err := d.send(req, http.StatusCreated); err != nil {
		return fmt.Errorf("writing manifest %s to %s: %w", dg, d.physical.Name(), err)
	}
	if instance == "" {
		d.top = dg
	}
	return nil
}

func (d *destination) PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error {
	if instance == "" {
		if d.top == "" {
			return fmt.Errorf("writing signatures for %s: the manifest must be written first", d.ref)
		}
		instance = d.top
	}
	return d.writeSignatures(ctx, instance, sigs)
}
