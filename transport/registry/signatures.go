package registry

import (
	"context"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/transport"
)

func readSignatures(ctx context.Context, c *client, physical reference.Named, dg digest.Digest, opts *transport.Options) ([][]byte, error) {
	return nil, nil
}

func writeSignatures(ctx context.Context, physical reference.Named, dg digest.Digest, sigs [][]byte, opts *transport.Options) error {
	return nil
}
