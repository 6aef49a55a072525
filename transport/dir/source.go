package dir

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

type source struct {
	ref *Reference
}

func newSource(ref *Reference) (*source, error) {
	if _, err := os.Stat(filepath.Join(ref.path, "manifest.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no manifest.json (not an image directory): %w", ref, errdefs.ErrNotFound)
		}
		return nil, fmt.Errorf("%s: %w", ref, err)
	}
	return &source{ref: ref}, nil
}

func (s *source) Reference() transport.Reference { return s.ref }
func (s *source) Close() error                   { return nil }

func manifestName(instance digest.Digest) string {
	if instance == "" {
		return "manifest.json"
	}
	return instance.Encoded() + ".manifest.json"
}

func signatureName(instance digest.Digest, n int) string {
	if instance == "" {
		return "signature-" + strconv.Itoa(n)
	}
	return instance.Encoded() + ".signature-" + strconv.Itoa(n)
}

func (s *source) Manifest(ctx context.Context, instance digest.Digest) ([]byte, string, error) {
	p := filepath.Join(s.ref.path, manifestName(instance))
	raw, err := readLimited(p, image.MaxManifestSize)
	if err != nil {
		return nil, "", fmt.Errorf("%s: reading manifest: %w", s.ref, notFound(err))
	}
	if instance != "" && instance.Algorithm().FromBytes(raw) != instance {
		return nil, "", fmt.Errorf("%s: %s does not match its digest: %w", s.ref, p, errdefs.ErrInvalidArgument)
	}
	mt, err := image.DetectMediaType(raw, "")
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", s.ref, err)
	}
	return raw, mt, nil
}

func (s *source) Blob(ctx context.Context, desc image.Descriptor) (io.ReadCloser, int64, error) {
	if err := desc.Digest.Validate(); err != nil {
		return nil, 0, fmt.Errorf("%s: blob %q: %w", s.ref, desc.Digest, errdefs.ErrInvalidArgument)
	}
	f, err := os.Open(filepath.Join(s.ref.path, desc.Digest.Encoded()))
	if err != nil {
		return nil, 0, fmt.Errorf("%s: blob %s: %w", s.ref, desc.Digest, notFound(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, st.Size(), nil
}

func (s *source) Signatures(ctx context.Context, instance digest.Digest) ([][]byte, error) {
	var sigs [][]byte
	for n := 1; ; n++ {
		data, err := readLimited(filepath.Join(s.ref.path, signatureName(instance, n)), 4<<20)
		if errors.Is(err, fs.ErrNotExist) {
			return sigs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: signature %d: %w", s.ref, n, err)
		}
		sigs = append(sigs, data)
	}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is over %d bytes: %w", path, limit, errdefs.ErrInvalidArgument)
	}
	return data, nil
}

func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
	}
	return err
}
