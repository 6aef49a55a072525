package crilog

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// Entry is one parsed record.
type Entry struct {
	Time   time.Time
	Stream Stream
	// Partial is true for a P record: the line goes on in the stream's next
	// record. A P record at the end of a stream is a line the container
	// never finished.
	Partial bool
	// Content is the record's bytes without the record's newline. Entries
	// from Parse and Scanner alias their input; ReadAll's own their bytes.
	Content []byte
}

// Line gives the bytes the container wrote for this record: Content, plus
// the newline that ended the line when the record is F. Concatenating the
// Line of every record of a stream gives back the stream, which is what the
// kubelet prints.
func (e Entry) Line() []byte {
	if e.Partial {
		return e.Content
	}
	return append(e.Content[:len(e.Content):len(e.Content)], '\n')
}

// Parse parses one record, with or without its trailing newline. Like the
// kubelet it accepts any RFC 3339 timestamp and extra tags after a ':' in
// the tag field; unlike the kubelet, it rejects a tag other than P or F and
// CONTENT holding a newline, since no writer of the format produces them.
// Errors wrap errdefs.ErrInvalidArgument.
func Parse(line []byte) (Entry, error) {
	line = bytes.TrimSuffix(line, []byte{'\n'})
	ts, rest, ok := bytes.Cut(line, []byte{' '})
	if !ok {
		return Entry{}, invalid("no timestamp delimiter")
	}
	t, err := time.Parse(time.RFC3339Nano, string(ts))
	if err != nil {
		return Entry{}, invalid(fmt.Sprintf("timestamp %.40q", ts))
	}
	stream, rest, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return Entry{}, invalid("no stream delimiter")
	}
	s := Stream(stream)
	if !s.Valid() {
		return Entry{}, invalid(fmt.Sprintf("stream %.20q", stream))
	}
	tags, content, ok := bytes.Cut(rest, []byte{' '})
	if !ok {
		return Entry{}, invalid("no tag delimiter")
	}
	tag, _, _ := bytes.Cut(tags, []byte{tagDelimiter})
	if len(tag) != 1 || (tag[0] != tagPartial && tag[0] != tagFull) {
		return Entry{}, invalid(fmt.Sprintf("tag %.20q", tags))
	}
	if bytes.IndexByte(content, '\n') >= 0 {
		return Entry{}, invalid("newline inside content")
	}
	return Entry{Time: t, Stream: s, Partial: tag[0] == tagPartial, Content: content}, nil
}

func invalid(what string) error {
	return fmt.Errorf("crilog: malformed record: %s: %w", what, errdefs.ErrInvalidArgument)
}

// Scanner reads records one by one, like bufio.Scanner.
type Scanner struct {
	r    *bufio.Reader
	e    Entry
	err  error
	line int
	// Lenient skips malformed records (counting them in Skipped) instead of
	// stopping at the first, as the kubelet does.
	Lenient bool
	Skipped int
}

// NewScanner reads records from r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// Scan advances to the next record. It returns false at the end of input or
// on an error, which Err then reports. A last line without a newline is a
// record torn by a crash or still being written; it is parsed all the same.
func (s *Scanner) Scan() bool {
	for s.err == nil {
		raw, err := s.readRecord()
		if err == io.EOF {
			return false
		}
		s.line++
		if err == nil {
			var e Entry
			if e, err = Parse(raw); err == nil {
				s.e = e
				return true
			}
		}
		if !s.Lenient || !errors.Is(err, errdefs.ErrInvalidArgument) {
			s.err = fmt.Errorf("line %d: %w", s.line, err)
			return false
		}
		s.Skipped++
	}
	return false
}

// errTooLong marks a record over MaxRecordSize; readRecord has skipped it.
var errTooLong = fmt.Errorf("crilog: record longer than %d bytes: %w", MaxRecordSize, errdefs.ErrInvalidArgument)

// readRecord returns the next line. io.EOF (unwrapped) means no more
// lines. A line over MaxRecordSize is read to its end without keeping it,
// so memory stays bounded, and reported as errTooLong.
func (s *Scanner) readRecord() ([]byte, error) {
	var long []byte // only for records longer than the bufio buffer
	tooLong := false
	for {
		frag, err := s.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			if !tooLong {
				long = append(long, frag...)
				if len(long) > MaxRecordSize {
					tooLong, long = true, nil
				}
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("crilog: read: %w", err)
		}
		switch {
		case tooLong:
			return nil, errTooLong
		case long != nil:
			frag = append(long, frag...)
			if len(frag) > MaxRecordSize {
				return nil, errTooLong
			}
		}
		if len(frag) == 0 {
			return nil, io.EOF
		}
		return frag, nil
	}
}

// Entry is the record Scan found. Its Content is valid until the next Scan.
func (s *Scanner) Entry() Entry { return s.e }

// Err is the error that stopped Scan, nil at a clean end of input.
func (s *Scanner) Err() error { return s.err }

// ReadAll parses every record of r, stopping at the first malformed one.
func ReadAll(r io.Reader) ([]Entry, error) {
	var out []Entry
	sc := NewScanner(r)
	for sc.Scan() {
		e := sc.Entry()
		e.Content = bytes.Clone(e.Content)
		out = append(out, e)
	}
	return out, sc.Err()
}
