package trust

import (
	"testing"

	"github.com/distribution/reference"
)

const dgst = "sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7"

func TestIdentityMatchers(t *testing.T) {
	exact := &IdentityMatch{Type: MatchExact}
	rdoe := &IdentityMatch{Type: MatchRepoDigestOrExact}
	repo := &IdentityMatch{Type: MatchRepository}
	exRef := &IdentityMatch{Type: MatchExactReference, DockerReference: "example.com/a:1"}
	exRepo := &IdentityMatch{Type: MatchExactRepository, DockerRepository: "example.com/a"}
	remap := &IdentityMatch{Type: MatchRemapIdentity, Prefix: "example.com/mirror", SignedPrefix: "docker.io/library"}
	remapHost := &IdentityMatch{Type: MatchRemapIdentity, Prefix: "example.com:5000", SignedPrefix: "quay.io"}
	cases := []struct {
		m      *IdentityMatch
		image  string // "" for an image without a docker name
		signed string
		want   bool
	}{
		{exact, "example.com/a:1", "example.com/a:1", true},
		{exact, "example.com/a:1", "example.com/a:2", false},
		{exact, "example.com/a:1", "example.com/a", false},
		{exact, "example.com/a@" + dgst, "example.com/a@" + dgst, true},
		{exact, "example.com/a@" + dgst, "example.com/a:1", false},
		{exact, "busybox:latest", "busybox:latest", true},
		{exact, "busybox:latest", "docker.io/library/busybox:latest", true},
		{exact, "example.com/a:1", "not a reference!", false},
		{exact, "", "example.com/a:1", false},

		{rdoe, "example.com/a:1", "example.com/a:1", true},
		{rdoe, "example.com/a:1", "example.com/a:2", false},
		{rdoe, "example.com/a@" + dgst, "example.com/a:2", true},
		{rdoe, "example.com/a@" + dgst, "example.com/a@" + dgst, true},
		{rdoe, "example.com/a@" + dgst, "example.com/a", false},
		{rdoe, "example.com/a@" + dgst, "example.com/b:1", false},
		{rdoe, "", "example.com/a:1", false},

		{repo, "example.com/a:1", "example.com/a:2", true},
		{repo, "example.com/a:1", "example.com/a", true},
		{repo, "example.com/a@" + dgst, "example.com/a:x", true},
		{repo, "example.com/a:1", "example.com/b:1", false},
		{repo, "", "example.com/a:1", false},

		{exRef, "", "example.com/a:1", true},
		{exRef, "other.com/x:9", "example.com/a:1", true},
		{exRef, "", "example.com/a:2", false},
		{exRef, "", "example.com/a", false},

		{exRepo, "", "example.com/a:7", true},
		{exRepo, "", "example.com/a", true},
		{exRepo, "", "example.com/ab:7", false},

		{remap, "example.com/mirror/busybox:1", "docker.io/library/busybox:1", true},
		{remap, "example.com/mirror/busybox:1", "busybox:1", true},
		{remap, "example.com/mirror/busybox:1", "busybox:2", false},
		{remap, "example.com/mirror/busybox@" + dgst, "busybox:2", true},
		{remap, "example.com/mirrorx/busybox:1", "docker.io/library/busybox:1", false},
		{remap, "example.com/mirrorx/busybox:1", "example.com/mirrorx/busybox:1", true},
		{remapHost, "example.com:5000/ns/app:1", "quay.io/ns/app:1", true},
		{remapHost, "example.com:5000/ns/app:1", "example.com:5000/ns/app:1", false},
		{remap, "", "busybox:1", false},
	}
	for _, c := range cases {
		var img reference.Named
		if c.image != "" {
			img = newDockerRef(t, c.image).ref
		}
		if got := c.m.matches(img, c.signed); got != c.want {
			t.Errorf("%s: image %q, signed %q: got %v", c.m.Type, c.image, c.signed, got)
		}
	}
}
