package layer

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/objects"
)

// A layer metadata directory holds two files:
//
//	entries            gzip of the entry list, binary, below
//	tar-split.json.gz  gzip of tar-split JSON lines (github.com/vbatts/tar-split
//	                   tar/storage entries, readable by its tools): the tar's
//	                   headers, padding and other non-content bytes as
//	                   base64 segments, and per file a name, size and CRC-64
//
// The entries file, version 1 (uvarint/varint as in encoding/binary,
// str = uvarint length + bytes):
//
//	magic "ocid-layer-entries\n", uvarint version (1)
//	diffID  32 bytes (SHA-256 of the uncompressed stream)
//	size    uvarint (bytes of the uncompressed stream)
//	count   uvarint
//	count × entry:
//	  type byte, flags byte (1: object follows, 2: payload)
//	  path str, mode uvarint, uid uvarint, gid uvarint,
//	  mtime seconds varint, mtime nanoseconds uvarint,
//	  xattr count uvarint, then per xattr name str, value str,
//	  linkname str, devmajor uvarint, devminor uvarint, size varint,
//	  object 32 bytes (if flag 1)
//	magic again (a truncated file fails even if gzip's own check is skipped)
const (
	entriesFile   = "entries"
	tarSplitFile  = "tar-split.json.gz"
	entriesMagic  = "ocid-layer-entries\n"
	formatVersion = 1

	flagObject  = 1
	flagPayload = 2
)

// WriteDir writes the layer's metadata into dir (created if missing). Each
// file is written under a temporary name and renamed, so a reader never
// sees half a file; like objects.Put it does not fsync (the store syncs the
// filesystem once before recording the layer).
func (l *Layer) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("layer metadata: %w", err)
	}
	var buf bytes.Buffer
	gz, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	bw := bufio.NewWriter(gz)
	l.encode(bw)
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("layer metadata: %w", err)
	}
	if err := gz.Close(); err != nil {
		return fmt.Errorf("layer metadata: %w", err)
	}
	if err := writeFile(filepath.Join(dir, entriesFile), buf.Bytes()); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, tarSplitFile), l.tarSplit)
}

func writeFile(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return fmt.Errorf("layer metadata: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("layer metadata: %w", err)
	}
	return nil
}

func (l *Layer) encode(w *bufio.Writer) {
	var scratch [binary.MaxVarintLen64]byte
	uv := func(v uint64) { w.Write(binary.AppendUvarint(scratch[:0], v)) }
	str := func(s string) { uv(uint64(len(s))); w.WriteString(s) }
	w.WriteString(entriesMagic)
	uv(formatVersion)
	// A layer always has a SHA-256 diffID; anything else encodes as zeros.
	sum := make([]byte, 32)
	if b, err := hex.DecodeString(l.diffID.Encoded()); err == nil && len(b) == 32 && l.diffID.Algorithm() == digest.SHA256 {
		sum = b
	}
	w.Write(sum)
	uv(uint64(l.size))
	uv(uint64(len(l.Entries)))
	for i := range l.Entries {
		e := &l.Entries[i]
		var flags byte
		if !e.Object.IsZero() {
			flags |= flagObject
		}
		if e.Payload {
			flags |= flagPayload
		}
		w.WriteByte(byte(e.Type))
		w.WriteByte(flags)
		str(e.Path)
		uv(uint64(e.Mode))
		uv(uint64(e.UID))
		uv(uint64(e.GID))
		w.Write(binary.AppendVarint(scratch[:0], e.Mtime.Unix()))
		uv(uint64(e.Mtime.Nanosecond()))
		uv(uint64(len(e.Xattrs)))
		for _, x := range e.Xattrs {
			str(x.Name)
			str(string(x.Value))
		}
		str(e.Linkname)
		uv(uint64(e.Devmajor))
		uv(uint64(e.Devminor))
		w.Write(binary.AppendVarint(scratch[:0], e.Size))
		if flags&flagObject != 0 {
			w.Write(e.Object[:])
		}
	}
	w.WriteString(entriesMagic)
}

// ReadLayer reads a layer metadata directory written by WriteDir. The
// entries are checked as Unpack checked them (paths clean and inside the
// layer), so a damaged or planted file cannot steer a checkout outside its
// directory; the checkout builder checks again anyway.
func ReadLayer(dir string) (*Layer, error) {
	ts, err := os.ReadFile(filepath.Join(dir, tarSplitFile))
	if err != nil {
		return nil, fmt.Errorf("layer metadata: %w", notFound(err))
	}
	f, err := os.Open(filepath.Join(dir, entriesFile))
	if err != nil {
		return nil, fmt.Errorf("layer metadata: %w", notFound(err))
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		return nil, fmt.Errorf("layer metadata %s: %w: %w", f.Name(), err, errdefs.ErrInvalidArgument)
	}
	l, err := decode(bufio.NewReaderSize(gz, 64<<10))
	if err == nil {
		// Read to gzip's end so its checksum is verified.
		_, err = io.Copy(io.Discard, gz)
	}
	if err != nil {
		return nil, fmt.Errorf("layer metadata %s: %w: %w", f.Name(), err, errdefs.ErrInvalidArgument)
	}
	l.tarSplit = ts
	return l, nil
}

