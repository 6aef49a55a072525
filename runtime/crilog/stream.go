package crilog

import (
	"bytes"
	"fmt"
	"os"
	"sync"
)

// StreamWriter turns the bytes of one container stream into records. It
// holds at most MaxLineSize bytes of an unfinished line.
type StreamWriter struct {
	w      *Writer
	stream Stream

	mu     sync.Mutex
	buf    []byte  // start of the current line, not yet written
	timer  stopper // pending PartialFlush, nil when none is armed
	closed bool
}

// Write splits p into records. It returns an error only once the stream or
// the Writer is closed: a failing disk drops records (and logs it) rather
// than stopping the copy from the container's pipe, which would block the
// container on a full pipe.
func (s *StreamWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, fmt.Errorf("crilog: write %s: %w", s.stream, os.ErrClosed)
	}
	n := len(p)
	limit := s.w.maxLine
	for len(p) > 0 {
		seg, rest, nl := cutLine(p)
		// Cut only when the line is strictly longer than the limit, as
		// containerd does: a line of exactly limit bytes stays one F record.
		for len(s.buf)+len(seg) > limit {
			k := limit - len(s.buf)
			if err := s.w.writeRecord(s.stream, true, s.buf, seg[:k]); err != nil {
				return 0, err
			}
			s.buf, seg = s.buf[:0], seg[k:]
		}
		if nl {
			if err := s.w.writeRecord(s.stream, false, s.buf, seg); err != nil {
				return 0, err
			}
			s.buf = s.buf[:0]
		} else {
			s.buf = append(s.buf, seg...)
		}
		p = rest
	}
	if len(s.buf) > 0 && s.w.flush > 0 && s.timer == nil {
		s.timer = s.w.afterFunc(s.w.flush, s.idleFlush)
	}
	return n, nil
}

// cutLine splits p at its first newline: seg is the line without it, nl
// tells whether there was one.
func cutLine(p []byte) (seg, rest []byte, nl bool) {
	i := bytes.IndexByte(p, '\n')
	if i < 0 {
		return p, nil, false
	}
	return p[:i], p[i+1:], true
}

// idleFlush runs when a PartialFlush timer fires. It may find the line
// already finished, or a later unfinished one; writing that one early is
// harmless, as any P record is.
func (s *StreamWriter) idleFlush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timer = nil
	if !s.closed {
		_ = s.flushLocked() // only fails once closed, checked above
	}
}

// Flush writes the buffered start of an unfinished line, if any, as a P
// record.
func (s *StreamWriter) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("crilog: flush %s: %w", s.stream, os.ErrClosed)
	}
	return s.flushLocked()
}

func (s *StreamWriter) flushLocked() error {
	if len(s.buf) == 0 {
		return nil
	}
	err := s.w.writeRecord(s.stream, true, s.buf, nil)
	s.buf = s.buf[:0]
	return err
}

// Close marks the end of the stream (the container closed it): an
// unfinished line is written as a final P record, as containerd does at
// EOF. Later writes fail. Closing twice is harmless.
func (s *StreamWriter) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	err := s.flushLocked()
	s.closed = true
	s.buf = nil
	return err
}
