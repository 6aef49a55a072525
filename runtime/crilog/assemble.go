package crilog

import "time"

// DefaultMaxAssembled bounds a line an Assembler puts together.
const DefaultMaxAssembled = 1 << 20

// Line is a line of one stream put back together from its P…F records.
type Line struct {
	// Time is the timestamp of the line's first record.
	Time   time.Time
	Stream Stream
	// Content is the line without its newline.
	Content []byte
	// Complete is false when the line has no newline: the stream ended (or
	// the log stopped) on it, or it was longer than the Assembler's bound
	// and the rest follows as another Line.
	Complete bool
}

// Assembler joins the P records of each stream with the F record that ends
// them, for readers that show whole lines (the records of the two streams
// may interleave in the file). Its zero value is ready to use.
type Assembler struct {
	// Max bounds a joined line; 0 means DefaultMaxAssembled. A longer line
	// comes out in pieces (Complete false but for the last) of at most Max
	// bytes and one record.
	Max  int
	pend [2]pending
}

type pending struct {
	time time.Time
	buf  []byte
	open bool
}

func streamIndex(s Stream) int {
	if s == Stderr {
		return 1
	}
	return 0
}

// Add takes the next record and returns the line it completes, if any. The
// returned Content is valid until the next call for the same stream.
func (a *Assembler) Add(e Entry) (Line, bool) {
	limit := a.Max
	if limit <= 0 {
		limit = DefaultMaxAssembled
	}
	p := &a.pend[streamIndex(e.Stream)]
	if !p.open && !e.Partial {
		// The common case, a whole line in one record: no copy.
		return Line{Time: e.Time, Stream: e.Stream, Content: e.Content, Complete: true}, true
	}
	if !p.open {
		p.time, p.buf, p.open = e.Time, p.buf[:0], true
	}
	p.buf = append(p.buf, e.Content...)
	if !e.Partial {
		p.open = false
		return Line{Time: p.time, Stream: e.Stream, Content: p.buf, Complete: true}, true
	}
	if len(p.buf) >= limit {
		// Hand out what is held; the stream's next record starts the next
		// piece. A piece is thus at most Max plus one record.
		p.open = false
		return Line{Time: p.time, Stream: e.Stream, Content: p.buf}, true
	}
	return Line{}, false
}

// Flush returns the unfinished lines still held, stdout's first, and
// forgets them: call it at the end of the log.
func (a *Assembler) Flush() []Line {
	var out []Line
	for i, s := range []Stream{Stdout, Stderr} {
		p := &a.pend[i]
		if p.open {
			out = append(out, Line{Time: p.time, Stream: s, Content: p.buf})
			p.open, p.buf = false, nil
		}
	}
	return out
}
