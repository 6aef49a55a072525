package registry

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ocid-project/ocid/image"
)

// blobReader streams a blob and, when the connection breaks part-way,
// asks again with a Range header for the rest, so a large layer is not
// downloaded twice. It does not verify the digest: package copy does.
type blobReader struct {
	ctx        context.Context
	c          *client
	desc       image.Descriptor
	body       io.ReadCloser
	off        int64 // bytes delivered so far
	size       int64 // expected total, -1 if unknown
	resumes    int
	maxResumes int
	closed     bool
	// stall cancels the current request when no byte arrived for the
	// client's timeout: a server that stops sending mid-blob is treated
	// like a broken connection and the download resumes.
	stall   *time.Timer
	cancel  context.CancelFunc
	stalled atomic.Bool
}

func (b *blobReader) what() string {
	return fmt.Sprintf("blob %s in %s/%s", b.desc.Digest, b.c.host, b.c.repo)
}

// open (re)starts the download at b.off.
func (b *blobReader) open() error {
	hdr := map[string]string{}
	if b.off > 0 {
		hdr["Range"] = fmt.Sprintf("bytes=%d-", b.off)
	}
	ctx, cancel := context.WithCancel(b.ctx)
	resp, err := b.c.do(ctx, http.MethodGet, b.c.url("blobs/"+b.desc.Digest.String()), nil, hdr)
	if err != nil {
		cancel()
		return classify(fmt.Errorf("reading %s: %w", b.what(), err))
	}
	ok := false
	defer func() {
		if !ok {
			cancel()
		}
	}()
	switch {
	case resp.StatusCode == http.StatusOK:
		if b.size < 0 && resp.ContentLength >= 0 {
			b.size = resp.ContentLength
		}
		if b.off > 0 {
			// The server ignored Range: skip what was already delivered.
			if _, err := io.CopyN(io.Discard, resp.Body, b.off); err != nil {
				resp.Body.Close()
				return fmt.Errorf("reading %s: resuming at %d: %w", b.what(), b.off, err)
			}
		}
	case resp.StatusCode == http.StatusPartialContent && b.off > 0:
		start, ok := contentRangeStart(resp.Header.Get("Content-Range"))
		if !ok || start != b.off {
			resp.Body.Close()
			return fmt.Errorf("reading %s: asked for bytes from %d, got range %q", b.what(), b.off, resp.Header.Get("Content-Range"))
		}
	default:
		defer resp.Body.Close()
		if err := checkResponse(resp, http.StatusOK); err != nil {
			return fmt.Errorf("reading %s: %w", b.what(), err)
		}
		return fmt.Errorf("reading %s: unexpected status %s", b.what(), resp.Status)
	}
	ok = true
	b.body, b.cancel = resp.Body, cancel
	b.stalled.Store(false)
	b.stall = time.AfterFunc(b.c.timeout, func() { b.stalled.Store(true); cancel() })
	return nil
}

func contentRangeStart(cr string) (int64, bool) {
	rest, ok := strings.CutPrefix(cr, "bytes ")
	if !ok {
		return 0, false
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(first, 10, 64)
	return n, err == nil
}

func (b *blobReader) Read(p []byte) (int, error) {
	for {
		if b.closed {
			return 0, fmt.Errorf("reading %s: reader is closed", b.what())
		}
		if b.body == nil {
			if err := b.open(); err != nil {
				return 0, err
			}
		}
		n, err := b.body.Read(p)
		b.off += int64(n)
		if n > 0 {
			b.stall.Reset(b.c.timeout)
		}
		if err != nil && b.stalled.Load() && b.ctx.Err() == nil {
			err = fmt.Errorf("no data for %v: %w", b.c.timeout, io.ErrUnexpectedEOF)
		}
		if err == io.EOF && b.size >= 0 && b.off < b.size {
			err = io.ErrUnexpectedEOF
		}
		if err == nil || err == io.EOF {
			return n, err
		}
		if b.ctx.Err() != nil || b.resumes >= b.maxResumes || !isTransient(err) {
			return n, fmt.Errorf("reading %s at byte %d: %w", b.what(), b.off, err)
		}
		b.release()
		b.resumes++
		b.c.log.Info("blob download interrupted, resuming", "blob", b.desc.Digest, "offset", b.off, "attempt", b.resumes, "error", err)
		if n > 0 {
			return n, nil
		}
		if err := sleepCtx(b.ctx, defaultBackoff(b.resumes-1)); err != nil {
			return 0, err
		}
	}
}

// release drops the current response and its watchdog.
func (b *blobReader) release() error {
	if b.body == nil {
		return nil
	}
	b.stall.Stop()
	err := b.body.Close()
	b.cancel()
	b.body = nil
	return err
}

func (b *blobReader) Close() error {
	b.closed = true
	if err := b.release(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}
