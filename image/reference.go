package image

import (
	"strings"

	"github.com/distribution/reference"
)

// ParseDockerReference parses a registry image name as people write it
// (`busybox`, `quay.io/ns/app:1`, `host:5000/app@sha256:…`) and returns it
// fully qualified (`docker.io/library/busybox`). A name with both a tag and
// a digest is refused, as skopeo does: which one should win is ambiguous.
func ParseDockerReference(s string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(s)
	if err != nil {
		return nil, invalidf("invalid image reference %q: %v", s, err)
	}
	_, tagged := named.(reference.Tagged)
	_, digested := named.(reference.Digested)
	if tagged && digested {
		return nil, invalidf("image reference %q has both a tag and a digest; use one", s)
	}
	return named, nil
}

// WithDefaultTag adds `:latest` to a name that has neither tag nor digest.
func WithDefaultTag(named reference.Named) reference.Named {
	return reference.TagNameOnly(named)
}

// IsShortName reports whether s names an image without a registry host
// (`busybox`, `library/busybox`), so registries.conf search applies.
func IsShortName(s string) bool {
	i := strings.IndexRune(s, '/')
	if i == -1 {
		return true
	}
	host := s[:i]
	return !strings.ContainsAny(host, ".:") && host != "localhost"
}

// PolicyIdentity is the most specific policy.json scope for a registry
// reference: the full name with its tag or digest.
func PolicyIdentity(named reference.Named) string {
	return named.String()
}

// PolicyNamespaces lists the policy.json scopes that match a registry
// reference after PolicyIdentity, from most to least specific (see
// NameNamespaces).
func PolicyNamespaces(named reference.Named) []string {
	return NameNamespaces(named.Name())
}

// NameNamespaces lists the scopes of a repository name
// (host[:port]/path): the name, each parent namespace, the host (with its
// port if any), then the host's wildcard domains (a.b.c → *.b.c, *.c).
// The wildcard forms drop the port, so a port-less host scope never
// matches a host with a port.
func NameNamespaces(name string) []string {
	var scopes []string
	for {
		scopes = append(scopes, name)
		i := strings.LastIndex(name, "/")
		if i == -1 {
			break
		}
		name = name[:i]
	}
	host := name
	if i := strings.Index(host, ":"); i != -1 {
		host = host[:i]
	}
	for {
		i := strings.Index(host, ".")
		if i == -1 {
			break
		}
		host = host[i+1:]
		scopes = append(scopes, "*."+host)
	}
	return scopes
}

// PathNamespaces are the policy scopes of a file-system image identity:
// each parent directory, most specific first, up to but excluding "/"
// (the transport's "" scope plays that role).
func PathNamespaces(identity string) []string {
	var res []string
	for {
		i := strings.LastIndex(identity, "/")
		if i <= 0 {
			return res
		}
		identity = identity[:i]
		res = append(res, identity)
	}
}
