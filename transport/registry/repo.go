package registry

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

// ListTags lists every tag of the reference's repository, following the
// registry's pagination. Like a pull, it is served by the first mirror
// that answers.
func (r *Reference) ListTags(ctx context.Context, opts *transport.Options) ([]string, error) {
	eps, err := pullEndpoints(r.named, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r, err)
	}
	var lastErr error
	for _, ep := range eps {
		c, err := newClient(ctx, apiHost(reference.Domain(ep.named)), reference.Path(ep.named), false, nil, clientOptions(opts, ep.insecure))
		if err != nil {
			lastErr = err
			continue
		}
		tags, err := c.listTags(ctx)
		if err == nil {
			return tags, nil
		}
		lastErr = err
	}
	return nil, lastErr
}

func (c *client) listTags(ctx context.Context) ([]string, error) {
	var all []string
	next := c.url("tags/list?n=1000")
	for next != "" {
		resp, err := c.do(ctx, http.MethodGet, next, nil, nil)
		if err != nil {
			return nil, classify(fmt.Errorf("listing tags of %s/%s: %w", c.host, c.repo, err))
		}
		var page struct {
			Tags []string `json:"tags"`
		}
		err = checkResponse(resp, http.StatusOK)
		if err == nil {
			err = json.NewDecoder(io.LimitReader(resp.Body, 32<<20)).Decode(&page)
		}
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("listing tags of %s/%s: %w", c.host, c.repo, err)
		}
		all = append(all, page.Tags...)
		next = nextLink(resp)
	}
	return all, nil
}

// nextLink reads `Link: </v2/…?last=x&n=y>; rel="next"`, resolved against
// the request URL.
func nextLink(resp *http.Response) string {
	link := resp.Header.Get("Link")
	if link == "" {
		return ""
	}
	start, end := strings.Index(link, "<"), strings.Index(link, ">")
	if start < 0 || end < start || !strings.Contains(link[end:], `rel="next"`) {
		return ""
	}
	u, err := url.Parse(link[start+1 : end])
	if err != nil {
		return ""
	}
	return resp.Request.URL.ResolveReference(u).String()
}

// DeleteImage deletes the manifest the reference names. A tag is first
// resolved to its digest: registries delete manifests, not tags, so every
// tag pointing at that manifest goes with it (as with skopeo delete).
func (r *Reference) DeleteImage(ctx context.Context, opts *transport.Options) error {
	ep, err := pushEndpoint(r.named, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", r, err)
	}
	c, err := newClient(ctx, apiHost(reference.Domain(ep.named)), reference.Path(ep.named), true, nil, clientOptions(opts, ep.insecure))
	if err != nil {
		return err
	}
	dg, err := c.resolveDigest(ctx, tagOrDigest(ep.named))
	if err != nil {
		return fmt.Errorf("deleting %s: %w", r, err)
	}
	resp, err := c.do(ctx, http.MethodDelete, c.url("manifests/"+dg.String()), nil, nil)
	if err != nil {
		return classify(fmt.Errorf("deleting %s: %w", r, err))
	}
	defer resp.Body.Close()
	if err := checkResponse(resp, http.StatusAccepted, http.StatusOK); err != nil {
		return fmt.Errorf("deleting %s (%s): %w", r, dg, err)
	}
	return nil
}

// resolveDigest asks the registry which manifest a tag points to.
func (c *client) resolveDigest(ctx context.Context, ref string) (digest.Digest, error) {
	if d, err := digest.Parse(ref); err == nil {
		return d, nil
	}
	resp, err := c.do(ctx, http.MethodHead, c.url("manifests/"+ref), nil,
		map[string]string{"Accept": strings.Join(image.SupportedManifestTypes, ", ")})
	if err != nil {
		return "", classify(err)
	}
	resp.Body.Close()
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return "", err
	}
	if d, err := digest.Parse(resp.Header.Get("Docker-Content-Digest")); err == nil {
		return d, nil
	}
	// No digest header: fetch the manifest and hash it ourselves.
	raw, _, err := c.getManifest(ctx, ref)
	if err != nil {
		return "", err
	}
	return digest.FromBytes(raw), nil
}
