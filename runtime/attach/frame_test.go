package attach

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

func testTimeout() <-chan time.Time { return time.After(failAfter) }

func TestFrameRoundTrip(t *testing.T) {
	var stream []byte
	frames := []struct {
		t frameType
		p []byte
	}{
		{frameHello, []byte{1, flagStdout | flagTTY}},
		{frameStdin, bytes.Repeat([]byte("x"), MaxPayload)},
		{frameStdin, nil},
		{frameStdinClose, nil},
		{frameResize, []byte{0, 80, 0, 24}},
		{frameExit, []byte{0xff, 0xff, 0xff, 0xff}},
	}
	for _, f := range frames {
		stream = appendFrame(stream, f.t, f.p)
	}
	dec := newDecoder(bytes.NewReader(stream))
	for i, f := range frames {
		ft, p, err := dec.next()
		if err != nil || ft != f.t || !bytes.Equal(p, f.p) {
			t.Fatalf("frame %d: %#x %d bytes %v", i, ft, len(p), err)
		}
	}
	if _, _, err := dec.next(); err != io.EOF {
		t.Fatalf("at the end: %v", err)
	}
}

func TestFrameErrors(t *testing.T) {
	for name, data := range map[string][]byte{
		"short header":  {byte(frameStdin), 0, 0},
		"short payload": appendFrame(nil, frameStdin, []byte("abc"))[:6],
	} {
		_, _, err := newDecoder(bytes.NewReader(data)).next()
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	for name, data := range map[string][]byte{
		"unknown type":    appendFrame(nil, 0x42, nil),
		"over max":        {byte(frameStdout), 0, 0, 0x80, 1},
		"ready with data": appendFrame(nil, frameReady, []byte("x")),
		"short exit":      appendFrame(nil, frameExit, []byte{1}),
	} {
		_, _, err := newDecoder(bytes.NewReader(data)).next()
		if _, ok := isSessionError(err); !ok || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// FuzzDecoder feeds the decoder arbitrary bytes, as a hostile client could:
// it must not panic, must not hand out more than MaxPayload, and what it
// accepts must encode back to the same bytes.
func FuzzDecoder(f *testing.F) {
	f.Add(appendFrame(nil, frameHello, []byte{1, 7}))
	f.Add(appendFrame(appendFrame(nil, frameStdin, []byte("abc")), frameResize, []byte{0, 1, 0, 2}))
	f.Add([]byte{byte(frameStdout), 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0x7f, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		dec := newDecoder(bytes.NewReader(data))
		var again []byte
		for {
			ft, p, err := dec.next()
			if err != nil {
				if _, ok := isSessionError(err); !ok && err != io.EOF && !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				break
			}
			if len(p) > MaxPayload {
				t.Fatalf("payload of %d bytes", len(p))
			}
			again = appendFrame(again, ft, p)
		}
		if !bytes.HasPrefix(data, again) {
			t.Fatalf("re-encoding differs from the input")
		}
	})
}
