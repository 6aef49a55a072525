package objects

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"
)

// Object describes a stored object.
type Object struct {
	Key    Key
	Path   string        // absolute path of the object file
	Digest digest.Digest // SHA-256 of the content
	Size   int64         // content length in bytes
}

// smallFile is the size up to which Put holds content in memory before
// deciding whether it needs a file at all: most files of an image are
// small, and a re-pulled file then costs one stat.
const smallFile = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, smallFile); return &b }}

// Put stores the content read from r (to EOF) with metadata meta and
// returns the object. If the object already exists nothing is written
// (dedup). The object appears complete or not at all; see the package
// comment for durability (no fsync here; call Sync).
//
// The key is meta.Key of the content, except when the filesystem cannot
// store meta.Mtime exactly (ext4 clamps to 1901…2446): then it covers the
// mtime as stored, so Verify agrees with the disk.
func (s *Store) Put(ctx context.Context, meta FileMeta, r io.Reader) (Object, error) {
	if err := ctx.Err(); err != nil {
		return Object{}, err
	}
	if err := meta.Validate(); err != nil {
		return Object{}, fmt.Errorf("put object: %w", err)
	}
	meta.Xattrs = sortedXattrs(meta.Xattrs)

	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp

	h := sha256.New()
	n, small, err := fill(r, buf)
	if err != nil {
		return Object{}, fmt.Errorf("put object: read: %w", err)
	}
	h.Write(buf[:n])
	size := int64(n)

	var obj Object
	var content [sha256.Size]byte
	if small {
		content = sum(h)
		obj = s.object(&meta, content, size)
		if ok, err := s.has(obj.Key); err != nil || ok {
			return obj, err
		}
	}

	t, err := s.newTemp()
	if err != nil {
		return Object{}, fmt.Errorf("put object: %w", err)
	}
	defer t.discard(s)
	if _, err := t.f.Write(buf[:n]); err != nil {
		return Object{}, fmt.Errorf("put object: write: %w", err)
	}
	if !small {
		for {
			if err := ctx.Err(); err != nil {
				return Object{}, err
			}
			n, rerr := r.Read(buf)
			if n > 0 {
				h.Write(buf[:n])
				size += int64(n)
				if _, err := t.f.Write(buf[:n]); err != nil {
					return Object{}, fmt.Errorf("put object: write: %w", err)
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return Object{}, fmt.Errorf("put object: read: %w", rerr)
			}
		}
		content = sum(h)
		obj = s.object(&meta, content, size)
		if ok, err := s.has(obj.Key); err != nil || ok {
			return obj, err
		}
	}

	fd := int(t.f.Fd())
	if err := applyMeta(fd, &meta); err != nil {
		return Object{}, fmt.Errorf("put object %s: %w", obj.Key, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return Object{}, fmt.Errorf("put object %s: %w", obj.Key, err)
	}
	if stored := time.Unix(st.Mtim.Sec, st.Mtim.Nsec); !stored.Equal(meta.Mtime) {
		// The filesystem clamped or rounded the mtime (ext4 keeps
		// 1901…2446). Key what it stored, so Verify agrees with the disk;
		// the exact mtime stays in the layer's tar headers.
		meta.Mtime = stored
		obj = s.object(&meta, content, size)
		if ok, err := s.has(obj.Key); err != nil || ok {
			return obj, err
		}
	}
	var rel [65]byte
	if _, err := t.commit(s, string(obj.Key.relPath(&rel))); err != nil {
		return Object{}, fmt.Errorf("put object %s: %w", obj.Key, err)
	}
	return obj, nil
}

// fill reads into buf until it is full (small false) or r ends with
// io.EOF (small true). Unlike io.ReadFull it keeps a reader's own
// io.ErrUnexpectedEOF (a truncated tar) an error.
func fill(r io.Reader, buf []byte) (n int, small bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

func sum(h interface{ Sum([]byte) []byte }) (s [sha256.Size]byte) {
	h.Sum(s[:0])
	return s
}

func (s *Store) object(meta *FileMeta, content [sha256.Size]byte, size int64) Object {
	key := meta.Key(content)
	return Object{
		Key:    key,
		Path:   s.Path(key),
		Digest: digest.NewDigestFromEncoded(digest.SHA256, hex.EncodeToString(content[:])),
		Size:   size,
	}
}
