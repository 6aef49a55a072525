package layer

import (
	"archive/tar"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/ocid-project/ocid/store/objects"
)

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	opaqueMarker   = ".wh..wh..opq"
	xattrPrefix    = "SCHILY.xattr."
	maxID          = 1<<32 - 2 // (uid_t)-1 means "unchanged" to chown
	maxXattrValue  = 64 << 10  // XATTR_SIZE_MAX
)

// entry validates hdr and turns it into an Entry; skip is set for headers
// that are not filesystem entries (PAX global headers). Errors say what is
// wrong; the caller names the entry.
func (u *unpacker) entry(hdr *tar.Header) (e Entry, skip bool, err error) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return e, true, nil
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		e.Type = TypeReg
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeSymlink:
		e.Type = TypeSymlink
	case tar.TypeLink:
		e.Type = TypeHardlink
	case tar.TypeChar:
		e.Type = TypeChar
	case tar.TypeBlock:
		e.Type = TypeBlock
	case tar.TypeFifo:
		e.Type = TypeFifo
	default:
		return e, false, fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	if e.Path, err = CleanName(hdr.Name); err != nil {
		return e, false, fmt.Errorf("name %w", err)
	}
	if hdr.Uid < 0 || hdr.Uid > maxID || hdr.Gid < 0 || hdr.Gid > maxID {
		return e, false, fmt.Errorf("uid/gid %d/%d out of range", hdr.Uid, hdr.Gid)
	}
	e.Mode = uint32(hdr.Mode) & objects.ModeMask
	e.UID, e.GID = uint32(hdr.Uid), uint32(hdr.Gid)
	e.Mtime = hdr.ModTime
	if e.Xattrs, err = u.xattrs(hdr); err != nil {
		return e, false, err
	}

	if err := whiteout(&e); err != nil {
		return e, false, err
	}
	if e.Path == "." && e.Type != TypeDir && e.Type != TypeOpaque {
		return e, false, fmt.Errorf("the root can only be a directory, not a %s", e.Type)
	}

	switch e.Type {
	case TypeReg, TypeWhiteout, TypeOpaque, TypeIgnored:
		if hasContent(hdr.Typeflag) && hdr.Size > u.opts.MaxFileSize {
			return e, false, fmt.Errorf("size %d exceeds the limit of %d bytes", hdr.Size, u.opts.MaxFileSize)
		}
	case TypeSymlink:
		if hdr.Linkname == "" || len(hdr.Linkname) > maxPath || strings.IndexByte(hdr.Linkname, 0) >= 0 {
			return e, false, fmt.Errorf("symlink target %q is empty, too long or has a NUL byte", hdr.Linkname)
		}
		e.Linkname = hdr.Linkname
	case TypeHardlink:
		if err := u.hardlink(hdr, &e); err != nil {
			return e, false, err
		}
	case TypeChar, TypeBlock, TypeFifo:
		if u.opts.Devices != DevicesAllow {
			return e, false, fmt.Errorf("%s nodes are refused (not running as root)", e.Type)
		}
		if e.Type != TypeFifo {
			if hdr.Devmajor < 0 || hdr.Devmajor > 1<<32-1 || hdr.Devminor < 0 || hdr.Devminor > 1<<32-1 {
				return e, false, fmt.Errorf("device number %d,%d out of range", hdr.Devmajor, hdr.Devminor)
			}
			e.Devmajor, e.Devminor = uint32(hdr.Devmajor), uint32(hdr.Devminor)
		}
	}
	return e, false, nil
}

// whiteout recognises the OCI whiteout markers by their base name, and
// aufs bookkeeping (".wh..wh.*" names, and everything under them).
func whiteout(e *Entry) error {
	dir, base := path.Split(e.Path)
	if strings.Contains(dir, whiteoutMeta) && strings.Contains("/"+dir, "/"+whiteoutMeta) {
		e.Type = TypeIgnored
		return nil
	}
	if !strings.HasPrefix(base, whiteoutPrefix) {
		return nil
	}
	switch {
	case base == opaqueMarker:
		e.Type, e.Path = TypeOpaque, path.Clean(dir+".")
	case strings.HasPrefix(base, whiteoutMeta):
		e.Type = TypeIgnored
	default:
		name := base[len(whiteoutPrefix):]
		if name == "" || name == "." || name == ".." {
			return fmt.Errorf("whiteout of %q", name)
		}
		e.Type, e.Path = TypeWhiteout, dir+name
	}
	return nil
}

func (u *unpacker) hardlink(hdr *tar.Header, e *Entry) error {
	target, err := CleanName(hdr.Linkname)
	if err != nil {
		return fmt.Errorf("hardlink target %q %w", hdr.Linkname, err)
	}
	if target == "." || target == e.Path {
		return fmt.Errorf("hardlink to %q", hdr.Linkname)
	}
	e.Linkname = target
	prev, ok := u.seen[target]
	if !ok {
		return nil // a lower layer's file: the checkout resolves it
	}
	switch prev.typ {
	case TypeReg, TypeHardlink:
		e.Object = prev.key // zero if prev links to a lower layer
		return nil
	}
	return fmt.Errorf("hardlink target %q is a %s, not a regular file", target, prev.typ)
}

// xattrs applies the xattr policy to the entry's SCHILY.xattr.* records.
func (u *unpacker) xattrs(hdr *tar.Header) ([]objects.Xattr, error) {
	var xs []objects.Xattr
	for k, v := range hdr.PAXRecords {
		name, ok := strings.CutPrefix(k, xattrPrefix)
		if !ok {
			continue
		}
		action := u.opts.Xattrs(name)
		if action == XattrDrop {
			continue
		}
		// A policy cannot widen what objects and checkouts accept.
		if action != XattrApply || !objects.XattrAllowed(name) {
			return nil, fmt.Errorf("xattr %q is not allowed", name)
		}
		if len(name) > maxComponent || len(v) > maxXattrValue {
			return nil, fmt.Errorf("xattr %q: name or value too long", name)
		}
		xs = append(xs, objects.Xattr{Name: name, Value: []byte(v)})
	}
	// PAX records are a map, so names are unique; sort for a stable order.
	slices.SortFunc(xs, func(a, b objects.Xattr) int { return strings.Compare(a.Name, b.Name) })
	return xs, nil
}
