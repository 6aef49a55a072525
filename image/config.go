package image

import (
	"fmt"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Config is an image configuration. OCI and Docker configs share the
// fields ocid uses; Docker's extra fields (container_config, …) are kept in
// the raw blob and ignored here.
type Config struct {
	ocispec.Image
}

// ParseConfig parses and validates an image config blob.
func ParseConfig(raw []byte) (*Config, error) {
	var c Config
	if err := decodeStrictEnough(raw, &c); err != nil {
		return nil, invalidf("image config: %v", err)
	}
	if c.RootFS.Type != "layers" {
		return nil, invalidf("image config: rootfs.type is %q, want \"layers\"", c.RootFS.Type)
	}
	for i, d := range c.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			return nil, invalidf("image config: rootfs.diff_ids[%d] %q: %v", i, d, err)
		}
	}
	return &c, nil
}

// CheckLayers verifies that a manifest and its config agree on the number
// of layers, so a mismatched pair is refused before anything is unpacked.
func (c *Config) CheckLayers(m *Manifest) error {
	if len(c.RootFS.DiffIDs) != len(m.Layers) {
		return invalidf("image config lists %d layers (diff_ids) but the manifest has %d", len(c.RootFS.DiffIDs), len(m.Layers))
	}
	return nil
}

// PlatformString renders os/arch[/variant] as people write it.
func PlatformString(p Platform) string {
	s := fmt.Sprintf("%s/%s", p.OS, p.Architecture)
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}
