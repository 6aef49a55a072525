package layer

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"hash"
	"hash/crc64"
	"io"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/storage"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/objects"
)

// Unpack reads the uncompressed layer tar r once, to its very end: every
// regular file's content goes to objs (deduplicated), every entry is
// validated and recorded, and every other byte of the stream is kept as
// tar-split data so Export can rebuild the stream exactly. The returned
// layer's DiffID is the SHA-256 of all bytes read; the caller compares it
// with the diffID it expects.
//
// A hostile or malformed tar fails with an error naming the entry and
// wrapping errdefs.ErrInvalidArgument; a failing r gives r's error. Objects
// put before a failure stay in objs, unreferenced, for the store's GC.
// Several Unpacks may run at once into the same objs.
func Unpack(ctx context.Context, r io.Reader, objs *objects.Store, opts Options) (*Layer, error) {
	u := &unpacker{
		opts: opts.withDefaults(),
		objs: objs,
		seen: make(map[string]seenEntry),
		crc:  crc64.New(storage.CRCTable),
	}
	pk := newPacker()
	src := &srcReader{r: r}
	u.tap = newTap(src, pk, u.opts.MaxMetadataBytes)
	u.tr = tar.NewReader(u.tap)
	l := &Layer{}
	last := "(start of the layer)"
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		u.tap.capture = true
		hdr, err := u.tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, u.streamError(fmt.Sprintf("after entry %q", last), src, err)
		}
		last = hdr.Name
		if len(l.Entries) >= u.opts.MaxEntries {
			return nil, fmt.Errorf("layer entry %q: more than %d entries: %w", hdr.Name, u.opts.MaxEntries, errdefs.ErrInvalidArgument)
		}
		if err := u.tap.flush(); err != nil {
			return nil, u.streamError(fmt.Sprintf("entry %q", hdr.Name), src, err)
		}
		e, skip, err := u.entry(hdr)
		if err != nil {
			return nil, fmt.Errorf("layer entry %q: %w: %w", hdr.Name, err, errdefs.ErrInvalidArgument)
		}
		var size int64
		var crc []byte
		if hasContent(hdr.Typeflag) {
			if size, crc, err = u.content(ctx, hdr, &e); err != nil {
				return nil, u.streamError(fmt.Sprintf("entry %q", hdr.Name), src, err)
			}
		}
		if err := pk.file(hdr.Name, size, crc); err != nil {
			return nil, err
		}
		if !skip {
			u.track(&e)
			l.Entries = append(l.Entries, e)
		}
	}
	// Bytes after the end-of-archive marker are part of the stream (and of
	// its digest); keep them too.
	if _, err := io.Copy(io.Discard, u.tap); err != nil {
		return nil, u.streamError("after the end of the archive", src, err)
	}
	if err := u.tap.flush(); err != nil {
		return nil, u.streamError("after the end of the archive", src, err)
	}
	ts, err := pk.close()
	if err != nil {
		return nil, err
	}
	l.diffID = digest.NewDigestFromBytes(digest.SHA256, u.tap.h.Sum(nil))
	l.size = u.tap.n
	l.tarSplit = ts
	return l, nil
}

type unpacker struct {
	opts Options
	objs *objects.Store
	tap  *tap
	tr   *tar.Reader
	crc  hash.Hash64
	// seen is the latest entry of this layer at each path, to resolve
	// hardlinks to files of the same layer.
	seen map[string]seenEntry
}

type seenEntry struct {
	typ Type
	key objects.Key
}

// srcReader remembers a failure of the caller's reader, so it is reported
// as such and not as a malformed tar.
type srcReader struct {
	r   io.Reader
	err error
}

func (s *srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

func (u *unpacker) streamError(where string, src *srcReader, err error) error {
	switch {
	case src.err != nil:
		return fmt.Errorf("layer stream, %s: %w", where, src.err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, errdefs.ErrInvalidArgument):
		return fmt.Errorf("layer %s: %w", where, err)
	case u.tap.err != nil && errors.Is(u.tap.err, errTooMuchMetadata):
		return fmt.Errorf("layer %s: %w: %w", where, u.tap.err, errdefs.ErrInvalidArgument)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, tar.ErrHeader), errors.Is(err, tar.ErrFieldTooLong):
		return fmt.Errorf("layer %s: malformed or truncated tar: %w: %w", where, err, errdefs.ErrInvalidArgument)
	default:
		return fmt.Errorf("layer %s: %w", where, err)
	}
}

// hasContent reports whether entries of this type carry file content.
func hasContent(flag byte) bool {
	switch flag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		return true
	}
	return false
}

// isSparse reports whether the tar stores the entry sparse (GNU old format
// or GNU PAX formats). archive/tar expands it to its logical content; the
// physical bytes are kept as tar-split segments instead of an object
// payload, so Export stays exact.
func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// crcReader feeds tar-split's CRC-64 of the payload (its integrity check
// on reassembly) while the object store reads the content.
type crcReader struct {
	r   io.Reader
	crc hash.Hash64
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.crc.Write(p[:n])
	return n, err
}

// content stores the entry's content as an object. It returns the size
// and CRC-64 tar-split records for the payload (0 and nil when the bytes
// stay in the segments, for a sparse file).
func (u *unpacker) content(ctx context.Context, hdr *tar.Header, e *Entry) (int64, []byte, error) {
	sparse := isSparse(hdr)
	meta := objects.FileMeta{Mode: e.Mode, UID: e.UID, GID: e.GID, Mtime: e.Mtime, Xattrs: e.Xattrs}
	var src io.Reader = u.tr
	if !sparse {
		u.tap.capture = false // the content goes to the object, not to tar-split
		u.crc.Reset()
		src = &crcReader{r: u.tr, crc: u.crc}
	}
	obj, err := u.objs.Put(ctx, meta, src)
	u.tap.capture = true
	if err != nil {
		return 0, nil, err
	}
	if obj.Size != hdr.Size {
		return 0, nil, fmt.Errorf("content is %d bytes, header says %d: %w", obj.Size, hdr.Size, errdefs.ErrInvalidArgument)
	}
	e.Object, e.Size = obj.Key, obj.Size
	if sparse {
		return 0, nil, u.tap.flush()
	}
	e.Payload = obj.Size > 0
	if !e.Payload {
		return 0, nil, nil
	}
	return obj.Size, u.crc.Sum(nil), nil
}

// track records e for hardlink resolution within the layer.
func (u *unpacker) track(e *Entry) {
	switch e.Type {
	case TypeWhiteout, TypeOpaque, TypeIgnored:
		// Deletions apply to lower layers only.
	default:
		u.seen[e.Path] = seenEntry{typ: e.Type, key: e.Object}
	}
}
