package attach

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestOutputStreamsAndExit(t *testing.T) {
	checkLeaks(t)
	s, path := newTestServer(t, newFakeHandler(nil), ServerOptions{})
	both := dialT(t, path, ClientOptions{Stdout: true, Stderr: true})
	errOnly := dialT(t, path, ClientOptions{Stderr: true})
	waiter := dialT(t, path, ClientOptions{}) // wants only the exit code

	var bothOut, bothErr, errOut, errErr bytes.Buffer
	r1 := run(t.Context(), both, nil, &bothOut, &bothErr, nil)
	r2 := run(t.Context(), errOnly, nil, &errOut, &errErr, nil)
	r3 := run(t.Context(), waiter, nil, nil, nil, nil)

	big := make([]byte, 100<<10) // several frames
	for i := range big {
		big[i] = byte(rand.Uint32())
	}
	s.Broadcast(Stdout, []byte("out1 "))
	s.Broadcast(Stderr, []byte("err1"))
	s.Broadcast(Stdout, big)
	s.Broadcast(Stdout, nil) // nothing to send
	s.Exit(7)

	for i, r := range []result{await(t, r1), await(t, r2), await(t, r3)} {
		if r.err != nil || r.code != 7 {
			t.Fatalf("client %d: code %d err %v", i, r.code, r.err)
		}
	}
	if !bytes.Equal(bothOut.Bytes(), append([]byte("out1 "), big...)) || bothErr.String() != "err1" {
		t.Fatalf("stdout %d bytes, stderr %q", bothOut.Len(), bothErr.String())
	}
	if errOut.Len() != 0 || errErr.String() != "err1" {
		t.Fatalf("stderr-only client got stdout %q stderr %q", errOut.String(), errErr.String())
	}

	// After the exit a client learns it at once.
	late := dialT(t, path, ClientOptions{Stdout: true})
	if r := await(t, run(t.Context(), late, nil, nil, nil, nil)); r.err != nil || r.code != 7 {
		t.Fatalf("late client: %+v", r)
	}
	s.Exit(9) // only the first exit counts
	late = dialT(t, path, ClientOptions{})
	if r := await(t, run(t.Context(), late, nil, nil, nil, nil)); r.code != 7 {
		t.Fatalf("second exit changed the code: %+v", r)
	}
}

func TestNegativeExitCode(t *testing.T) {
	checkLeaks(t)
	s, path := newTestServer(t, newFakeHandler(nil), ServerOptions{})
	c := dialT(t, path, ClientOptions{})
	ch := run(t.Context(), c, nil, nil, nil, nil)
	s.Exit(-1)
	if r := await(t, ch); r.err != nil || r.code != -1 {
		t.Fatalf("%+v", r)
	}
}

func TestStdinRoutingAndEOF(t *testing.T) {
	checkLeaks(t)
	containerIn, stdinW := io.Pipe()
	h := newFakeHandler(stdinW)
	s, path := newTestServer(t, h, ServerOptions{})
	defer containerIn.Close()

	in1R, in1W := io.Pipe()
	in2R, in2W := io.Pipe()
	defer in2W.Close()
	c1 := dialT(t, path, ClientOptions{Stdin: true, Stdout: true})
	c2 := dialT(t, path, ClientOptions{Stdin: true})
	r1 := run(t.Context(), c1, in1R, nil, nil, nil)
	r2 := run(t.Context(), c2, in2R, nil, nil, nil)

	expect := func(want string) {
		t.Helper()
		got := make([]byte, len(want))
		if _, err := io.ReadFull(containerIn, got); err != nil || string(got) != want {
			t.Fatalf("container read %q, %v; want %q", got, err, want)
		}
	}
	if _, err := in1W.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	expect("hello ")
	if _, err := in2W.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	expect("world")

	in1W.Close() // the first client's stdin ends: the container's closes
	select {
	case <-h.closed:
	case <-testTimeout():
		t.Fatal("CloseStdin not called")
	}
	// Once closed, a client asking for stdin is refused.
	if _, err := Dial(path, ClientOptions{Stdin: true}); !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("dial for closed stdin: %v", err)
	}
	s.Exit(0)
	if r := await(t, r1); r.err != nil || r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if r := await(t, r2); r.err != nil || r.code != 0 {
		t.Fatalf("%+v", r)
	}
}

