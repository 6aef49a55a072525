package image

import (
	"runtime"
	"strings"
)

// DefaultPlatform is the platform of this machine.
func DefaultPlatform() Platform {
	return NormalizePlatform(Platform{OS: runtime.GOOS, Architecture: runtime.GOARCH})
}

// NormalizePlatform maps the spellings seen in the wild (x86_64, aarch64,
// armhf) to OCI's, and fills the variant where an architecture has a usual one.
func NormalizePlatform(p Platform) Platform {
	p.OS = strings.ToLower(p.OS)
	arch, variant := strings.ToLower(p.Architecture), strings.ToLower(p.Variant)
	switch arch {
	case "x86_64", "x86-64":
		arch = "amd64"
	case "aarch64":
		arch = "arm64"
	case "armhf":
		arch, variant = "arm", "v7"
	case "armel":
		arch, variant = "arm", "v6"
	case "i386", "i686":
		arch = "386"
	}
	switch arch {
	case "arm64":
		if variant == "8" {
			variant = "v8"
		}
	case "arm":
		if variant == "" {
			variant = "v7"
		} else if len(variant) == 1 {
			variant = "v" + variant
		}
	}
	p.Architecture, p.Variant = arch, variant
	return p
}

// MatchPlatform reports whether an image for have runs where want is asked.
// An empty variant on either side matches the architecture's default.
func MatchPlatform(want, have Platform) bool {
	w, h := NormalizePlatform(want), NormalizePlatform(have)
	if w.OS != h.OS || w.Architecture != h.Architecture {
		return false
	}
	return variantMatches(w, h)
}

func variantMatches(w, h Platform) bool {
	if w.Variant == h.Variant || w.Variant == "" {
		return true
	}
	if h.Variant == "" {
		// A manifest that omits the variant is the architecture's baseline.
		return (w.Architecture == "arm64" && w.Variant == "v8") || (w.Architecture == "amd64" && w.Variant == "v1")
	}
	return false
}

// ChooseInstance picks the manifest for want from an index. An exact
// variant match beats a variant-less one.
func ChooseInstance(idx *Index, want Platform) (Descriptor, error) {
	w := NormalizePlatform(want)
	best, found := -1, false
	for i, d := range idx.Manifests {
		if d.Platform == nil || !IsManifest(d.MediaType) {
			continue
		}
		if !MatchPlatform(w, *d.Platform) {
			continue
		}
		if !found || NormalizePlatform(*d.Platform).Variant == w.Variant {
			best, found = i, true
			if NormalizePlatform(*d.Platform).Variant == w.Variant {
				break
			}
		}
	}
	if !found {
		var have []string
		for _, d := range idx.Manifests {
			if d.Platform != nil {
				have = append(have, PlatformString(*d.Platform))
			}
		}
		return Descriptor{}, notFoundf("no image for platform %s in the index (it has: %s)", PlatformString(w), strings.Join(have, ", "))
	}
	return idx.Manifests[best], nil
}
