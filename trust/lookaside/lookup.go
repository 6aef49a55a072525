package lookaside

import (
	"fmt"
	"net/url"

	"github.com/ocid-project/ocid/errdefs"
)

// DefaultBase is the lookaside used when nothing is configured for a
// repository (containers/image's default when running as root).
const DefaultBase = "file:///var/lib/containers/sigstore"

// BaseURL chooses the lookaside base for an image. scopes are the image's
// policy identity followed by its namespaces, most specific first (see
// trust.DockerReferenceScopes). The first docker section among them that
// has the wanted key wins; a matching section without it falls through to
// the next, then to default-docker, then to DefaultBase. Writing prefers
// lookaside-staging and falls back to lookaside.
//
// With mirrors, pass the scopes of the physical location that served the
// image: the lookaside follows where the bytes came from, while the policy
// identity stays the logical name.
func (c *Config) BaseURL(scopes []string, write bool) (*url.URL, error) {
	raw := ""
	for _, s := range scopes {
		if ns, ok := c.Docker[s]; ok {
			if raw = ns.location(write); raw != "" {
				break
			}
		}
	}
	if raw == "" && c.DefaultDocker != nil {
		raw = c.DefaultDocker.location(write)
	}
	if raw == "" {
		raw = DefaultBase
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("invalid lookaside URL %q: %w: %w", raw, err, errdefs.ErrInvalidArgument)
	}
	return u, nil
}

// UseSigstoreAttachments reports whether registry-attached (cosign)
// signatures are to be read and written for an image with these scopes:
// the first section among them, then default-docker, that sets it.
func (c *Config) UseSigstoreAttachments(scopes []string) bool {
	for _, s := range scopes {
		if ns, ok := c.Docker[s]; ok && ns.UseSigstoreAttachments != nil {
			return *ns.UseSigstoreAttachments
		}
	}
	if c.DefaultDocker != nil && c.DefaultDocker.UseSigstoreAttachments != nil {
		return *c.DefaultDocker.UseSigstoreAttachments
	}
	return false
}

func (ns Namespace) location(write bool) string {
	if write && ns.LookasideStaging != "" {
		return ns.LookasideStaging
	}
	return ns.Lookaside
}
