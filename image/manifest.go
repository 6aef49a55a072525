package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// Descriptor and Platform are the OCI types; Docker schema 2 uses the same
// JSON shape, so one type serves both families.
type (
	Descriptor = ocispec.Descriptor
	Platform   = ocispec.Platform
)

// MaxManifestSize bounds what ocid reads as a manifest or config, so a
// hostile peer cannot make it buffer gigabytes (registries cap at 4 MiB).
const MaxManifestSize = 4 << 20

// Manifest is a single-image manifest, OCI or Docker schema 2.
type Manifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Config        Descriptor        `json:"config"`
	Layers        []Descriptor      `json:"layers"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// Index is a multi-platform index: an OCI image index or a Docker manifest list.
type Index struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType,omitempty"`
	ArtifactType  string            `json:"artifactType,omitempty"`
	Manifests     []Descriptor      `json:"manifests"`
	Subject       *Descriptor       `json:"subject,omitempty"`
	Annotations   map[string]string `json:"annotations,omitempty"`
}

// DetectMediaType returns the media type of a manifest or index. declared
// is what the transport said (a Content-Type, an index descriptor); it may
// be empty. When both the transport and the document name a type they must
// agree: a disagreement is how a confused or hostile server shows itself.
func DetectMediaType(raw []byte, declared string) (string, error) {
	if len(raw) > MaxManifestSize {
		return "", invalidf("manifest is %d bytes, over the %d byte limit", len(raw), MaxManifestSize)
	}
	var probe struct {
		SchemaVersion *int            `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Config        json.RawMessage `json:"config"`
		Layers        json.RawMessage `json:"layers"`
		Manifests     json.RawMessage `json:"manifests"`
		FSLayers      json.RawMessage `json:"fsLayers"`
		Signatures    json.RawMessage `json:"signatures"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return "", invalidf("manifest is not valid JSON: %v", err)
	}
	declared = normalizeContentType(declared)
	if probe.SchemaVersion != nil && *probe.SchemaVersion == 1 || probe.FSLayers != nil {
		return "", invalidf("docker schema 1 manifests are not supported (deprecated); re-push the image with a current client")
	}
	inDoc := probe.MediaType
	if inDoc == "" {
		switch {
		case probe.Manifests != nil:
			inDoc = MediaTypeOCIIndex
		case probe.Config != nil || probe.Layers != nil:
			inDoc = MediaTypeOCIManifest
		}
	}
	switch {
	case declared == "" || declared == "application/json" || declared == "text/plain" || declared == "application/octet-stream":
		if inDoc == "" {
			return "", invalidf("cannot tell the manifest's media type: it has no mediaType, config, layers or manifests")
		}
		return inDoc, nil
	case probe.MediaType != "" && probe.MediaType != declared:
		return "", invalidf("manifest declares media type %q but was served as %q", probe.MediaType, declared)
	}
	return declared, nil
}

func normalizeContentType(ct string) string {
	if i := bytes.IndexByte([]byte(ct), ';'); i >= 0 {
		ct = ct[:i]
	}
	return string(bytes.TrimSpace([]byte(ct)))
}

// ParseManifest parses and validates a single-image manifest of the given
// media type (as returned by DetectMediaType).
func ParseManifest(raw []byte, mediaType string) (*Manifest, error) {
	if !IsManifest(mediaType) {
		return nil, invalidf("media type %q is not an image manifest", mediaType)
	}
	var m Manifest
	if err := decodeStrictEnough(raw, &m); err != nil {
		return nil, invalidf("manifest: %v", err)
	}
	if m.SchemaVersion != 2 {
		return nil, invalidf("manifest: schemaVersion is %d, want 2", m.SchemaVersion)
	}
	if m.MediaType != "" && m.MediaType != mediaType {
		return nil, invalidf("manifest: mediaType %q does not match %q", m.MediaType, mediaType)
	}
	if mediaType == MediaTypeDockerManifest && m.MediaType == "" {
		return nil, invalidf("docker schema 2 manifest has no mediaType field")
	}
	if err := validateDescriptor(m.Config, "config"); err != nil {
		return nil, err
	}
	for i, l := range m.Layers {
		if err := validateDescriptor(l, fmt.Sprintf("layers[%d]", i)); err != nil {
			return nil, err
		}
	}
	if m.Subject != nil {
		if err := validateDescriptor(*m.Subject, "subject"); err != nil {
			return nil, err
		}
	}
	if m.MediaType == "" {
		m.MediaType = mediaType
	}
	return &m, nil
}

