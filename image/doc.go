// Package image holds the pure data of container images: names
// (references), media types, manifests, indexes, configs and platform
// choice. It does no I/O and imports nothing of ocid's but errdefs, so every
// other package can depend on it.
package image
