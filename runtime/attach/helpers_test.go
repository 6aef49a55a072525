package attach

import (
	"context"
	"io"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// failAfter bounds waits that should end at once; a test timeout, not a
// synchronisation.
const failAfter = 10 * time.Second

// fakeHandler stands for the container: stdin is whatever the test gives
// (an io.Pipe), and calls are reported on channels.
type fakeHandler struct {
	mu        sync.Mutex
	stdin     io.Writer
	closeOnce sync.Once
	closed    chan struct{}
	resizes   chan Size
}

func newFakeHandler(stdin io.Writer) *fakeHandler {
	return &fakeHandler{stdin: stdin, closed: make(chan struct{}), resizes: make(chan Size, 16)}
}

func (h *fakeHandler) Stdin() io.Writer {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stdin
}

// CloseStdin closes a pipe standing for stdin, as the monitor closes the
// container's: that is what ends a write blocked on it.
func (h *fakeHandler) CloseStdin() {
	h.closeOnce.Do(func() {
		if c, ok := h.Stdin().(io.Closer); ok {
			c.Close()
		}
		close(h.closed)
	})
}

func (h *fakeHandler) Resize(w, ht uint16) { h.resizes <- Size{w, ht} }

// checkLeaks fails the test if goroutines started during it are still
// running once its cleanups (Close among them, registered later, so run
// earlier) are done. It polls with a deadline: goroutines take a moment to
// finish after the channel or close that ends them.
func checkLeaks(t *testing.T) {
	t.Helper()
	base := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(failAfter)
		for runtime.NumGoroutine() > base {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				n := runtime.Stack(buf, true)
				t.Fatalf("%d goroutines, %d before the test:\n%s", runtime.NumGoroutine(), base, buf[:n])
			}
			runtime.Gosched()
			time.Sleep(time.Millisecond) // polling interval, not a synchronisation
		}
	})
}

func newTestServer(t *testing.T, h Handler, opts ServerOptions) (*Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "attach")
	s, err := NewServer(path, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s, path
}

func dialT(t *testing.T, path string, opts ClientOptions) *Client {
	t.Helper()
	c, err := Dial(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type result struct {
	code int
	err  error
}

// run starts c.Run and returns where its result will arrive.
func run(ctx context.Context, c *Client, stdin io.Reader, stdout, stderr io.Writer, resize <-chan Size) <-chan result {
	ch := make(chan result, 1)
	go func() {
		code, err := c.Run(ctx, stdin, stdout, stderr, resize)
		ch <- result{code, err}
	}()
	return ch
}

func await(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(failAfter):
		t.Fatal("Run did not return")
	}
	return result{}
}

// clientCount is the number of open sessions.
func (s *Server) clientCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}

// waitClients polls until the server has n sessions.
func waitClients(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(failAfter)
	for s.clientCount() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions, want %d", s.clientCount(), n)
		}
		time.Sleep(time.Millisecond) // polling interval
	}
}
