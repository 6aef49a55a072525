package trust

import (
	"strings"

	"github.com/distribution/reference"
)

// matches reports whether a signature claiming the docker reference
// signed is acceptable for an image known as image (nil when the image
// has no docker name, e.g. dir:; then only exactReference and
// exactRepository, which ignore the image, can match).
func (m *IdentityMatch) matches(image reference.Named, signed string) bool {
	switch m.Type {
	case MatchExactReference:
		want, err1 := reference.ParseNormalizedNamed(m.DockerReference)
		got, err2 := reference.ParseNormalizedNamed(signed)
		if err1 != nil || err2 != nil || reference.IsNameOnly(want) || reference.IsNameOnly(got) {
			return false
		}
		return got.String() == want.String()
	case MatchExactRepository:
		want, err1 := reference.ParseNormalizedNamed(m.DockerRepository)
		got, err2 := reference.ParseNormalizedNamed(signed)
		return err1 == nil && err2 == nil && got.Name() == want.Name()
	}
	if image == nil {
		return false
	}
	got, err := reference.ParseNormalizedNamed(signed)
	if err != nil {
		return false
	}
	switch m.Type {
	case MatchExact:
		return !reference.IsNameOnly(image) && !reference.IsNameOnly(got) && got.String() == image.String()
	case MatchRepoDigestOrExact:
		return repoDigestOrExact(image, got)
	case MatchRepository:
		return got.Name() == image.Name()
	case MatchRemapIdentity:
		remapped, ok := m.remap(image)
		return ok && repoDigestOrExact(remapped, got)
	}
	return false
}

// repoDigestOrExact: the signature must name a tag or digest; an image
// pulled by tag needs the same reference, an image pulled by digest only
// the same repository (the digest itself is checked separately).
func repoDigestOrExact(image, signed reference.Named) bool {
	if reference.IsNameOnly(signed) {
		return false
	}
	switch image.(type) {
	case reference.NamedTagged: // also when the image has a tag and a digest
		return signed.String() == image.String()
	case reference.Canonical:
		return signed.Name() == image.Name()
	default:
		return false
	}
}

// remap rewrites image's name when it equals Prefix or continues it with
// "/", replacing that part by SignedPrefix. A name outside the prefix is
// returned unchanged; a rewrite that is not a valid reference fails.
func (m *IdentityMatch) remap(image reference.Named) (reference.Named, bool) {
	name := image.Name()
	if name != m.Prefix && !strings.HasPrefix(name, m.Prefix+"/") {
		return image, true
	}
	rewritten := m.SignedPrefix + strings.TrimPrefix(image.String(), m.Prefix)
	ref, err := reference.ParseNamed(rewritten)
	if err != nil {
		return nil, false
	}
	return ref, true
}

// defaultIdentity is what a requirement without signedIdentity uses.
var defaultIdentity = &IdentityMatch{Type: MatchRepoDigestOrExact}

func (r *Requirement) identity() *IdentityMatch {
	if r.SignedIdentity == nil {
		return defaultIdentity
	}
	return r.SignedIdentity
}
