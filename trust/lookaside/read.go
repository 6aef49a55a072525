package lookaside

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

// Limits that keep a hostile lookaside server from exhausting memory or
// looping forever; real images have a handful of small signatures.
const (
	// MaxSignatureSize equals containers/image's limit on one signature.
	MaxSignatureSize = 4 << 20
	// MaxSignatures bounds how many signature-N files one manifest may have.
	MaxSignatures = 128
)

// ReadSignatures fetches signatures 1, 2, … of the manifest with digest d
// from the lookaside at base, stopping at the first missing one (file:
// ENOENT, http(s): 404). Any other failure is an error naming the URL:
// a signature that exists but cannot be read must not silently vanish.
// The blobs are returned raw; the caller recognizes their format.
// client is used for http(s) URLs (http.DefaultClient when nil).
func ReadSignatures(ctx context.Context, client *http.Client, base *url.URL, repoPath string, d digest.Digest) ([][]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	var res [][]byte
	for n := 1; ; n++ {
		if n > MaxSignatures {
			return nil, fmt.Errorf("lookaside %s: more than %d signatures: %w", base.Redacted(), MaxSignatures, errdefs.ErrInvalidArgument)
		}
		u, err := SignatureURL(base, repoPath, d, n)
		if err != nil {
			return nil, err
		}
		blob, missing, err := readOne(ctx, client, u)
		if err != nil {
			return nil, err
		}
		if missing {
			return res, nil
		}
		res = append(res, blob)
	}
}

func readOne(ctx context.Context, client *http.Client, u *url.URL) ([]byte, bool, error) {
	switch u.Scheme {
	case "file":
		f, err := os.Open(u.Path)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, true, nil
			}
			return nil, false, fmt.Errorf("reading signature %s: %w", u.Path, err)
		}
		defer f.Close()
		blob, err := readLimited(f)
		if err != nil {
			return nil, false, fmt.Errorf("reading signature %s: %w", u.Path, err)
		}
		return blob, false, nil
	case "http", "https":
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return nil, false, fmt.Errorf("reading signature %s: %w", u.Redacted(), err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return nil, false, fmt.Errorf("reading signature %s: %w: %w", u.Redacted(), err, errdefs.ErrUnavailable)
		}
		defer resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusNotFound:
			return nil, true, nil
		case resp.StatusCode != http.StatusOK:
			err := fmt.Errorf("reading signature %s: status %d (%s)", u.Redacted(), resp.StatusCode, http.StatusText(resp.StatusCode))
			if resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests {
				err = fmt.Errorf("%w: %w", err, errdefs.ErrUnavailable)
			}
			return nil, false, err
		}
		blob, err := readLimited(resp.Body)
		if err != nil {
			return nil, false, fmt.Errorf("reading signature %s: %w", u.Redacted(), err)
		}
		return blob, false, nil
	default:
		return nil, false, fmt.Errorf("reading signature %s: unsupported URL scheme %q: %w", u.Redacted(), u.Scheme, errdefs.ErrInvalidArgument)
	}
}

func readLimited(r io.Reader) ([]byte, error) {
	blob, err := io.ReadAll(io.LimitReader(r, MaxSignatureSize+1))
	if err != nil {
		return nil, err
	}
	if len(blob) > MaxSignatureSize {
		return nil, fmt.Errorf("signature larger than %d bytes: %w", MaxSignatureSize, errdefs.ErrInvalidArgument)
	}
	return blob, nil
}
