package lookaside

import (
	"fmt"
	"net/url"
	"path"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

// SignatureURL is the location of signature n (counting from 1) of the
// manifest with digest d in repository repoPath (the reference's path
// without host, tag or digest, e.g. "library/busybox"):
// base.Path + "/" + repoPath + "@" + algo + "=" + hex + "/signature-" + n.
// The host is not part of the path.
func SignatureURL(base *url.URL, repoPath string, d digest.Digest, n int) (*url.URL, error) {
	if n < 1 {
		return nil, fmt.Errorf("signature index %d: counting starts at 1: %w", n, errdefs.ErrInvalidArgument)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("lookaside: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	// Docker reference paths cannot hold "." or ".." components; refuse
	// them anyway, since the result may become a file path.
	if repoPath == "" || path.Clean(repoPath) != repoPath || strings.HasPrefix(repoPath, "/") || strings.HasPrefix(repoPath, "..") {
		return nil, fmt.Errorf("lookaside: unexpected repository path %q: %w", repoPath, errdefs.ErrInvalidArgument)
	}
	u := *base
	u.RawPath = "" // Path is authoritative; a stale RawPath would be ignored anyway
	u.Path = fmt.Sprintf("%s/%s@%s=%s/signature-%d", base.Path, repoPath, d.Algorithm(), d.Encoded(), n)
	return &u, nil
}
