package layer

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/vbatts/tar-split/tar/storage"
)

// segmentChunk bounds one tar-split segment, so long runs of non-content
// bytes (sparse data, trailing padding) never sit whole in memory.
const segmentChunk = 1 << 20

var errTooMuchMetadata = errors.New("too many bytes besides file content (headers, padding, sparse data, trailing data)")

func tooMuchMetadata(max int64) error {
	return fmt.Errorf("%w: more than %d", errTooMuchMetadata, max)
}

// tap sits between the layer stream and the tar reader. It hashes every
// byte (the diffID) and, unless the reader is in the middle of a regular
// file's content, captures the bytes as tar-split segments. What tap
// captures plus the file contents are therefore the stream, byte for byte,
// whatever the tar reader makes of it: this is how Export is exact even
// for sparse files and trailing garbage.
type tap struct {
	r        io.Reader
	h        hash.Hash
	n        int64
	capture  bool
	seg      []byte
	captured int64
	max      int64
	pk       *packer
	err      error // sticky
}

func newTap(r io.Reader, pk *packer, max int64) *tap {
	return &tap{r: r, h: sha256.New(), capture: true, max: max, pk: pk}
}

func (t *tap) Read(p []byte) (int, error) {
	if t.err != nil {
		return 0, t.err
	}
	n, err := t.r.Read(p)
	if n > 0 {
		t.h.Write(p[:n])
		t.n += int64(n)
		if t.capture {
			t.seg = append(t.seg, p[:n]...)
			t.captured += int64(n)
			if t.captured > t.max {
				t.err = tooMuchMetadata(t.max)
				return n, t.err
			}
			if len(t.seg) >= segmentChunk {
				if ferr := t.flush(); ferr != nil {
					return n, ferr
				}
			}
		}
	}
	return n, err
}

// flush emits the captured bytes as one segment.
func (t *tap) flush() error {
	if len(t.seg) == 0 || t.err != nil {
		return t.err
	}
	if err := t.pk.segment(t.seg); err != nil {
		t.err = err
		return err
	}
	t.seg = t.seg[:0]
	return nil
}

// packer writes tar-split entries as JSON lines (tar-split's own format,
// so its tools read the result) into a gzip'd buffer. It is tar-split's
// JSON packer without the refusal of duplicate names (a layer may list a
// path twice, and Export serves payloads by position, not by name), and it
// writes the lines itself: encoding/json spent more time checking the
// base64 of every header for characters to escape than anything else.
type packer struct {
	buf  bytes.Buffer
	gz   *gzip.Writer
	line []byte
	pos  int
}

func newPacker() *packer {
	p := &packer{}
	p.gz, _ = gzip.NewWriterLevel(&p.buf, gzip.BestSpeed)
	return p
}

// segment adds raw tar bytes: {"type":2,"payload":"<base64>","position":N}.
func (p *packer) segment(b []byte) error {
	l := append(p.line[:0], `{"type":2,"payload":"`...)
	l = base64.StdEncoding.AppendEncode(l, b)
	l = append(l, `","position":`...)
	return p.end(l)
}

// file adds a file entry: {"type":1,"name":"…","size":N,"payload":"<CRC-64
// base64>","position":N}, with "name_raw" (base64) for a name that is not
// UTF-8, as storage.Entry.SetName does.
func (p *packer) file(name string, size int64, crc []byte) error {
	l := append(p.line[:0], `{"type":1,`...)
	if utf8.ValidString(name) {
		q, err := json.Marshal(name)
		if err != nil {
			return fmt.Errorf("tar-split: %w", err)
		}
		l = append(append(l, `"name":`...), q...)
	} else {
		l = append(l, `"name_raw":"`...)
		l = base64.StdEncoding.AppendEncode(l, []byte(name))
		l = append(l, '"')
	}
	if size != 0 {
		l = append(l, `,"size":`...)
		l = strconv.AppendInt(l, size, 10)
	}
	if crc == nil {
		l = append(l, `,"payload":null,"position":`...)
	} else {
		l = append(l, `,"payload":"`...)
		l = base64.StdEncoding.AppendEncode(l, crc)
		l = append(l, `","position":`...)
	}
	return p.end(l)
}

func (p *packer) end(l []byte) error {
	l = strconv.AppendInt(l, int64(p.pos), 10)
	l = append(l, "}\n"...)
	p.line = l
	if _, err := p.gz.Write(l); err != nil {
		return fmt.Errorf("tar-split: %w", err)
	}
	p.pos++
	return nil
}

func (p *packer) close() ([]byte, error) {
	if err := p.gz.Close(); err != nil {
		return nil, fmt.Errorf("tar-split: %w", err)
	}
	return p.buf.Bytes(), nil
}

