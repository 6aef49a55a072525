package attach

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// ClientOptions say which streams a client wants.
type ClientOptions struct {
	Stdin, Stdout, Stderr bool
	// TTY says the client is a terminal (it will send resizes).
	TTY bool
}

// Size is a terminal size in character cells.
type Size struct {
	Width, Height uint16
}

// Client is one attach session. Run it once.
type Client struct {
	conn *net.UnixConn
	dec  *decoder
	opts ClientOptions
	path string

	wmu  sync.Mutex // one frame at a time on the connection
	wbuf []byte
}

// Dial connects to the attach socket at socketPath and says hello. Once it
// returns, every output the container writes reaches the client. A server
// that refuses (stdin asked of a container without one) gives an error
// wrapping errdefs.ErrPrecondition; no socket, errdefs.ErrNotFound; a
// socket nobody serves, errdefs.ErrUnavailable.
func Dial(socketPath string, opts ClientOptions) (*Client, error) {
	conn, err := dial(socketPath)
	if err != nil {
		return nil, err
	}
	c := &Client{
		conn: conn,
		dec:  newDecoder(bufio.NewReaderSize(conn, 2*MaxPayload)),
		opts: opts,
		path: socketPath,
	}
	if err := c.hello(); err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

func (c *Client) hello() error {
	var flags uint8
	for _, f := range []struct {
		on   bool
		flag uint8
	}{{c.opts.Stdin, flagStdin}, {c.opts.Stdout, flagStdout}, {c.opts.Stderr, flagStderr}, {c.opts.TTY, flagTTY}} {
		if f.on {
			flags |= f.flag
		}
	}
	_ = c.conn.SetDeadline(time.Now().Add(handshakeTimeout))
	if err := c.send(frameHello, []byte{protocolVersion, flags}); err != nil {
		return fmt.Errorf("attach %s: send hello: %w", c.path, err)
	}
	t, p, err := c.dec.next()
	switch {
	case errors.Is(err, io.EOF):
		return fmt.Errorf("attach %s: server closed the connection: %w", c.path, errdefs.ErrUnavailable)
	case err != nil:
		return fmt.Errorf("attach %s: read ready: %w", c.path, err)
	case t == frameError:
		return fmt.Errorf("attach %s: server refused: %s: %w", c.path, p, errdefs.ErrPrecondition)
	case t != frameReady:
		return fmt.Errorf("attach %s: %w", c.path, protocolError("frame %#02x before ready", uint8(t)))
	}
	_ = c.conn.SetDeadline(time.Time{})
	return nil
}

// send writes one frame; p must fit MaxPayload.
func (c *Client) send(t frameType, p []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.wbuf = appendFrame(c.wbuf[:0], t, p)
	_, err := c.conn.Write(c.wbuf)
	return err
}

// Run copies stdin to the container and its output to stdout and stderr
// (each used only if asked for in Dial; nil discards) until the container
// exits, whose code it returns, or ctx is done. When stdin reaches its end
// the container's stdin is closed. Each size on resize is sent to the
// container's terminal.
//
// Run closes the connection when it returns. It does not wait for a Read on
// stdin that is still blocked (a terminal's, say): that goroutine ends when
// the Read returns.
func (c *Client) Run(ctx context.Context, stdin io.Reader, stdout, stderr io.Writer, resize <-chan Size) (int, error) {
	defer c.Close()
	// Cancelling closes the connection, which ends the read below.
	stop := context.AfterFunc(ctx, func() { c.conn.Close() })
	defer stop()

	quit := make(chan struct{})
	var wg sync.WaitGroup
	if resize != nil {
		wg.Go(func() { c.sendResizes(resize, quit) })
	}
	if c.opts.Stdin && stdin != nil {
		go c.sendStdin(stdin)
	}
	code, err := c.receive(stdout, stderr)
	close(quit)
	wg.Wait()
	if err != nil && ctx.Err() != nil {
		return -1, fmt.Errorf("attach %s: %w", c.path, ctx.Err())
	}
	return code, err
}

func (c *Client) sendResizes(resize <-chan Size, quit <-chan struct{}) {
	var p [4]byte
	for {
		select {
		case <-quit:
			return
		case sz, ok := <-resize:
			if !ok {
				return
			}
			binary.BigEndian.PutUint16(p[0:2], sz.Width)
			binary.BigEndian.PutUint16(p[2:4], sz.Height)
			if c.send(frameResize, p[:]) != nil {
				return
			}
		}
	}
}

// sendStdin copies stdin in frames; its end, or a read error, closes the
// container's stdin. A failed send means the session is over.
func (c *Client) sendStdin(stdin io.Reader) {
	buf := make([]byte, MaxPayload)
	for {
		n, err := stdin.Read(buf)
		if n > 0 {
			if c.send(frameStdin, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			_ = c.send(frameStdinClose, nil)
			return
		}
	}
}

// receive handles the server's frames until the exit frame.
func (c *Client) receive(stdout, stderr io.Writer) (int, error) {
	for {
		t, p, err := c.dec.next()
		switch {
		case errors.As(err, new(*sessionError)):
			return -1, fmt.Errorf("attach %s: %w", c.path, err)
		case err != nil:
			// EOF, a reset, or Run's own close: the server dropped us (too
			// slow) or went away, or ctx ended the session.
			return -1, fmt.Errorf("attach %s: connection lost before the container exited: %v: %w",
				c.path, err, errdefs.ErrUnavailable)
		}
		var w io.Writer
		switch t {
		case frameStdout:
			w = stdout
		case frameStderr:
			w = stderr
		case frameExit:
			return int(int32(binary.BigEndian.Uint32(p))), nil
		case frameError:
			return -1, fmt.Errorf("attach %s: server ended the session: %s: %w", c.path, p, errdefs.ErrInvalidArgument)
		default:
			return -1, fmt.Errorf("attach %s: %w", c.path, protocolError("unexpected frame %#02x from the server", uint8(t)))
		}
		if w != nil {
			if _, err := w.Write(p); err != nil {
				return -1, fmt.Errorf("attach %s: copy output: %w", c.path, err)
			}
		}
	}
}

// Close ends the session. Run calls it; call it for a Client never run.
func (c *Client) Close() error {
	err := c.conn.Close()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
