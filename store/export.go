package store

import (
	"context"
	"fmt"
	"io"
	"os"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
)

// storeOf returns the store (this one or an additional one) holding img.
func (s *Store) storeOf(img *Image) *Store {
	for _, add := range s.additional {
		if add.root == img.ReadOnlyStore {
			return add
		}
	}
	return s
}

// OpenLayerBlob opens a kept compressed layer blob, if the store has it.
func (s *Store) OpenLayerBlob(img *Image, blob digest.Digest) (io.ReadCloser, int64, error) {
	f, err := os.Open(s.storeOf(img).blobPath(blob))
	if err != nil {
		return nil, 0, notFound(err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

// ExportLayer rebuilds a layer's uncompressed tar byte for byte (its
// digest is the diffID) from the recorded headers and the file objects.
func (s *Store) ExportLayer(ctx context.Context, img *Image, diffID digest.Digest) (io.ReadCloser, int64, error) {
	st := s.storeOf(img)
	l, err := st.loadLayer(diffID)
	if err != nil {
		return nil, 0, err
	}
	rc, err := layer.Export(ctx, l, st.objs)
	if err != nil {
		return nil, 0, fmt.Errorf("exporting layer %s: %w", diffID, err)
	}
	return rc, l.Size(), nil
}

// LayerSize is the uncompressed size of a committed layer.
func (s *Store) LayerSize(img *Image, diffID digest.Digest) (int64, error) {
	var rec layerRecord
	err := s.storeOf(img).db.view(func(tx *bolt.Tx) error {
		ok, err := getJSON(tx.Bucket(bucketLayers), []byte(diffID), &rec)
		if err == nil && !ok {
			err = fmt.Errorf("layer %s: %w", diffID, errdefs.ErrNotFound)
		}
		return err
	})
	return rec.Size, err
}

// ImageBlob reads a manifest or config blob of img from its store.
func (s *Store) ImageBlob(img *Image, d digest.Digest) ([]byte, error) {
	return s.storeOf(img).ReadBlob(d)
}

// ImageSignatures reads the stored signatures of img's manifest.
func (s *Store) ImageSignatures(img *Image) ([][]byte, error) {
	return s.storeOf(img).Signatures(img.Manifest)
}

// CheckoutPath is the directory of img's checkout (read-only by contract).
func (s *Store) CheckoutPath(img *Image) string {
	return s.storeOf(img).checkoutDir(img.ID)
}
