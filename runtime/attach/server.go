package attach

import (
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Stream is an output stream of the container.
type Stream uint8

// The container's output streams.
const (
	Stdout Stream = iota + 1
	Stderr
)

func (s Stream) frame() (frameType, uint8, bool) {
	switch s {
	case Stdout:
		return frameStdout, flagStdout, true
	case Stderr:
		return frameStderr, flagStderr, true
	}
	return 0, 0, false
}

// Handler is the container side of a Server, implemented by the monitor.
// Its methods may be called from several goroutines: writes to Stdin one at
// a time, but CloseStdin and Resize possibly during a write.
type Handler interface {
	// Stdin is where client input goes; nil when the container has no
	// stdin, or no longer has one. The Server serialises writes to it. A
	// write may block (the container is not reading); it must fail rather
	// than block for ever once the container is gone, or Close waits.
	Stdin() io.Writer
	// CloseStdin closes the container's stdin: a client's stdin ended.
	CloseStdin()
	// Resize sets the size of the container's terminal.
	Resize(width, height uint16)
}

// DefaultClientBuffer is how many bytes of output may wait for one client
// before it is dropped.
const DefaultClientBuffer = 1 << 20

// Timeouts for a client that connects and says nothing, and for one that
// does not read its last frames (exit, error): neither may hold the
// monitor.
const (
	handshakeTimeout = 10 * time.Second
	finishTimeout    = 5 * time.Second
)

// ServerOptions tune a Server. The zero value is ready to use.
type ServerOptions struct {
	// Log receives dropped clients and failed stdin writes; nil discards.
	Log *slog.Logger
	// ClientBuffer bounds the output queued for one client, in bytes; 0
	// means DefaultClientBuffer. It is raised to two full frames at least,
	// so that a client reading as fast as it can is never dropped.
	ClientBuffer int
}

// Server serves attach sessions on a unix socket.
type Server struct {
	h     Handler
	log   *slog.Logger
	limit int
	sock  *socket
	path  string

	mu      sync.Mutex
	clients map[*session]struct{} // every open connection, hello or not
	exited  bool
	code    int32
	closed  bool
	quit    chan struct{} // closed by Close

	stdinMu     sync.Mutex  // one stdin write at a time
	stdinClosed atomic.Bool // not under stdinMu: closing must not wait for a blocked write

	wg sync.WaitGroup // the accept loop and every session goroutine
}

// NewServer listens on socketPath (mode 0600; a stale socket left there by
// a dead monitor is replaced) and serves h.
func NewServer(socketPath string, h Handler, opts ServerOptions) (*Server, error) {
	sock, err := listen(socketPath)
	if err != nil {
		return nil, err
	}
	s := &Server{
		h:       h,
		log:     opts.Log,
		limit:   opts.ClientBuffer,
		sock:    sock,
		path:    socketPath,
		clients: make(map[*session]struct{}),
		quit:    make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.limit <= 0 {
		s.limit = DefaultClientBuffer
	}
	s.limit = max(s.limit, 2*(headerSize+MaxPayload))
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

func (s *Server) accept() {
	defer s.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := s.sock.ln.AcceptUnix()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of descriptors, say: wait a little instead of spinning.
			s.log.Warn("attach: accept failed", "socket", s.path, "err", err)
			t := time.NewTimer(backoff)
			select {
			case <-s.quit:
				t.Stop()
				return
			case <-t.C:
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		c := newSession(s, conn)
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			conn.Close()
			continue
		}
		s.clients[c] = struct{}{}
		s.wg.Add(2)
		s.mu.Unlock()
		go c.readLoop()
		go c.writeLoop()
	}
}

// register runs once the hello is read: from the ready frame on, the
// session gets output. Done under s.mu, so no Broadcast falls between.
func (s *Server) register(c *session, flags uint8) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.flags = flags
	c.registered = true
	c.enqueue(appendFrame(nil, frameReady, nil), true)
	if s.exited {
		c.finish(exitFrame(s.code))
	}
}

func exitFrame(code int32) []byte {
	var p [4]byte
	binary.BigEndian.PutUint32(p[:], uint32(code))
	return appendFrame(nil, frameExit, p[:])
}

// remove forgets a session whose connection is closed.
func (s *Server) remove(c *session) {
	s.mu.Lock()
	delete(s.clients, c)
	s.mu.Unlock()
}

// Broadcast sends container output to every client that asked for the
// stream. It does not block: a client that cannot take it is dropped. p may
// be reused once Broadcast returns.
func (s *Server) Broadcast(stream Stream, p []byte) {
	t, flag, ok := stream.frame()
	if !ok || len(p) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var frames [][]byte // built once, shared by every client: never written to
	for c := range s.clients {
		if !c.registered || c.flags&flag == 0 {
			continue
		}
		if frames == nil {
			frames = splitFrames(t, p)
		}
		for _, f := range frames {
			if !c.enqueue(f, false) {
				s.log.Warn("attach: dropping a client that does not keep up with the output",
					"socket", s.path, "buffer", s.limit)
				delete(s.clients, c)
				c.kill()
				break
			}
		}
	}
}

func splitFrames(t frameType, p []byte) [][]byte {
	frames := make([][]byte, 0, (len(p)+MaxPayload-1)/MaxPayload)
	for len(p) > 0 {
		n := min(len(p), MaxPayload)
		frames = append(frames, appendFrame(make([]byte, 0, headerSize+n), t, p[:n]))
		p = p[n:]
	}
	return frames
}

// Exit tells every client the container exited with code, waits (a few
// seconds at most per client) until they have been sent all their output
// and the exit, and closes them. Clients connecting later get the exit at
// once. Only the first call counts.
func (s *Server) Exit(code int) {
	s.mu.Lock()
	if s.exited {
		s.mu.Unlock()
		return
	}
	s.exited, s.code = true, int32(code)
	f := exitFrame(s.code)
	var pending []*session
	for c := range s.clients {
		if c.registered {
			c.finish(f)
			pending = append(pending, c)
		}
	}
	s.mu.Unlock()
	for _, c := range pending {
		<-c.done // bounded by finishTimeout
	}
}

// Close stops listening, removes the socket, closes every client and waits
// for the Server's goroutines.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.quit)
	err := s.sock.close()
	for c := range s.clients {
		c.kill()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// writeStdin passes client input on, one frame at a time across clients so
// that two clients' bytes do not interleave within a frame.
func (s *Server) writeStdin(p []byte) {
	s.stdinMu.Lock()
	defer s.stdinMu.Unlock()
	if s.stdinClosed.Load() {
		return
	}
	w := s.h.Stdin()
	if w == nil {
		return
	}
	if _, err := w.Write(p); err != nil {
		s.log.Debug("attach: stdin write failed", "socket", s.path, "err", err)
	}
}

// closeStdin closes the container's stdin once. It does not wait for a
// write blocked on a container that does not read: closing is what
// unblocks it.
func (s *Server) closeStdin() {
	if s.stdinClosed.CompareAndSwap(false, true) {
		s.h.CloseStdin()
	}
}

// stdinOpen tells whether a client asking for stdin can have it.
func (s *Server) stdinOpen() bool {
	return !s.stdinClosed.Load() && s.h.Stdin() != nil
}
