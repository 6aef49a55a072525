// Package verify checks streamed bytes against an expected digest and
// size. The check happens at EOF: a reader that does not match returns an
// error instead of io.EOF, so whatever consumes it (a file commit, an HTTP
// upload) fails instead of committing wrong bytes.
package verify

import (
	"errors"
	"fmt"
	"hash"
	"io"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
)

// Reader hashes and counts what passes through it.
type Reader struct {
	r      io.Reader
	want   digest.Digest // "" when unknown: only computed
	size   int64         // -1 when unknown
	h      hash.Hash
	alg    digest.Algorithm
	n      int64
	failed error
}

// NewReader wraps r. want may be empty (the digest is then computed with
// sha256); size may be -1.
func NewReader(r io.Reader, want digest.Digest, size int64) *Reader {
	alg := digest.Canonical
	if want != "" && want.Algorithm().Available() {
		alg = want.Algorithm()
	}
	return &Reader{r: r, want: want, size: size, h: alg.Hash(), alg: alg}
}

// Read passes bytes through; at EOF it returns a *MismatchError if the
// digest or size differ, or if more bytes than the size arrive.
func (v *Reader) Read(p []byte) (int, error) {
	if v.failed != nil {
		return 0, v.failed
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if v.size >= 0 && v.n > v.size {
		v.failed = &MismatchError{Want: v.want, WantSize: v.size, GotSize: v.n, More: true}
		return n, v.failed
	}
	if err == io.EOF {
		if mErr := v.check(); mErr != nil {
			v.failed = mErr
			return n, mErr
		}
	}
	return n, err
}

func (v *Reader) check() error {
	if v.size >= 0 && v.n != v.size {
		return &MismatchError{Want: v.want, WantSize: v.size, GotSize: v.n}
	}
	if v.want != "" {
		if got := v.Digest(); got != v.want {
			return &MismatchError{Want: v.want, Got: got, WantSize: v.size, GotSize: v.n}
		}
	}
	return nil
}

// Digest of the bytes read so far.
func (v *Reader) Digest() digest.Digest { return digest.NewDigest(v.alg, v.h) }

// N is the number of bytes read so far.
func (v *Reader) N() int64 { return v.n }

// Verified reports whether the whole stream was read and matched.
func (v *Reader) Verified() bool { return v.failed == nil && v.check() == nil }

// Explain returns the mismatch if that is why err happened (an HTTP
// client reports a failed body as its own error), else err.
func (v *Reader) Explain(err error) error {
	if v.failed != nil && !errors.Is(err, v.failed) {
		return fmt.Errorf("%w (%v)", v.failed, err)
	}
	return err
}

// MismatchError says bytes did not match their descriptor.
type MismatchError struct {
	Want, Got         digest.Digest
	WantSize, GotSize int64
	More              bool
}

func (e *MismatchError) Error() string {
	switch {
	case e.More:
		return fmt.Sprintf("blob %s is longer than its declared size %d", e.Want, e.WantSize)
	case e.Got == "":
		return fmt.Sprintf("blob %s has %d bytes, want %d (truncated or wrong)", e.Want, e.GotSize, e.WantSize)
	}
	return fmt.Sprintf("blob content has digest %s, want %s (corrupted or tampered)", e.Got, e.Want)
}

// Unwrap marks every mismatch as invalid input.
func (e *MismatchError) Unwrap() error { return errdefs.ErrInvalidArgument }