// A container that does not read its stdin blocks the write of one
// client's input; other clients still attach, and closing stdin ends the
// blocked write.
func TestStdinBlockedWrite(t *testing.T) {
	checkLeaks(t)
	containerIn, stdinW := io.Pipe() // nobody reads containerIn
	defer containerIn.Close()
	started := make(chan struct{}, 1)
	h := newFakeHandler(&signalWriter{PipeWriter: stdinW, started: started})
	s, path := newTestServer(t, h, ServerOptions{})
	blocked := dialT(t, path, ClientOptions{Stdin: true})
	blockedIn, blockedInW := io.Pipe()
	defer blockedInW.Close()
	r1 := run(t.Context(), blocked, blockedIn, nil, nil, nil)
	if _, err := blockedInW.Write([]byte("never read")); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started: // the server is now stuck in the write
	case <-testTimeout():
		t.Fatal("stdin never written")
	}
	closer := dialT(t, path, ClientOptions{Stdin: true})
	r2 := run(t.Context(), closer, strings.NewReader(""), nil, nil, nil) // at once EOF
	select {
	case <-h.closed:
	case <-testTimeout():
		t.Fatal("CloseStdin not called while a write was blocked")
	}
	s.Exit(0)
	for _, ch := range []<-chan result{r1, r2} {
		if r := await(t, ch); r.err != nil {
			t.Fatal(r.err)
		}
	}
}

// signalWriter says when a write starts, before it blocks.
type signalWriter struct {
	*io.PipeWriter
	started chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.started <- struct{}{}
	return w.PipeWriter.Write(p)
}

func TestNoStdinRefused(t *testing.T) {
	checkLeaks(t)
	_, path := newTestServer(t, newFakeHandler(nil), ServerOptions{})
	_, err := Dial(path, ClientOptions{Stdin: true, TTY: true})
	if !errors.Is(err, errdefs.ErrPrecondition) || !strings.Contains(err.Error(), "no open stdin") {
		t.Fatalf("got %v", err)
	}
}

func TestResize(t *testing.T) {
	checkLeaks(t)
	h := newFakeHandler(nil)
	s, path := newTestServer(t, h, ServerOptions{})
	c := dialT(t, path, ClientOptions{Stdout: true, TTY: true})
	resize := make(chan Size)
	ch := run(t.Context(), c, nil, nil, nil, resize)
	for _, want := range []Size{{80, 24}, {65535, 1}} {
		resize <- want
		select {
		case got := <-h.resizes:
			if got != want {
				t.Fatalf("got %+v want %+v", got, want)
			}
		case <-testTimeout():
			t.Fatal("resize not delivered")
		}
	}
	s.Exit(0)
	if r := await(t, ch); r.err != nil {
		t.Fatal(r.err)
	}
}

// countingWriter reports each write's size, so the test can pace the
// output by what the fast client has taken.
type countingWriter struct {
	buf   bytes.Buffer
	sizes chan int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	w.sizes <- len(p)
	return len(p), nil
}

