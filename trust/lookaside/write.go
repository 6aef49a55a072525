package lookaside

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

// WriteSignatures stores blobs as the complete signature list of the
// manifest with digest d: signature-1 … signature-K, then removes
// signature-K+1, K+2, … so no stale signature survives from a longer
// list. Only file: lookasides can be written. Directories are made 0755,
// files 0644, each file written to a temporary name, synced and renamed
// so readers never see a partial signature.
func WriteSignatures(base *url.URL, repoPath string, d digest.Digest, blobs [][]byte) error {
	if base.Scheme != "file" {
		return fmt.Errorf("writing signatures to %s: only file: lookasides can be written: %w", base.Redacted(), errdefs.ErrInvalidArgument)
	}
	for i, blob := range blobs {
		u, err := SignatureURL(base, repoPath, d, i+1)
		if err != nil {
			return err
		}
		if err := writeAtomic(u.Path, blob); err != nil {
			return fmt.Errorf("writing signature %s: %w", u.Path, err)
		}
	}
	for n := len(blobs) + 1; ; n++ {
		u, err := SignatureURL(base, repoPath, d, n)
		if err != nil {
			return err
		}
		if err := os.Remove(u.Path); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return fmt.Errorf("removing stale signature %s: %w", u.Path, err)
		}
	}
}

func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".signature-*.tmp")
	if err != nil {
		return err
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return err
	}
	// CreateTemp makes 0600; signatures are public data meant to be served.
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	ok = true
	if d, err := os.Open(dir); err == nil { // persist the rename
		_ = d.Sync()
		d.Close()
	}
	return nil
}
