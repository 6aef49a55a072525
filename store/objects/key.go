package objects

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// Key names an object: the SHA-256 of [FileMeta.Key]'s encoding.
type Key [sha256.Size]byte

// String returns the key as 64 lower-case hex digits.
func (k Key) String() string { return hex.EncodeToString(k[:]) }

// IsZero reports whether k is the zero key (no object).
func (k Key) IsZero() bool { return k == Key{} }

// ParseKey parses 64 hex digits.
func ParseKey(s string) (Key, error) {
	var k Key
	if len(s) != 2*len(k) || strings.ToLower(s) != s {
		return k, fmt.Errorf("object key %q: want 64 lower-case hex digits: %w", s, errdefs.ErrInvalidArgument)
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("object key %q: %w: %w", s, err, errdefs.ErrInvalidArgument)
	}
	return k, nil
}

// relPath is the object's path relative to the objects directory,
// "<xx>/<yy…>", written into buf to spare an allocation per call.
func (k Key) relPath(buf *[65]byte) []byte {
	const digits = "0123456789abcdef"
	j := 0
	for i, b := range k {
		if i == 1 {
			buf[j] = '/'
			j++
		}
		buf[j] = digits[b>>4]
		buf[j+1] = digits[b&0xf]
		j += 2
	}
	return buf[:]
}

// Xattr is one extended attribute.
type Xattr struct {
	Name  string
	Value []byte
}

// ModeMask is the part of a mode an object keeps: permission bits plus
// setuid, setgid and sticky.
const ModeMask = 0o7777

// maxXattrValue is the kernel's XATTR_SIZE_MAX.
const maxXattrValue = 64 << 10

// FileMeta is the metadata an object carries and its key covers.
type FileMeta struct {
	Mode  uint32 // permission bits plus setuid/setgid/sticky (ModeMask); other bits are an error
	UID   uint32
	GID   uint32
	Mtime time.Time // kept to the nanosecond; use what the tar header gives
	// Xattrs in any order; names must satisfy XattrAllowed and be unique.
	Xattrs []Xattr
}

// XattrAllowed reports whether an object or checkout may carry the xattr:
// "security.capability" and "user.*". Everything else is refused, above
// all "trusted.*" (overlayfs obeys trusted.overlay.* in lower layers).
func XattrAllowed(name string) bool {
	return name == "security.capability" || (strings.HasPrefix(name, "user.") && len(name) > len("user."))
}

// Validate checks m against the rules Put enforces.
func (m *FileMeta) Validate() error {
	if m.Mode&^ModeMask != 0 {
		return fmt.Errorf("mode %#o has bits outside %#o: %w", m.Mode, ModeMask, errdefs.ErrInvalidArgument)
	}
	// (uid_t)-1 means "leave unchanged" to chown, so it cannot be stored.
	if m.UID == ^uint32(0) || m.GID == ^uint32(0) {
		return fmt.Errorf("uid/gid %d/%d: 4294967295 is not a valid id: %w", m.UID, m.GID, errdefs.ErrInvalidArgument)
	}
	for i, x := range m.Xattrs {
		if !XattrAllowed(x.Name) {
			return fmt.Errorf("xattr %q is not allowed on objects: %w", x.Name, errdefs.ErrInvalidArgument)
		}
		if len(x.Name) > 255 || len(x.Value) > maxXattrValue {
			return fmt.Errorf("xattr %q: name or value too long: %w", x.Name, errdefs.ErrInvalidArgument)
		}
		for _, y := range m.Xattrs[:i] {
			if y.Name == x.Name {
				return fmt.Errorf("xattr %q given twice: %w", x.Name, errdefs.ErrInvalidArgument)
			}
		}
	}
	return nil
}

// keyDomain starts every key encoding: it names the format and its version,
// so a future encoding can never collide with this one.
const keyDomain = "ocid.object.v1\n"

// Key returns the object key of a file with this metadata and content
// SHA-256 digest. The hashed bytes are (integers big-endian):
//
//	"ocid.object.v1\n"
//	content SHA-256            32 bytes
//	mode & 07777               uint32
//	uid, gid                   uint32, uint32
//	mtime seconds since epoch  int64 (negative before 1970)
//	mtime nanoseconds          uint32 (0…999999999)
//	number of xattrs           uint32
//	per xattr, in ascending byte order of name:
//	  len(name) uint32, name, len(value) uint32, value
//
// This is an on-disk format: changing it orphans every stored object.
func (m *FileMeta) Key(content [sha256.Size]byte) Key {
	var buf [len(keyDomain) + 32 + 4*3 + 8 + 4 + 4]byte
	b := append(buf[:0], keyDomain...)
	b = append(b, content[:]...)
	b = binary.BigEndian.AppendUint32(b, m.Mode&ModeMask)
	b = binary.BigEndian.AppendUint32(b, m.UID)
	b = binary.BigEndian.AppendUint32(b, m.GID)
	b = binary.BigEndian.AppendUint64(b, uint64(m.Mtime.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(m.Mtime.Nanosecond()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Xattrs)))
	h := sha256.New()
	h.Write(b)
	if len(m.Xattrs) > 0 {
		xs := sortedXattrs(m.Xattrs)
		var n [4]byte
		for _, x := range xs {
			binary.BigEndian.PutUint32(n[:], uint32(len(x.Name)))
			h.Write(n[:])
			h.Write([]byte(x.Name))
			binary.BigEndian.PutUint32(n[:], uint32(len(x.Value)))
			h.Write(n[:])
			h.Write(x.Value)
		}
	}
	var k Key
	h.Sum(k[:0])
	return k
}

// sortedXattrs returns xs sorted by name, copying only when needed.
func sortedXattrs(xs []Xattr) []Xattr {
	cmp := func(a, b Xattr) int { return strings.Compare(a.Name, b.Name) }
	if slices.IsSortedFunc(xs, cmp) {
		return xs
	}
	xs = slices.Clone(xs)
	slices.SortFunc(xs, cmp)
	return xs
}
