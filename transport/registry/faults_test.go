package registry_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/transport/registry"
)

// faultProxy sits between ocid and a real registry and breaks chosen
// requests, so retries and resumed downloads are tested against the real
// server's answers.
type faultProxy struct {
	srv   *httptest.Server
	mu    sync.Mutex
	rules []func(w http.ResponseWriter, r *http.Request) bool // true: handled (fault injected)
	log   []string
}

func newFaultProxy(t *testing.T, reg *fixtures.Registry) *faultProxy {
	target, _ := url.Parse(reg.URL)
	rp := httputil.NewSingleHostReverseProxy(target)
	p := &faultProxy{}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.log = append(p.log, r.Method+" "+r.URL.Path+" "+r.Header.Get("Range"))
		rules := p.rules
		p.mu.Unlock()
		for _, rule := range rules {
			if rule(w, r) {
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *faultProxy) host() string { return strings.TrimPrefix(p.srv.URL, "http://") }

func (p *faultProxy) add(rule func(w http.ResponseWriter, r *http.Request) bool) {
	p.mu.Lock()
	p.rules = append(p.rules, rule)
	p.mu.Unlock()
}

func (p *faultProxy) requests(substr string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.log {
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// times returns a rule guard true for the first n matching requests.
func times(n int, match func(r *http.Request) bool) func(r *http.Request) bool {
	var mu sync.Mutex
	return func(r *http.Request) bool {
		if !match(r) {
			return false
		}
		mu.Lock()
		defer mu.Unlock()
		if n == 0 {
			return false
		}
		n--
		return true
	}
}

func blobGet(r *http.Request) bool {
	return r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:")
}

func readLayer(t *testing.T, host string, img *fixtures.Image, i int) ([]byte, error) {
	ref, err := registry.ParseReference("//" + host + "/ns/app:v1")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src, err := ref.NewSource(ctx, insecureOpts())
	if err != nil {
		return nil, err
	}
	defer src.Close()
	rc, _, err := src.Blob(ctx, img.Layers[i].Descriptor())
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

func TestRetriesServerErrors(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	p := newFaultProxy(t, reg)
	fail := times(2, blobGet)
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !fail(r) {
			return false
		}
		http.Error(w, "injected", http.StatusServiceUnavailable)
		return true
	})
	got, err := readLayer(t, p.host(), img, 0)
	if err != nil {
		t.Fatalf("two 503s should be retried: %v", err)
	}
	if !bytes.Equal(got, img.Layers[0].Data) {
		t.Fatal("layer differs")
	}
	if n := len(p.requests("/blobs/")); n != 3 {
		t.Fatalf("%d blob requests, want 3 (two failures, one success)", n)
	}
}

func TestResumesBrokenDownload(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip) // a ~1 MB layer
	reg.Push(t, "ns/app", "v1", img)
	p := newFaultProxy(t, reg)
	cut := times(1, func(r *http.Request) bool { return blobGet(r) && r.Header.Get("Range") == "" })
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !cut(r) {
			return false
		}
		// Announce the whole blob, send a third of it, then drop the connection.
		data := img.Layers[0].Data
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:len(data)/3])
		w.(http.Flusher).Flush()
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return true
	})
	got, err := readLayer(t, p.host(), img, 0)
	if err != nil {
		t.Fatalf("broken download should resume: %v", err)
	}
	if !bytes.Equal(got, img.Layers[0].Data) {
		t.Fatal("resumed layer differs")
	}
	ranged := p.requests(fmt.Sprintf("bytes=%d-", len(img.Layers[0].Data)/3))
	if len(ranged) != 1 {
		t.Fatalf("want one resumed request from byte %d, log: %v", len(img.Layers[0].Data)/3, p.requests("/blobs/"))
	}
}

func TestPersistentServerErrorIsClear(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	p := newFaultProxy(t, reg)
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			return false
		}
		http.Error(w, "injected", http.StatusInternalServerError)
		return true
	})
	_, err := readLayer(t, p.host(), img, 0)
	if !errors.Is(err, errdefs.ErrUnavailable) || !strings.Contains(err.Error(), "500") || !strings.Contains(err.Error(), "ns/app") {
		t.Fatalf("want an unavailable error naming the image and the status, got %v", err)
	}
}

func TestTooManyRequestsHonoursRetryAfter(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	p := newFaultProxy(t, reg)
	limited := times(1, blobGet)
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !limited(r) {
			return false
		}
		w.Header().Set("Retry-After", "1")
		http.Error(w, "slow down", http.StatusTooManyRequests)
		return true
	})
	start := time.Now()
	if _, err := readLayer(t, p.host(), img, 0); err != nil {
		t.Fatal(err)
	}
	if time.Since(start) < time.Second {
		t.Fatalf("Retry-After: 1 was not honoured (took %v)", time.Since(start))
	}
}

// TestStalledDownloadResumes: a server that stops sending in the middle
// of a blob is given up on after the timeout and the download resumes.
func TestStalledDownloadResumes(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	p := newFaultProxy(t, reg)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	stall := times(1, func(r *http.Request) bool { return blobGet(r) && r.Header.Get("Range") == "" })
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !stall(r) {
			return false
		}
		data := img.Layers[0].Data
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:1000])
		w.(http.Flusher).Flush()
		select { // hang until the client gives up or the test ends
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	ref, _ := registry.ParseReference("//" + p.host() + "/ns/app:v1")
	o := insecureOpts()
	o.Timeout = 300 * time.Millisecond
	src, err := ref.NewSource(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rc, _, err := src.Blob(context.Background(), img.Layers[0].Descriptor())
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("a stalled download should resume: %v", err)
	}
	if !bytes.Equal(got, img.Layers[0].Data) {
		t.Fatal("resumed layer differs")
	}
	if len(p.requests("bytes=1000-")) != 1 {
		t.Fatalf("no resume from byte 1000: %v", p.requests("/blobs/"))
	}
}

// TestUnansweredRequestTimesOut: a registry that accepts connections but
// never answers ends in a clear timeout error, not a hang.
func TestUnansweredRequestTimesOut(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	reg.Push(t, "ns/app", "v1", fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "timeout"))
	p := newFaultProxy(t, reg)
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	p.add(func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.Contains(r.URL.Path, "/manifests/") {
			return false
		}
		select {
		case <-r.Context().Done():
		case <-release:
		}
		return true
	})
	ref, _ := registry.ParseReference("//" + p.host() + "/ns/app:v1")
	o := insecureOpts()
	o.Timeout, o.Retries = 200*time.Millisecond, 1
	_, err := ref.NewSource(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "timeout") || !strings.Contains(err.Error(), "ns/app") {
		t.Fatalf("want a timeout error naming the image, got %v", err)
	}
}
