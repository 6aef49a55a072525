package attach

import (
	"bufio"
	"encoding/binary"
	"net"
	"sync"
	"time"
)

// session is the server's side of one client connection. Its reader
// handles the client's frames; its writer drains a bounded queue of frames
// to the connection, so that Broadcast only ever appends to a queue.
type session struct {
	s    *Server
	conn *net.UnixConn

	// Set by register under s.mu, read under s.mu.
	flags      uint8
	registered bool

	mu       sync.Mutex
	queue    [][]byte
	queued   int  // bytes in queue and being written
	finished bool // write what is queued, then close
	dead     bool // close now
	wake     chan struct{}
	done     chan struct{} // closed once the writer has closed the connection
}

func newSession(s *Server, conn *net.UnixConn) *session {
	return &session{
		s:    s,
		conn: conn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
}

func (c *session) signal() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// enqueue queues one frame. Unless force, it refuses (returning false)
// when the queue would exceed the server's bound.
func (c *session) enqueue(f []byte, force bool) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.finished {
		return true // closing anyway: nothing to refuse
	}
	if !force && c.queued+len(f) > c.s.limit {
		return false
	}
	c.queue = append(c.queue, f)
	c.queued += len(f)
	c.signal()
	return true
}

// finish queues a last frame; the writer sends what is queued, then closes.
// The write deadline keeps a client that does not read from holding the
// server.
func (c *session) finish(last []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dead || c.finished {
		return
	}
	c.queue = append(c.queue, last)
	c.queued += len(last)
	c.finished = true
	_ = c.conn.SetWriteDeadline(time.Now().Add(finishTimeout))
	c.signal()
}

// dropQueued empties the queue; a frame being written stays counted until
// the writer is done with it. c.mu is held.
func (c *session) dropQueued() {
	for _, f := range c.queue {
		c.queued -= len(f)
	}
	c.queue = nil
}

// kill closes the connection now, dropping what is queued.
func (c *session) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dead = true
	c.dropQueued()
	c.conn.Close() // wakes the reader and a blocked write
	c.signal()
}

func (c *session) writeLoop() {
	defer c.s.wg.Done()
	defer close(c.done)
	defer c.s.remove(c)
	defer c.conn.Close()
	for {
		c.mu.Lock()
		for len(c.queue) == 0 && !c.dead && !c.finished {
			c.mu.Unlock()
			<-c.wake
			c.mu.Lock()
		}
		if c.dead || len(c.queue) == 0 {
			c.mu.Unlock()
			return
		}
		f := c.queue[0]
		c.queue[0] = nil
		c.queue = c.queue[1:]
		c.mu.Unlock()

		_, err := c.conn.Write(f)

		c.mu.Lock()
		c.queued -= len(f)
		c.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (c *session) readLoop() {
	defer c.s.wg.Done()
	err := c.serve()
	se, ok := isSessionError(err)
	if !ok {
		// The client hung up (closing its side ends the session: a
		// half-closed connection would otherwise linger until the next
		// output), the connection broke, or kill closed it.
		c.kill()
		return
	}
	c.s.log.Info("attach: closing a client session", "socket", c.s.path, "err", err)
	c.s.remove(c) // no more output: only the error frame goes
	c.mu.Lock()
	if !c.dead && !c.finished {
		// The reason goes first, ahead of queued output the client will
		// not want now.
		c.dropQueued()
	}
	c.mu.Unlock()
	c.finish(appendFrame(nil, frameError, []byte(se.msg)))
}

// serve reads the hello, registers the session, then handles frames until
// the connection ends or the client breaks the protocol.
func (c *session) serve() error {
	dec := newDecoder(bufio.NewReaderSize(c.conn, 2*MaxPayload))
	_ = c.conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	t, p, err := dec.next()
	if err != nil {
		return err
	}
	if t != frameHello {
		return protocolError("first frame %#02x is not hello", uint8(t))
	}
	version, flags := p[0], p[1]
	if version != protocolVersion {
		return protocolError("protocol version %d, this server speaks %d", version, protocolVersion)
	}
	if flags&^flagsKnown != 0 {
		return protocolError("unknown hello flags %#02x", flags)
	}
	if flags&flagStdin != 0 && !c.s.stdinOpen() {
		return refusal("the container has no open stdin")
	}
	_ = c.conn.SetReadDeadline(time.Time{})
	c.s.register(c, flags)

	for {
		t, p, err := dec.next()
		if err != nil {
			return err
		}
		switch t {
		case frameStdin:
			if flags&flagStdin == 0 {
				return protocolError("stdin frame without stdin in hello")
			}
			c.s.writeStdin(p)
		case frameStdinClose:
			if flags&flagStdin == 0 {
				return protocolError("stdin-close without stdin in hello")
			}
			c.s.closeStdin()
		case frameResize:
			c.s.h.Resize(binary.BigEndian.Uint16(p[0:2]), binary.BigEndian.Uint16(p[2:4]))
		default:
			return protocolError("unexpected frame %#02x from a client", uint8(t))
		}
	}
}
