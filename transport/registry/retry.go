package registry

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"
)

// retryTransport retries a request on the failures a busy or restarting
// registry produces: 5xx (but 501/505), 429 (honouring Retry-After),
// connection resets and unexpected EOFs. A request whose body cannot be
// replayed is tried once; blob uploads are retried whole by package copy.
type retryTransport struct {
	inner   http.RoundTripper
	retries int
	log     *slog.Logger
	// backoff is the wait before retry n (0-based); replaced in tests.
	backoff func(n int) time.Duration
}

func newRetryTransport(inner http.RoundTripper, retries int, log *slog.Logger) *retryTransport {
	return &retryTransport{inner: inner, retries: retries, log: log, backoff: defaultBackoff}
}

// defaultBackoff grows 250ms, 500ms, 1s… up to 8s, with jitter so that
// many clients do not retry in lockstep.
func defaultBackoff(n int) time.Duration {
	d := 250 * time.Millisecond << min(n, 5)
	return d/2 + rand.N(d/2+1)
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		if attempt > 0 && req.Body != nil && req.Body != http.NoBody {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		resp, err := t.inner.RoundTrip(req)
		wait, retry := t.shouldRetry(req, resp, err)
		if !retry || attempt >= t.retries {
			return resp, err
		}
		if resp != nil {
			io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.Body.Close()
		}
		if wait == 0 {
			wait = t.backoff(attempt)
		}
		t.log.Info("retrying registry request", "method", req.Method, "url", req.URL.Redacted(),
			"attempt", attempt+1, "wait", wait, "reason", retryReason(resp, err))
		if err := sleepCtx(req.Context(), wait); err != nil {
			return nil, err
		}
	}
}

func (t *retryTransport) shouldRetry(req *http.Request, resp *http.Response, err error) (time.Duration, bool) {
	if req.Body != nil && req.Body != http.NoBody && req.GetBody == nil {
		return 0, false
	}
	if err != nil {
		return 0, req.Context().Err() == nil && isTransient(err)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp), true
	case resp.StatusCode == http.StatusNotImplemented, resp.StatusCode == http.StatusHTTPVersionNotSupported:
		return 0, false
	case resp.StatusCode >= 500:
		return retryAfter(resp), true
	}
	return 0, false
}

// isTransient tells the network failures worth another try. A refused
// connection is not: nothing listens, and waiting only delays the error.
func isTransient(err error) bool {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	}
	return false
}

// retryAfter reads a Retry-After in seconds, capped so a hostile server
// cannot park the client.
func retryAfter(resp *http.Response) time.Duration {
	s, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s)*time.Second, 30*time.Second)
}

func retryReason(resp *http.Response, err error) string {
	if err != nil {
		return err.Error()
	}
	return resp.Status
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