// ParseIndex parses and validates an OCI index or Docker manifest list.
func ParseIndex(raw []byte, mediaType string) (*Index, error) {
	if !IsIndex(mediaType) {
		return nil, invalidf("media type %q is not an image index", mediaType)
	}
	var idx Index
	if err := decodeStrictEnough(raw, &idx); err != nil {
		return nil, invalidf("index: %v", err)
	}
	if idx.SchemaVersion != 2 {
		return nil, invalidf("index: schemaVersion is %d, want 2", idx.SchemaVersion)
	}
	if idx.MediaType != "" && idx.MediaType != mediaType {
		return nil, invalidf("index: mediaType %q does not match %q", idx.MediaType, mediaType)
	}
	for i, d := range idx.Manifests {
		if err := validateDescriptor(d, fmt.Sprintf("manifests[%d]", i)); err != nil {
			return nil, err
		}
	}
	if idx.MediaType == "" {
		idx.MediaType = mediaType
	}
	return &idx, nil
}

// decodeStrictEnough decodes one JSON value and refuses trailing data.
// Unknown fields are allowed: registries and tools add their own.
func decodeStrictEnough(raw []byte, v any) error {
	if len(raw) > MaxManifestSize {
		return fmt.Errorf("%d bytes, over the %d byte limit", len(raw), MaxManifestSize)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON document")
	}
	return nil
}

func validateDescriptor(d Descriptor, where string) error {
	if d.MediaType == "" {
		return invalidf("%s: descriptor has no mediaType", where)
	}
	if err := d.Digest.Validate(); err != nil {
		return invalidf("%s: digest %q: %v", where, d.Digest, err)
	}
	if d.Size < 0 {
		return invalidf("%s: negative size %d", where, d.Size)
	}
	return nil
}

// Marshal encodes a manifest the way ocid writes new manifests: compact,
// with the field order of the format's reference implementation, so a
// conversion gives the same bytes (and digest) as skopeo's.
func (m *Manifest) Marshal() ([]byte, error) {
	if FormatOf(m.MediaType) != FormatDocker {
		return json.Marshal(m)
	}
	dm := dockerManifest{SchemaVersion: m.SchemaVersion, MediaType: m.MediaType, Config: toDocker(m.Config), Layers: []dockerDescriptor{}}
	for _, l := range m.Layers {
		dm.Layers = append(dm.Layers, toDocker(l))
	}
	return json.Marshal(dm)
}

// Marshal encodes an index the way ocid writes new indexes.
func (idx *Index) Marshal() ([]byte, error) {
	if FormatOf(idx.MediaType) != FormatDocker {
		return json.Marshal(idx)
	}
	dl := dockerList{SchemaVersion: idx.SchemaVersion, MediaType: idx.MediaType, Manifests: []dockerDescriptor{}}
	for _, d := range idx.Manifests {
		dl.Manifests = append(dl.Manifests, toDocker(d))
	}
	return json.Marshal(dl)
}

// Docker schema 2 puts size before digest.
type dockerDescriptor struct {
	MediaType   string            `json:"mediaType"`
	Size        int64             `json:"size"`
	Digest      digest.Digest     `json:"digest"`
	URLs        []string          `json:"urls,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *Platform         `json:"platform,omitempty"`
}

type dockerManifest struct {
	SchemaVersion int                `json:"schemaVersion"`
	MediaType     string             `json:"mediaType"`
	Config        dockerDescriptor   `json:"config"`
	Layers        []dockerDescriptor `json:"layers"`
}

type dockerList struct {
	SchemaVersion int                `json:"schemaVersion"`
	MediaType     string             `json:"mediaType"`
	Manifests     []dockerDescriptor `json:"manifests"`
}

func toDocker(d Descriptor) dockerDescriptor {
	return dockerDescriptor{MediaType: d.MediaType, Size: d.Size, Digest: d.Digest, URLs: d.URLs, Annotations: d.Annotations, Platform: d.Platform}
}

// Digest is the canonical digest of raw manifest bytes.
func Digest(raw []byte) digest.Digest { return digest.FromBytes(raw) }
