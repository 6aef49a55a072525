package dir

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/transport"
)

// ReplaceSignatures writes signature-1…K of manifest.json (each file
// atomically) and removes any signature-K+1… left from a longer list.
func (r *Reference) ReplaceSignatures(ctx context.Context, opts *transport.Options, dg digest.Digest, sigs [][]byte) error {
	raw, err := os.ReadFile(filepath.Join(r.path, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%s: %w", r, notFound(err))
	}
	if digest.FromBytes(raw) != dg && dg.Algorithm().FromBytes(raw) != dg {
		return fmt.Errorf("%s: the manifest changed (now %s, signing %s): %w", r, digest.FromBytes(raw), dg, errdefs.ErrPrecondition)
	}
	for i, s := range sigs {
		if err := fsutil.WriteFileAtomic(filepath.Join(r.path, signatureName("", i+1)), s, 0o644); err != nil {
			return err
		}
	}
	for n := len(sigs) + 1; ; n++ {
		err := os.Remove(filepath.Join(r.path, signatureName("", n)))
		if os.IsNotExist(err) {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