func TestSlowClientDropped(t *testing.T) {
	checkLeaks(t)
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	// Room for the frame being written and the next: the fast client,
	// paced, never has more queued.
	const limit = 128 << 10
	s, path := newTestServer(t, newFakeHandler(nil), ServerOptions{Log: log, ClientBuffer: limit})

	slow := dialT(t, path, ClientOptions{Stdout: true}) // never reads until the end
	fast := dialT(t, path, ClientOptions{Stdout: true})
	out := &countingWriter{sizes: make(chan int)}
	fastDone := run(t.Context(), fast, nil, out, nil, nil)

	var sent bytes.Buffer
	chunk := make([]byte, MaxPayload)
	for i := range 200 { // 6.4 MiB: far past the slow client's socket buffer and queue
		for j := range chunk {
			chunk[j] = byte(i + j)
		}
		s.Broadcast(Stdout, chunk)
		sent.Write(chunk)
		for got := 0; got < len(chunk); {
			select {
			case n := <-out.sizes:
				got += n
			case <-testTimeout():
				t.Fatalf("fast client stalled at chunk %d", i)
			}
		}
	}
	if n := s.clientCount(); n != 1 {
		t.Fatalf("%d clients left, want the fast one only", n)
	}
	if !strings.Contains(logBuf.String(), "does not keep up") {
		t.Fatalf("drop not logged: %s", logBuf.String())
	}

	// The slow client reads what reached it, then finds the connection gone.
	var slowOut bytes.Buffer
	r := await(t, run(t.Context(), slow, nil, &slowOut, nil, nil))
	if !errors.Is(r.err, errdefs.ErrUnavailable) {
		t.Fatalf("slow client: %+v", r)
	}
	if slowOut.Len() >= sent.Len() || !bytes.HasPrefix(sent.Bytes(), slowOut.Bytes()) {
		t.Fatalf("slow client got %d of %d bytes, or wrong ones", slowOut.Len(), sent.Len())
	}

	go func() { // drain the rest so Run can finish
		for range out.sizes {
		}
	}()
	s.Exit(3)
	if r := await(t, fastDone); r.err != nil || r.code != 3 {
		t.Fatalf("fast client: %+v", r)
	}
	close(out.sizes)
	if !bytes.Equal(out.buf.Bytes(), sent.Bytes()) {
		t.Fatalf("fast client got %d bytes of %d, or wrong ones", out.buf.Len(), sent.Len())
	}
}

// rawConn speaks the protocol by hand, to break it.
func rawConn(t *testing.T, path string, hello bool) (net.Conn, *decoder) {
	t.Helper()
	conn, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	dec := newDecoder(conn)
	if hello {
		if _, err := conn.Write(appendFrame(nil, frameHello, []byte{protocolVersion, flagStdout})); err != nil {
			t.Fatal(err)
		}
		if ft, _, err := dec.next(); err != nil || ft != frameReady {
			t.Fatalf("ready: %#x %v", ft, err)
		}
	}
	return conn, dec
}

