package trust

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/errdefs"
)

// ValidateScope checks a non-empty scope key of policy.json against its
// transport's naming (the "" scope is always valid):
//
//   - docker, and ocid's own store transport (whose images are named by
//     docker references): host[:port], host[:port]/path, optionally with
//     :tag or @digest (not both), or a wildcard "*.domain" without port.
//   - dir, oci, oci-archive: an absolute, clean path other than "/".
//   - docker-archive: no scopes at all, as in containers/image.
//
// Scopes of transports ocid does not implement (docker-daemon,
// containers-storage, …) are not validated, so a policy shared with
// podman or skopeo still loads; no ocid image can ever match them.
func ValidateScope(transport, scope string) error {
	if scope == "" {
		return nil
	}
	if err := scopeError(transport, scope); err != nil {
		return fmt.Errorf("%w: %w", err, errdefs.ErrInvalidArgument)
	}
	return nil
}

// scopeError is ValidateScope for a non-empty scope, without the errdefs
// wrapping (the policy parser words its own errors).
func scopeError(transport, scope string) error {
	switch transport {
	case "docker", "store":
		return validateDockerScope(scope)
	case "dir", "oci", "oci-archive":
		return validatePathScope(scope)
	case "docker-archive":
		return errors.New(`docker-archive: does not support any scopes except the default "" one`)
	}
	return nil
}

var wildcardScope = regexp.MustCompile(`^\*\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$`)

func validateDockerScope(scope string) error {
	if scope[0] == '*' {
		if !wildcardScope.MatchString(scope) {
			return fmt.Errorf("invalid wildcard scope %q: expected *.domain without a port", scope)
		}
		return nil
	}
	if anchoredDomain.MatchString(scope) {
		return nil
	}
	m := reference.ReferenceRegexp.FindStringSubmatch(scope)
	if m == nil {
		return fmt.Errorf("invalid docker scope %q: expected host[:port][/path][:tag|@digest]", scope)
	}
	if m[2] != "" && m[3] != "" {
		return fmt.Errorf("invalid docker scope %q: a tag and a digest together never match an image", scope)
	}
	if len(m[1]) > 255 {
		return fmt.Errorf("invalid docker scope %q: repository name longer than 255 characters", scope)
	}
	return nil
}

func validatePathScope(scope string) error {
	if !filepath.IsAbs(scope) {
		return fmt.Errorf("invalid scope %q: must be an absolute path", scope)
	}
	if scope == "/" {
		return errors.New(`invalid scope "/": use the default scope ""`)
	}
	if c := filepath.Clean(scope); c != scope {
		return fmt.Errorf("invalid scope %q: not in canonical form, perhaps %s", scope, c)
	}
	return nil
}
