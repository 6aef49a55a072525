// Package transport defines how ocid reads images from and writes images
// to a place: a registry, an OCI layout, a directory, an archive, the
// store. Each place is one implementation in a subpackage; package copy
// moves images between any two of them.
//
// The interfaces are small on purpose: a Source is a ManifestReader, a
// BlobReader and a SignatureReader; a Destination mirrors them. Optional
// capabilities (cross-repository mounts, deleting, listing tags) are
// separate interfaces found by type assertion.
package transport

import (
	"context"
	"io"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
)

// Reference names an image in one transport. It also satisfies the
// policy engine's view of an image name (package trust).
type Reference interface {
	// Transport is the transport's name as used in `NAME:REF` and in
	// policy.json: "docker", "oci", "oci-archive", "dir", "docker-archive", "store".
	Transport() string
	// StringWithinTransport is the part after `NAME:`.
	StringWithinTransport() string
	// DockerReference is the registry-style name the image carries, or nil.
	DockerReference() reference.Named
	// PolicyConfigurationIdentity and PolicyConfigurationNamespaces are
	// the policy.json scopes for this image, most specific first.
	PolicyConfigurationIdentity() string
	PolicyConfigurationNamespaces() []string

	NewSource(ctx context.Context, opts *Options) (Source, error)
	NewDestination(ctx context.Context, opts *Options) (Destination, error)
}

// ManifestReader reads manifests. instance is "" for the manifest the
// reference names (possibly an index), or the digest of an index entry.
type ManifestReader interface {
	Manifest(ctx context.Context, instance digest.Digest) (raw []byte, mediaType string, err error)
}

// BlobReader reads blobs. The reader yields the blob's bytes as stored;
// callers verify them against desc. size is -1 when unknown.
type BlobReader interface {
	Blob(ctx context.Context, desc image.Descriptor) (r io.ReadCloser, size int64, err error)
}

// SignatureReader reads the signatures stored for a manifest, each in its
// stored form (an OpenPGP message for simple signing, or 0x00 + format
// name + "\n" + data); package trust parses them.
type SignatureReader interface {
	Signatures(ctx context.Context, instance digest.Digest) ([][]byte, error)
}

// Source is an image to read.
type Source interface {
	Reference() Reference
	ManifestReader
	BlobReader
	SignatureReader
	io.Closer
}

// LayerCompression is what a destination wants done with layer blobs.
type LayerCompression int

const (
	// PreserveCompression stores layers as the source has them.
	PreserveCompression LayerCompression = iota
	// Compress stores layers compressed (uncompressed ones are gzipped).
	Compress
	// Decompress stores layers as plain tar (docker-archive).
	Decompress
)

// BlobWriter stores blobs.
type BlobWriter interface {
	// HasBlob reports whether the destination already holds desc, so the
	// copy can skip it.
	HasBlob(ctx context.Context, desc image.Descriptor) (bool, error)
	// PutBlob stores r. When desc.Digest is set, the bytes must match it
	// (and desc.Size when >= 0), or nothing is stored and the error wraps
	// errdefs.ErrInvalidArgument. It returns the stored blob's descriptor
	// (digest and size computed when they were not given).
	PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error)
}

// ManifestWriter stores manifests. instance is "" for the top-level
// manifest, or the digest of an instance of an index being copied.
type ManifestWriter interface {
	PutManifest(ctx context.Context, raw []byte, mediaType string, instance digest.Digest) error
}

// SignatureWriter stores signatures for a manifest (the whole list).
type SignatureWriter interface {
	PutSignatures(ctx context.Context, sigs [][]byte, instance digest.Digest) error
}

// Destination is a place to write one image (or index) to. Nothing it
// writes is visible under the reference until Commit returns; Close
// without Commit removes what was written.
type Destination interface {
	Reference() Reference
	// SupportedManifestTypes lists the manifest and index media types the
	// destination can store, preferred first; nil means any.
	SupportedManifestTypes() []string
	// DesiredLayerCompression says what to do with layer compression.
	DesiredLayerCompression() LayerCompression
	// AcceptsForeignLayers: if false, non-distributable layers are copied too.
	AcceptsForeignLayers() bool
	BlobWriter
	ManifestWriter
	SignatureWriter
	Commit(ctx context.Context) error
	io.Closer
}

// BlobMounter is implemented by destinations that can take a blob from
// another image in the same place without copying its bytes (a
// registry's cross-repository mount).
type BlobMounter interface {
	MountBlob(ctx context.Context, desc image.Descriptor, from Reference) (bool, error)
}

// Deleter is implemented by references whose images can be deleted.
type Deleter interface {
	DeleteImage(ctx context.Context, opts *Options) error
}

// TagLister is implemented by references whose repository can list tags.
type TagLister interface {
	ListTags(ctx context.Context, opts *Options) ([]string, error)
}

// Transport parses the references of one transport.
type Transport interface {
	// Name is the prefix before the colon: "docker", "oci", "dir", …
	Name() string
	// ParseReference parses what follows `NAME:`.
	ParseReference(s string) (Reference, error)
}

// SignatureReplacer is implemented by references whose signatures can be
// replaced in place, without copying the image (`ocid image sign`). sigs
// is the complete new list for the top-level manifest with digest dg.
type SignatureReplacer interface {
	ReplaceSignatures(ctx context.Context, opts *Options, dg digest.Digest, sigs [][]byte) error
}
