package store

import (
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Image is a stored image as the database records it.
type Image struct {
	// ID is the config digest, as docker and the CRI name images.
	ID digest.Digest `json:"id"`
	// Names are fully qualified references with a tag
	// (docker.io/library/busybox:latest); a name belongs to one image.
	Names []string `json:"names,omitempty"`
	// Digests are the manifest digests the image was stored under.
	Digests []digest.Digest `json:"digests"`
	// Manifest is the digest and media type of the stored manifest.
	Manifest     digest.Digest `json:"manifest"`
	ManifestType string        `json:"manifestType"`
	// Layers are the diffIDs, bottom first.
	Layers []digest.Digest `json:"layers"`
	// Size is the logical size: the bytes of the files of its checkout.
	Size    int64     `json:"size"`
	Created time.Time `json:"created,omitempty"`
	Stored  time.Time `json:"stored"`
	// ReadOnlyStore is the root of the additional store holding it, or
	// "" for the node's own store (not persisted).
	ReadOnlyStore string `json:"-"`
}

// layerRecord is a committed layer.
type layerRecord struct {
	DiffID digest.Digest `json:"diffID"`
	// Size is the uncompressed tar's size; Files its regular files.
	Size  int64 `json:"size"`
	Files int   `json:"files"`
	// Blobs are the compressed digests this layer arrived as.
	Blobs []digest.Digest `json:"blobs,omitempty"`
}

// Container is a container's root filesystem as the store knows it.
type Container struct {
	ID      string        `json:"id"`
	Name    string        `json:"name,omitempty"`
	ImageID digest.Digest `json:"image"`
	// Overlay is true when the root is overlayfs over the checkout,
	// false for a read-only bind mount of the checkout.
	Overlay  bool      `json:"overlay"`
	ReadOnly bool      `json:"readOnly"`
	Created  time.Time `json:"created"`
	// ImageStore is the root of the store holding the image ("" = this one).
	ImageStore string `json:"imageStore,omitempty"`
	// Volatile: the overlay is mounted with "volatile" (see
	// ContainerOptions.Volatile).
	Volatile bool `json:"volatile,omitempty"`
	// IDMap: the root is mounted ID-mapped into a user namespace.
	IDMap *IDMap `json:"idmap,omitempty"`
}
