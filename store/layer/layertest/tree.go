package layertest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Kind is a node's file type.
type Kind string

const (
	KDir     Kind = "dir"
	KReg     Kind = "file"
	KSymlink Kind = "symlink"
	KChar    Kind = "char"
	KBlock   Kind = "block"
	KFifo    Kind = "fifo"
)

// Node is one file of a tree.
type Node struct {
	Kind     Kind
	Mode     uint32 // & 07777; not compared for symlinks
	UID, GID uint32
	Mtime    time.Time // zero: not compared (directories made implicitly)
	Xattrs   map[string]string
	Link     string
	Content  string
	Dev      [2]uint32
	// Identity groups regular files: two files are the same inode exactly
	// when their Identity is equal. In a model it is the object identity
	// (content and metadata), in a walked checkout the inode number.
	Identity string
}

// Tree maps clean relative paths ("." is the root) to nodes.
type Tree map[string]*Node

// Merge computes, from the tars alone, the tree a checkout of these layers
// (bottom first) must be. It follows the OCI rules: per layer, whiteouts
// and opaque markers first, then the entries in order; missing parents are
// directories 0755 root:root. It parses with archive/tar but shares no code
// with the store, and handles only well-behaved trees (no writes through
// symlinks): hostile cases are tested separately.
func Merge(t testing.TB, tars ...[]byte) Tree {
	t.Helper()
	tree := Tree{".": {Kind: KDir, Mode: 0o755}}
	for li, tb := range tars {
		var hdrs []*tar.Header
		var bodies [][]byte
		tr := tar.NewReader(bytes.NewReader(tb))
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("model: layer %d: %v", li, err)
			}
			body, err := io.ReadAll(tr)
			if err != nil {
				t.Fatalf("model: layer %d: %v", li, err)
			}
			hdrs, bodies = append(hdrs, h), append(bodies, body)
		}
		for _, h := range hdrs {
			p := clean(h.Name)
			dir, base := path.Dir(p), path.Base(p)
			if aufs(dir) {
				continue
			}
			switch {
			case base == ".wh..wh..opq":
				tree.removeBelow(dir)
			case strings.HasPrefix(base, ".wh..wh."):
			case strings.HasPrefix(base, ".wh."):
				tree.remove(path.Join(dir, base[4:]))
			}
		}
		for i, h := range hdrs {
			p := clean(h.Name)
			if strings.HasPrefix(path.Base(p), ".wh.") || aufs(path.Dir(p)) || h.Typeflag == tar.TypeXGlobalHeader {
				continue
			}
			tree.parents(p)
			n := &Node{Mode: uint32(h.Mode) & 0o7777, UID: uint32(h.Uid), GID: uint32(h.Gid), Mtime: h.ModTime}
			switch h.Typeflag {
			case tar.TypeDir:
				n.Kind = KDir
				n.Xattrs = xattrs(h)
				if old := tree[p]; old != nil && old.Kind == KDir {
					*old = *n
					continue
				}
			case tar.TypeReg, tar.TypeGNUSparse:
				n.Kind, n.Content, n.Xattrs = KReg, string(bodies[i]), xattrs(h)
				n.Identity = identity(n)
			case tar.TypeLink:
				target := tree[clean(h.Linkname)]
				if target == nil || target.Kind != KReg {
					t.Fatalf("model: hardlink %s to %s: no regular file", p, h.Linkname)
				}
				c := *target
				n = &c
			case tar.TypeSymlink:
				n.Kind, n.Link = KSymlink, h.Linkname
			case tar.TypeChar, tar.TypeBlock:
				n.Kind = KChar
				if h.Typeflag == tar.TypeBlock {
					n.Kind = KBlock
				}
				n.Dev = [2]uint32{uint32(h.Devmajor), uint32(h.Devminor)}
			case tar.TypeFifo:
				n.Kind = KFifo
			default:
				t.Fatalf("model: type %q", h.Typeflag)
			}
			tree.remove(p)
			tree[p] = n
		}
	}
	return tree
}

// aufs reports whether dir is inside aufs bookkeeping (".wh..wh.*").
func aufs(dir string) bool {
	return strings.Contains("/"+dir, "/.wh..wh.")
}

func clean(name string) string {
	p := path.Clean(strings.TrimLeft(name, "/"))
	if p == "" {
		return "."
	}
	return p
}

// xattrs keeps what the default policy applies.
func xattrs(h *tar.Header) map[string]string {
	m := map[string]string{}
	for k, v := range h.PAXRecords {
		if name, ok := strings.CutPrefix(k, "SCHILY.xattr."); ok && (name == "security.capability" || strings.HasPrefix(name, "user.")) {
			m[name] = v
		}
	}
	return m
}

func identity(n *Node) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %o %d %d %d %v", n.Content, n.Mode, n.UID, n.GID, n.Mtime.UnixNano(), sortedMap(n.Xattrs))
	return hex.EncodeToString(h.Sum(nil))
}

func sortedMap(m map[string]string) []string {
	var s []string
	for k, v := range m {
		s = append(s, k+"="+v)
	}
	sort.Strings(s)
	return s
}

func (tree Tree) parents(p string) {
	if p == "." {
		return
	}
	d := path.Dir(p)
	tree.parents(d)
	if n := tree[d]; n == nil || n.Kind != KDir {
		tree.remove(d)
		tree[d] = &Node{Kind: KDir, Mode: 0o755}
	}
}