// splitReader reads tar-split JSON lines for asm.WriteOutputTarStream.
// Segment lines in the exact shape packer writes them (most of the data)
// are parsed directly; anything else goes through encoding/json, so files
// written by tar-split's own packer read as well.
type splitReader struct {
	r    *bufio.Reader
	line []byte
}

func newSplitReader(r io.Reader) *splitReader {
	return &splitReader{r: bufio.NewReaderSize(r, 64<<10)}
}

const segmentPrefix = `{"type":2,"payload":"`

func (u *splitReader) Next() (*storage.Entry, error) {
	line, err := u.readLine()
	if err != nil {
		return nil, err
	}
	if e, ok := parseSegment(line); ok {
		return e, nil
	}
	if e, ok := parseFile(line); ok {
		return e, nil
	}
	var e storage.Entry
	if err := json.Unmarshal(line, &e); err != nil {
		return nil, fmt.Errorf("tar-split: %w", err)
	}
	return &e, nil
}

// readLine returns the next non-empty line, valid until the next call.
func (u *splitReader) readLine() ([]byte, error) {
	for {
		b, err := u.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			u.line = append(u.line[:0], b...)
			for errors.Is(err, bufio.ErrBufferFull) {
				b, err = u.r.ReadSlice('\n')
				u.line = append(u.line, b...)
			}
			b = u.line
		}
		if err != nil && !(err == io.EOF && len(bytes.TrimSpace(b)) > 0) {
			return nil, err
		}
		if b = bytes.TrimSpace(b); len(b) > 0 {
			return b, nil
		}
	}
}

// parseFile parses {"type":1,"name":"…"[,"size":N],"payload":null|"<base64>","position":N}
// for names without JSON escapes.
func parseFile(line []byte) (*storage.Entry, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(`{"type":1,"name":"`))
	if !ok {
		return nil, false
	}
	name, rest, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || !plainJSONString(name) {
		return nil, false
	}
	e := &storage.Entry{Type: storage.FileType, Name: string(name)}
	if num, r, ok := cutNumber(rest, `,"size":`); ok {
		e.Size, rest = num, r
	}
	if r, ok := bytes.CutPrefix(rest, []byte(`,"payload":null`)); ok {
		rest = r
	} else if r, ok := bytes.CutPrefix(rest, []byte(`,"payload":"`)); ok {
		b64, r, ok := bytes.Cut(r, []byte(`"`))
		if !ok || !plainBase64(b64) {
			return nil, false
		}
		p, err := base64.StdEncoding.DecodeString(string(b64))
		if err != nil {
			return nil, false
		}
		e.Payload, rest = p, r
	} else {
		return nil, false
	}
	pos, rest, ok := cutNumber(rest, `,"position":`)
	if !ok || string(rest) != "}" {
		return nil, false
	}
	e.Position = int(pos)
	return e, true
}

// plainBase64 reports whether b holds no line break: Go's base64 decoder
// skips CR and LF, while JSON forbids them raw in a string, so a line
// with one must go to encoding/json (which refuses it).
func plainBase64(b []byte) bool {
	return bytes.IndexAny(b, "\r\n") < 0
}

// plainJSONString reports whether b is valid UTF-8 that JSON carries
// unescaped (no backslash, no control character).
func plainJSONString(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c == '\\' {
			return false
		}
	}
	return utf8.Valid(b)
}

// cutNumber parses prefix followed by a JSON integer (no leading zeros).
func cutNumber(b []byte, prefix string) (int64, []byte, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(prefix))
	if !ok {
		return 0, b, false
	}
	i := 0
	if i < len(rest) && rest[i] == '-' {
		i++
	}
	start := i
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i == start || rest[start] == '0' && i > start+1 {
		return 0, b, false
	}
	n, err := strconv.ParseInt(string(rest[:i]), 10, 64)
	if err != nil {
		return 0, b, false
	}
	return n, rest[i:], true
}

// parseSegment parses {"type":2,"payload":"<base64>","position":N}.
func parseSegment(line []byte) (*storage.Entry, bool) {
	rest, ok := bytes.CutPrefix(line, []byte(segmentPrefix))
	if !ok {
		return nil, false
	}
	b64, rest, ok := bytes.Cut(rest, []byte(`"`))
	if !ok || !plainBase64(b64) {
		return nil, false
	}
	pos, rest, ok := cutNumber(rest, `,"position":`)
	if !ok || string(rest) != "}" {
		return nil, false
	}
	payload := make([]byte, base64.StdEncoding.DecodedLen(len(b64)))
	n, err := base64.StdEncoding.Decode(payload, b64)
	if err != nil {
		return nil, false
	}
	return &storage.Entry{Type: storage.SegmentType, Payload: payload[:n], Position: int(pos)}, true
}
