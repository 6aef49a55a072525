package attach

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ocid-project/ocid/errdefs"
)

// MaxPayload is the largest frame payload. Output and stdin larger than
// this travel in several frames.
const MaxPayload = 32 << 10

const headerSize = 5

// protocolVersion is the hello's version byte.
const protocolVersion = 1

type frameType uint8

const (
	frameHello      frameType = 0x01
	frameStdin      frameType = 0x02
	frameStdinClose frameType = 0x03
	frameResize     frameType = 0x04

	frameReady  frameType = 0x81
	frameStdout frameType = 0x82
	frameStderr frameType = 0x83
	frameExit   frameType = 0x84
	frameError  frameType = 0x85
)

// Hello flags.
const (
	flagStdin  = 1 << 0
	flagStdout = 1 << 1
	flagStderr = 1 << 2
	flagTTY    = 1 << 3
	flagsKnown = flagStdin | flagStdout | flagStderr | flagTTY
)

// payloadSize is the fixed payload size of a frame type, -1 for variable,
// and whether the type exists at all.
func payloadSize(t frameType) (size int, known bool) {
	switch t {
	case frameHello:
		return 2, true
	case frameStdinClose, frameReady:
		return 0, true
	case frameResize, frameExit:
		return 4, true
	case frameStdin, frameStdout, frameStderr, frameError:
		return -1, true
	}
	return 0, false
}

// toServer reports whether t is sent by clients.
func (t frameType) toServer() bool { return t < 0x80 }

// sessionError ends a session: the server sends msg to the client in an
// error frame before closing.
type sessionError struct {
	msg  string
	kind error // the errdefs sentinel it wraps
}

func (e *sessionError) Error() string { return "attach: " + e.msg }
func (e *sessionError) Unwrap() error { return e.kind }

// protocolError is a malformed or misplaced frame.
func protocolError(format string, args ...any) error {
	return &sessionError{msg: "protocol error: " + fmt.Sprintf(format, args...), kind: errdefs.ErrInvalidArgument}
}

// refusal is a well-formed hello the server cannot serve.
func refusal(msg string) error {
	return &sessionError{msg: msg, kind: errdefs.ErrPrecondition}
}

func isSessionError(err error) (*sessionError, bool) {
	var se *sessionError
	return se, errors.As(err, &se)
}

// appendFrame appends one frame to dst. p must fit MaxPayload.
func appendFrame(dst []byte, t frameType, p []byte) []byte {
	dst = append(dst, byte(t))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(p)))
	return append(dst, p...)
}

// decoder reads frames. Its payloads alias one buffer, valid until the next
// call, so reading costs no allocation per frame.
type decoder struct {
	r   io.Reader
	hdr [headerSize]byte
	buf []byte
}

func newDecoder(r io.Reader) *decoder {
	return &decoder{r: r, buf: make([]byte, MaxPayload)}
}

// next reads one frame. It returns io.EOF, unwrapped, at a clean end
// between frames, an error wrapping io.ErrUnexpectedEOF for a frame cut
// short by the end of the stream (the peer went away: not its fault), and
// a *sessionError for a malformed frame.
func (d *decoder) next() (frameType, []byte, error) {
	if _, err := io.ReadFull(d.r, d.hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, nil, fmt.Errorf("attach: frame header cut short: %w", err)
		}
		return 0, nil, err
	}
	t := frameType(d.hdr[0])
	n := binary.BigEndian.Uint32(d.hdr[1:])
	size, known := payloadSize(t)
	switch {
	case !known:
		return 0, nil, protocolError("unknown frame type %#02x", uint8(t))
	case n > MaxPayload:
		return 0, nil, protocolError("frame %#02x of %d bytes over %d", uint8(t), n, MaxPayload)
	case size >= 0 && int(n) != size:
		return 0, nil, protocolError("frame %#02x of %d bytes, want %d", uint8(t), n, size)
	}
	p := d.buf[:n]
	if _, err := io.ReadFull(d.r, p); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, fmt.Errorf("attach: frame %#02x cut short: %w", uint8(t), err)
	}
	return t, p, nil
}
