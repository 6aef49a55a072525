package store

import (
	"bytes"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func descriptorOf(raw []byte, mediaType string) image.Descriptor {
	return image.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(raw), Size: int64(len(raw))}
}

func isNotFound(err error) bool { return errdefs.IsNotFound(err) }