func notFound(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: %w", err, errdefs.ErrNotFound)
	}
	return err
}

type decoder struct {
	r   *bufio.Reader
	err error
}

func (d *decoder) uv(max uint64) uint64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadUvarint(d.r)
	if err == nil && v > max {
		err = fmt.Errorf("value %d out of range", v)
	}
	d.err = err
	return v
}

func (d *decoder) v() int64 {
	if d.err != nil {
		return 0
	}
	v, err := binary.ReadVarint(d.r)
	d.err = err
	return v
}

func (d *decoder) bytes(n int, max int) []byte {
	if d.err != nil || n > max {
		if d.err == nil {
			d.err = fmt.Errorf("length %d out of range", n)
		}
		return nil
	}
	b := make([]byte, n)
	_, d.err = io.ReadFull(d.r, b)
	return b
}

func (d *decoder) str(max int) string {
	n := d.uv(uint64(max))
	return string(d.bytes(int(n), max))
}

func decode(r *bufio.Reader) (*Layer, error) {
	d := &decoder{r: r}
	if m := d.bytes(len(entriesMagic), len(entriesMagic)); d.err == nil && string(m) != entriesMagic {
		return nil, errors.New("not a layer entries file")
	}
	if v := d.uv(1 << 20); d.err == nil && v != formatVersion {
		return nil, fmt.Errorf("entries format version %d, this ocid reads %d", v, formatVersion)
	}
	l := &Layer{}
	if sum := d.bytes(32, 32); d.err == nil {
		l.diffID = digest.NewDigestFromBytes(digest.SHA256, sum)
	}
	l.size = int64(d.uv(1 << 62))
	n := d.uv(DefaultMaxEntries * 64)
	if d.err != nil {
		return nil, d.err
	}
	l.Entries = make([]Entry, 0, min(n, 1<<16))
	for i := uint64(0); i < n; i++ {
		var e Entry
		typ := d.bytes(2, 2)
		if d.err != nil {
			break
		}
		e.Type = Type(typ[0])
		flags := typ[1]
		e.Path = d.str(maxPath)
		e.Mode = uint32(d.uv(objects.ModeMask))
		e.UID = uint32(d.uv(maxID))
		e.GID = uint32(d.uv(maxID))
		sec := d.v()
		nsec := d.uv(999999999)
		e.Mtime = time.Unix(sec, int64(nsec))
		nx := d.uv(1 << 16)
		for j := uint64(0); j < nx && d.err == nil; j++ {
			name := d.str(maxComponent)
			e.Xattrs = append(e.Xattrs, objects.Xattr{Name: name, Value: []byte(d.str(maxXattrValue))})
		}
		e.Linkname = d.str(maxPath)
		e.Devmajor = uint32(d.uv(1<<32 - 1))
		e.Devminor = uint32(d.uv(1<<32 - 1))
		e.Size = d.v()
		if flags&flagObject != 0 {
			copy(e.Object[:], d.bytes(32, 32))
		}
		e.Payload = flags&flagPayload != 0
		if d.err != nil {
			break
		}
		if err := e.Validate(); err != nil {
			return nil, fmt.Errorf("entry %d (%q): %w", i, e.Path, err)
		}
		l.Entries = append(l.Entries, e)
	}
	if m := d.bytes(len(entriesMagic), len(entriesMagic)); d.err == nil && string(m) != entriesMagic {
		return nil, errors.New("entries file does not end with its magic")
	}
	if d.err != nil {
		if d.err == io.EOF {
			d.err = io.ErrUnexpectedEOF
		}
		return nil, d.err
	}
	return l, nil
}

// Validate checks what a checkout relies on: a known type, a clean path
// (see IsCleanPath), a clean hardlink target, an object for regular files
// and payloads, and xattr names objects accept. ReadLayer and the checkout
// builder call it on every entry, whatever produced the layer.
func (e *Entry) Validate() error {
	if e.Type < TypeDir || e.Type > TypeIgnored {
		return fmt.Errorf("unknown entry type %d", e.Type)
	}
	if !IsCleanPath(e.Path) {
		return fmt.Errorf("path %q is not clean", e.Path)
	}
	if e.Path == "." && e.Type != TypeDir && e.Type != TypeOpaque {
		return fmt.Errorf("the root can only be a directory, not a %s", e.Type)
	}
	if e.Type == TypeHardlink && (!IsCleanPath(e.Linkname) || e.Linkname == ".") {
		return fmt.Errorf("hardlink target %q is not clean", e.Linkname)
	}
	if e.Size < 0 || (e.Payload || e.Type == TypeReg) && e.Object.IsZero() {
		return fmt.Errorf("bad size or missing object")
	}
	for _, x := range e.Xattrs {
		if !objects.XattrAllowed(x.Name) {
			return fmt.Errorf("xattr %q is not allowed", x.Name)
		}
	}
	return nil
}
