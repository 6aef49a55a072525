package layer

import (
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/store/objects"
)

// Type is what an entry of a layer is.
type Type uint8

const (
	TypeDir      Type = 1 + iota // a directory
	TypeReg                      // a regular file: Object holds content and metadata
	TypeSymlink                  // a symlink to Linkname, which is kept as given
	TypeHardlink                 // a hardlink to the regular file at Linkname (cleaned)
	TypeChar                     // a character device
	TypeBlock                    // a block device
	TypeFifo                     // a FIFO
	TypeWhiteout                 // ".wh.NAME": Path (dir/NAME) is removed from lower layers
	TypeOpaque                   // ".wh..wh..opq": Path's children from lower layers are removed
	TypeIgnored                  // other ".wh..wh.*" names (aufs bookkeeping): not applied
)

var typeNames = [...]string{"?", "dir", "file", "symlink", "hardlink", "char", "block", "fifo", "whiteout", "opaque", "ignored"}

func (t Type) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return typeNames[0]
}

// Entry is one entry of a layer tar, validated and normalised.
type Entry struct {
	// Path is relative, cleaned, "." for the root, never contains a ".."
	// component. For whiteouts it is the path removed, for opaque markers
	// the directory made opaque.
	Path string
	Type Type
	Mode uint32 // permission bits plus setuid/setgid/sticky (07777)
	UID  uint32
	GID  uint32
	// Mtime is the header's: seconds for USTAR and GNU, nanoseconds for PAX.
	Mtime time.Time
	// Xattrs are the ones the layer's xattr policy applies, sorted by name.
	Xattrs []objects.Xattr
	// Linkname is a symlink's target, as given (not resolved or checked),
	// or a hardlink's target path, cleaned like Path.
	Linkname string
	Devmajor uint32
	Devminor uint32
	// Size is the content length of a regular file (the logical length of
	// a sparse one); 0 otherwise.
	Size int64
	// Object holds the content and metadata of a regular file, and of a
	// hardlink whose target is a regular file earlier in the same layer.
	// A hardlink to a lower layer's file has none: the checkout resolves it.
	// Whiteout markers that carry bytes (they should not) have one too.
	Object objects.Key
	// Payload: the tar carries this entry's content and Export serves it
	// from Object. False for sparse files, whose physical bytes are kept in
	// the tar-split data so Export reproduces them exactly.
	Payload bool
}

// Layer is an unpacked layer: its entries in tar order, and what it takes
// to rebuild its tar byte for byte.
type Layer struct {
	// Entries in the order of the tar.
	Entries []Entry

	diffID   digest.Digest
	size     int64
	tarSplit []byte // gzip'd tar-split JSON lines
}

// DiffID is the SHA-256 of the uncompressed tar stream as read by Unpack.
func (l *Layer) DiffID() digest.Digest { return l.diffID }

// Size is the number of bytes of the uncompressed tar stream.
func (l *Layer) Size() int64 { return l.size }

// Files counts the regular files (not hardlinks) of the layer.
func (l *Layer) Files() int {
	n := 0
	for i := range l.Entries {
		if l.Entries[i].Type == TypeReg {
			n++
		}
	}
	return n
}

// ObjectKeys returns every object the layer needs, for a checkout or an
// export, once each.
func (l *Layer) ObjectKeys() []objects.Key {
	seen := make(map[objects.Key]struct{})
	var keys []objects.Key
	for i := range l.Entries {
		k := l.Entries[i].Object
		if k.IsZero() {
			continue
		}
		if _, dup := seen[k]; !dup {
			seen[k] = struct{}{}
			keys = append(keys, k)
		}
	}
	return keys
}