func TestMalformedFrameClosesOnlyThatClient(t *testing.T) {
	checkLeaks(t)
	s, path := newTestServer(t, newFakeHandler(nil), ServerOptions{})
	good := dialT(t, path, ClientOptions{Stdout: true})
	var goodOut bytes.Buffer
	goodDone := run(t.Context(), good, nil, &goodOut, nil, nil)

	hdr := func(ft frameType, n uint32) []byte {
		return []byte{byte(ft), byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	for _, tc := range []struct {
		name  string
		hello bool
		send  []byte
		want  string
	}{
		{"unknown type", true, appendFrame(nil, 0x7f, []byte("x")), "unknown frame type"},
		{"too long", true, hdr(frameStdin, MaxPayload+1), "over"},
		{"wrong size", true, appendFrame(nil, frameResize, []byte{1, 2, 3}), "want 4"},
		{"server frame", true, appendFrame(nil, frameStdout, []byte("x")), "unexpected frame"},
		{"hello twice", true, appendFrame(nil, frameHello, []byte{1, 2}), "unexpected frame"},
		{"stdin not asked", true, appendFrame(nil, frameStdin, []byte("x")), "without stdin"},
		{"no hello", false, appendFrame(nil, frameResize, []byte{0, 1, 0, 1}), "not hello"},
		{"bad version", false, appendFrame(nil, frameHello, []byte{9, 0}), "version"},
		{"bad flags", false, appendFrame(nil, frameHello, []byte{1, 0x80}), "flags"},
	} {
		conn, dec := rawConn(t, path, tc.hello)
		if _, err := conn.Write(tc.send); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ft, p, err := dec.next()
		if err != nil || ft != frameError || !strings.Contains(string(p), tc.want) {
			t.Fatalf("%s: frame %#x %q %v", tc.name, ft, p, err)
		}
		if _, _, err := dec.next(); err == nil {
			t.Fatalf("%s: connection still open", tc.name)
		}
	}
	s.Broadcast(Stdout, []byte("still here"))
	s.Exit(0)
	if r := await(t, goodDone); r.err != nil || goodOut.String() != "still here" {
		t.Fatalf("good client: %+v %q", r, goodOut.String())
	}
}

func TestLongSocketPath(t *testing.T) {
	checkLeaks(t)
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "attach")
	if len(path) <= sunPathMax {
		t.Fatalf("path of %d bytes is not long enough", len(path))
	}
	h := newFakeHandler(nil)
	s, err := NewServer(path, h, ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Type() != os.ModeSocket || st.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v", st.Mode())
	}
	c := dialT(t, path, ClientOptions{Stdout: true})
	var out bytes.Buffer
	ch := run(t.Context(), c, nil, &out, nil, nil)
	s.Broadcast(Stdout, []byte("deep"))
	s.Exit(1)
	if r := await(t, ch); r.err != nil || r.code != 1 || out.String() != "deep" {
		t.Fatalf("%+v %q", r, out.String())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left behind: %v", err)
	}
	if _, err := Dial(path, ClientOptions{}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("dial after close: %v", err)
	}
}

func TestSocketFileHandling(t *testing.T) {
	checkLeaks(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "attach")

	// A socket left by a dead monitor: nobody listens, so it is replaced.
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := Dial(path, ClientOptions{}); !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("dial of a dead socket: %v", err)
	}
	s, err := NewServer(path, newFakeHandler(nil), ServerOptions{})
	if err != nil {
		t.Fatalf("over a stale socket: %v", err)
	}
	// A live one is not taken over.
	if _, err := NewServer(path, newFakeHandler(nil), ServerOptions{}); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("second server: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil { // twice is harmless
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Fatalf("left in the directory: %v", entries)
	}

	// Neither is anything else.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewServer(path, newFakeHandler(nil), ServerOptions{}); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("over a file: %v", err)
	}
	if _, err := NewServer(filepath.Join(dir, "missing", "attach"), newFakeHandler(nil), ServerOptions{}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing directory: %v", err)
	}
	if _, err := NewServer(filepath.Join(dir, strings.Repeat("n", 65)), newFakeHandler(nil), ServerOptions{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("long name: %v", err)
	}
}

func TestRunCancelled(t *testing.T) {
	checkLeaks(t)
	s, path := newTestServer(t, newFakeHandler(nil), ServerOptions{})
	c := dialT(t, path, ClientOptions{Stdout: true})
	ctx, cancel := context.WithCancel(t.Context())
	ch := run(ctx, c, nil, nil, nil, make(chan Size))
	cancel()
	if r := await(t, ch); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("got %+v", r)
	}
	waitClients(t, s, 0) // the server noticed the hang-up
}

func TestCloseWithClients(t *testing.T) {
	checkLeaks(t)
	stdinR, stdinW := io.Pipe()
	defer stdinR.Close()
	path := filepath.Join(t.TempDir(), "attach")
	s, err := NewServer(path, newFakeHandler(stdinW), ServerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := dialT(t, path, ClientOptions{Stdout: true, Stdin: true})
	clientIn, clientInW := io.Pipe()
	ch := run(t.Context(), c, clientIn, nil, nil, nil)
	rawConn(t, path, false) // connected, never says hello
	waitClients(t, s, 2)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if r := await(t, ch); !errors.Is(r.err, errdefs.ErrUnavailable) {
		t.Fatalf("got %+v", r)
	}
	clientInW.Close() // lets Run's stdin goroutine end
}
