package image

import "strings"

// Media types ocid reads and writes. Docker schema 1 is recognised only to
// refuse it with a clear message.
const (
	MediaTypeOCIManifest  = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex     = "application/vnd.oci.image.index.v1+json"
	MediaTypeOCIConfig    = "application/vnd.oci.image.config.v1+json"
	MediaTypeOCILayer     = "application/vnd.oci.image.layer.v1.tar"
	MediaTypeOCILayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaTypeOCILayerZstd = "application/vnd.oci.image.layer.v1.tar+zstd"
	// Non-distributable layers (deprecated in image-spec 1.1, still seen).
	MediaTypeOCIForeignLayer     = "application/vnd.oci.image.layer.nondistributable.v1.tar"
	MediaTypeOCIForeignLayerGzip = "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"
	MediaTypeOCIForeignLayerZstd = "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd"
	MediaTypeOCIEmptyJSON        = "application/vnd.oci.empty.v1+json"

	MediaTypeDockerManifest          = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerManifestList      = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaTypeDockerConfig            = "application/vnd.docker.container.image.v1+json"
	MediaTypeDockerLayer             = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaTypeDockerLayerUncompressed = "application/vnd.docker.image.rootfs.diff.tar"
	MediaTypeDockerForeignLayer      = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaTypeDockerSchema1           = "application/vnd.docker.distribution.manifest.v1+json"
	MediaTypeDockerSchema1Signed     = "application/vnd.docker.distribution.manifest.v1+prettyjws"
)

// Format is a manifest family: OCI or Docker schema 2.
type Format int

const (
	FormatUnknown Format = iota
	FormatOCI
	FormatDocker
)

func (f Format) String() string {
	switch f {
	case FormatOCI:
		return "oci"
	case FormatDocker:
		return "v2s2"
	}
	return "unknown"
}

// ParseFormat accepts the names the CLI uses (`oci`, `v2s2`, as skopeo).
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "oci":
		return FormatOCI, nil
	case "v2s2", "docker":
		return FormatDocker, nil
	}
	return FormatUnknown, invalidf("unknown manifest format %q (want oci or v2s2)", s)
}

// ManifestMediaType is the single-image manifest media type of a format.
func (f Format) ManifestMediaType() string {
	if f == FormatDocker {
		return MediaTypeDockerManifest
	}
	return MediaTypeOCIManifest
}

// IndexMediaType is the multi-platform index media type of a format.
func (f Format) IndexMediaType() string {
	if f == FormatDocker {
		return MediaTypeDockerManifestList
	}
	return MediaTypeOCIIndex
}

// FormatOf tells which family a manifest or index media type belongs to.
func FormatOf(mediaType string) Format {
	switch mediaType {
	case MediaTypeOCIManifest, MediaTypeOCIIndex:
		return FormatOCI
	case MediaTypeDockerManifest, MediaTypeDockerManifestList:
		return FormatDocker
	}
	return FormatUnknown
}

// IsIndex reports whether mediaType names a multi-platform index.
func IsIndex(mediaType string) bool {
	return mediaType == MediaTypeOCIIndex || mediaType == MediaTypeDockerManifestList
}

// IsManifest reports whether mediaType names a single-image manifest ocid supports.
func IsManifest(mediaType string) bool {
	return mediaType == MediaTypeOCIManifest || mediaType == MediaTypeDockerManifest
}

// SupportedManifestTypes are the Accept values ocid sends to registries,
// preferred first.
var SupportedManifestTypes = []string{
	MediaTypeOCIIndex,
	MediaTypeDockerManifestList,
	MediaTypeOCIManifest,
	MediaTypeDockerManifest,
}

// Compression of a layer blob.
type Compression int

const (
	Uncompressed Compression = iota
	Gzip
	Zstd
)

func (c Compression) String() string {
	switch c {
	case Gzip:
		return "gzip"
	case Zstd:
		return "zstd"
	}
	return "none"
}

// ParseCompression accepts gzip, zstd and none/uncompressed.
func ParseCompression(s string) (Compression, error) {
	switch strings.ToLower(s) {
	case "gzip":
		return Gzip, nil
	case "zstd":
		return Zstd, nil
	case "none", "uncompressed":
		return Uncompressed, nil
	}
	return Uncompressed, invalidf("unknown compression %q (want gzip, zstd or none)", s)
}

// IsLayer reports whether mediaType is a layer media type ocid knows.
func IsLayer(mediaType string) bool {
	_, ok := layerTypes[mediaType]
	return ok
}

// IsForeignLayer reports whether a layer is marked non-distributable.
func IsForeignLayer(mediaType string) bool {
	return layerTypes[mediaType].foreign
}

// LayerCompression tells the compression a layer media type declares.
func LayerCompression(mediaType string) (Compression, bool) {
	lt, ok := layerTypes[mediaType]
	return lt.compression, ok
}

type layerType struct {
	format      Format
	compression Compression
	foreign     bool
}

var layerTypes = map[string]layerType{
	MediaTypeOCILayer:                {FormatOCI, Uncompressed, false},
	MediaTypeOCILayerGzip:            {FormatOCI, Gzip, false},
	MediaTypeOCILayerZstd:            {FormatOCI, Zstd, false},
	MediaTypeOCIForeignLayer:         {FormatOCI, Uncompressed, true},
	MediaTypeOCIForeignLayerGzip:     {FormatOCI, Gzip, true},
	MediaTypeOCIForeignLayerZstd:     {FormatOCI, Zstd, true},
	MediaTypeDockerLayer:             {FormatDocker, Gzip, false},
	MediaTypeDockerLayerUncompressed: {FormatDocker, Uncompressed, false},
	MediaTypeDockerForeignLayer:      {FormatDocker, Gzip, true},
}

// LayerMediaType is the media type for a layer of the given format,
// compression and distributability. Docker schema 2 has no zstd type.
func LayerMediaType(f Format, c Compression, foreign bool) (string, error) {
	for mt, lt := range layerTypes {
		if lt.format == f && lt.compression == c && lt.foreign == foreign {
			return mt, nil
		}
	}
	return "", invalidf("no %s layer media type for %s compression", f, c)
}

// ConfigMediaType is the image config media type of a format.
func ConfigMediaType(f Format) string {
	if f == FormatDocker {
		return MediaTypeDockerConfig
	}
	return MediaTypeOCIConfig
}

// LayerFormat tells which manifest family a layer media type belongs to
// (FormatUnknown for non-layer types).
func LayerFormat(mediaType string) Format {
	return layerTypes[mediaType].format
}