func (tree Tree) remove(p string) {
	if p == "." {
		tree.removeBelow(p)
		return
	}
	delete(tree, p)
	tree.removeBelow(p)
}

func (tree Tree) removeBelow(p string) {
	prefix := p + "/"
	for k := range tree {
		if p == "." && k != "." || strings.HasPrefix(k, prefix) {
			delete(tree, k)
		}
	}
}

// Walk reads the tree under dir.
func Walk(t testing.TB, dir string) Tree {
	t.Helper()
	tree := Tree{}
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			return err
		}
		n := &Node{Mode: st.Mode & 0o7777, UID: st.Uid, GID: st.Gid, Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec)}
		switch st.Mode & unix.S_IFMT {
		case unix.S_IFDIR:
			n.Kind = KDir
			n.Xattrs = readXattrs(p)
		case unix.S_IFREG:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			n.Kind, n.Content, n.Xattrs = KReg, string(b), readXattrs(p)
			n.Identity = fmt.Sprint(st.Dev, ":", st.Ino)
		case unix.S_IFLNK:
			n.Kind = KSymlink
			n.Link, err = os.Readlink(p)
			if err != nil {
				return err
			}
		case unix.S_IFCHR, unix.S_IFBLK:
			n.Kind = KChar
			if st.Mode&unix.S_IFMT == unix.S_IFBLK {
				n.Kind = KBlock
			}
			n.Dev = [2]uint32{unix.Major(st.Rdev), unix.Minor(st.Rdev)}
		case unix.S_IFIFO:
			n.Kind = KFifo
		default:
			return fmt.Errorf("%s: unexpected mode %#o", p, st.Mode)
		}
		tree[rel] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func readXattrs(p string) map[string]string {
	m := map[string]string{}
	buf := make([]byte, 64<<10)
	n, err := unix.Llistxattr(p, buf)
	if err != nil {
		return m
	}
	for _, name := range strings.Split(string(buf[:n]), "\x00") {
		if name == "security.capability" || strings.HasPrefix(name, "user.") {
			v := make([]byte, 64<<10)
			if vn, err := unix.Lgetxattr(p, name, v); err == nil {
				m[name] = string(v[:vn])
			}
		}
	}
	return m
}

// Diff lists how got differs from want. The root is compared only if want
// has it with an mtime (an explicit root entry).
func Diff(want, got Tree) []string {
	var d []string
	for p, w := range want {
		g := got[p]
		if p == "." && w.Mtime.IsZero() {
			continue
		}
		if g == nil {
			d = append(d, fmt.Sprintf("%s: missing (want %s)", p, w.Kind))
			continue
		}
		if w.Kind != g.Kind {
			d = append(d, fmt.Sprintf("%s: %s, want %s", p, g.Kind, w.Kind))
			continue
		}
		if w.Kind != KSymlink && w.Mode != g.Mode {
			d = append(d, fmt.Sprintf("%s: mode %#o, want %#o", p, g.Mode, w.Mode))
		}
		if w.UID != g.UID || w.GID != g.GID {
			d = append(d, fmt.Sprintf("%s: owner %d:%d, want %d:%d", p, g.UID, g.GID, w.UID, w.GID))
		}
		if !w.Mtime.IsZero() && !w.Mtime.Equal(g.Mtime) {
			d = append(d, fmt.Sprintf("%s: mtime %v, want %v", p, g.Mtime, w.Mtime))
		}
		if w.Link != g.Link || w.Content != g.Content || w.Dev != g.Dev {
			d = append(d, fmt.Sprintf("%s: link/content/dev %q/%d bytes/%v, want %q/%d bytes/%v", p, g.Link, len(g.Content), g.Dev, w.Link, len(w.Content), w.Dev))
		}
		if (w.Kind == KReg || w.Kind == KDir) && fmt.Sprint(sortedMap(w.Xattrs)) != fmt.Sprint(sortedMap(g.Xattrs)) {
			d = append(d, fmt.Sprintf("%s: xattrs %v, want %v", p, sortedMap(g.Xattrs), sortedMap(w.Xattrs)))
		}
	}
	for p := range got {
		if want[p] == nil && p != "." {
			d = append(d, p+": unexpected")
		}
	}
	d = append(d, identityDiff(want, got)...)
	slices.Sort(d)
	return d
}

// identityDiff checks that regular files share an inode exactly when the
// model says they are the same object.
func identityDiff(want, got Tree) []string {
	w2g, g2w := map[string]string{}, map[string]string{}
	var d []string
	for p, w := range want {
		g := got[p]
		if w.Kind != KReg || g == nil || g.Kind != KReg {
			continue
		}
		if prev, ok := w2g[w.Identity]; ok && prev != g.Identity {
			d = append(d, fmt.Sprintf("%s: should share an inode with the other copies of its object", p))
		}
		if prev, ok := g2w[g.Identity]; ok && prev != w.Identity {
			d = append(d, fmt.Sprintf("%s: shares an inode with a different file", p))
		}
		w2g[w.Identity], g2w[g.Identity] = g.Identity, w.Identity
	}
	return d
}

// Check compares and reports through t.
func Check(t testing.TB, want, got Tree) {
	t.Helper()
	for _, d := range Diff(want, got) {
		t.Error(d)
	}
}
