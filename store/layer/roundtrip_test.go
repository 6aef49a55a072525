package layer_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

var capNetRaw = string([]byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

func handcrafted(t testing.TB) []byte {
	long := strings.Repeat("long-directory-name/", 8) + "file-with-a-long-name"
	ping := lt.Reg("bin/ping", "\x7fELF ping", 0o4755)
	ping.Hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": capNetRaw, "SCHILY.xattr.user.note": "hi",
		"SCHILY.xattr.security.selinux": "system_u:object_r:bin_t:s0"}
	ping.Hdr.ModTime = time.Unix(1700000000, 123456789) // PAX keeps the nanoseconds
	gnu := lt.Reg(long, "gnu long name", 0o644)
	gnu.Hdr.Format = tar.FormatGNU
	gnuLink := lt.Symlink("gnu/link", "/"+long+"/"+strings.Repeat("x", 120))
	gnuLink.Hdr.Format = tar.FormatGNU
	ustar := lt.Reg("ustar/file", "ustar", 0o600)
	ustar.Hdr.Format = tar.FormatUSTAR
	ustar.Hdr.Uid, ustar.Hdr.Gid = 1000, 1001
	raw := lt.Reg("nonutf8-\xff\xfe", "bytes", 0o644)
	raw.Hdr.Format = tar.FormatGNU
	global := lt.File{Hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "made by a test"}}}
	dirX := lt.Dir("etc/xdir", 0o2775)
	dirX.Hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.dir": "yes"}
	return lt.Tar(t,
		global,
		lt.Dir("./", 0o755),
		lt.Dir("/bin", 0o755),
		ping,
		lt.Hardlink("bin/ping6", "bin/ping"),
		lt.Hardlink("/bin/ping4", "/bin/ping6"),
		lt.Hardlink("usr/lower", "usr/from-lower-layer"),
		lt.Reg("empty", "", 0o644),
		lt.Reg("dup", "first", 0o644),
		lt.Reg("dup", "second", 0o644),
		lt.Symlink("abs", "/etc/passwd"),
		lt.Symlink("rel", "../../../../etc/shadow"),
		gnu, gnuLink, ustar, raw, dirX,
		lt.Whiteout("etc", "removed"),
		lt.Opaque("var/cache"),
		lt.Reg("var/.wh..wh.plnk/junk", "", 0o644),
		lt.Fifo("run/fifo"),
		lt.Char("dev/null", 1, 3),
	)
}

func TestRoundTripHandcrafted(t *testing.T) {
	objs := newObjects(t)
	tb := handcrafted(t)
	l := roundTrip(t, objs, tb)

	ping := find(l, "bin/ping")
	if ping == nil || ping.Type != layer.TypeReg || ping.Mode != 0o4755 || !ping.Payload ||
		ping.Mtime.Nanosecond() != 123456789 || len(ping.Xattrs) != 2 ||
		ping.Xattrs[0].Name != "security.capability" || ping.Xattrs[1].Name != "user.note" {
		t.Fatalf("bin/ping: %+v", ping)
	}
	for _, p := range []string{"bin/ping6", "bin/ping4"} {
		if e := find(l, p); e == nil || e.Type != layer.TypeHardlink || e.Object != ping.Object || e.Payload {
			t.Errorf("%s: %+v", p, e)
		}
	}
	if e := find(l, "usr/lower"); e == nil || !e.Object.IsZero() || e.Linkname != "usr/from-lower-layer" {
		t.Errorf("hardlink to a lower layer: %+v", e)
	}
	if e := find(l, "etc/removed"); e == nil || e.Type != layer.TypeWhiteout {
		t.Errorf("whiteout: %+v", e)
	}
	if e := find(l, "var/cache"); e == nil || e.Type != layer.TypeOpaque {
		t.Errorf("opaque: %+v", e)
	}
	if e := find(l, "var/.wh..wh.plnk/junk"); e == nil || e.Type != layer.TypeIgnored {
		t.Errorf("aufs metadata: %+v", e)
	}
	if e := find(l, "."); e == nil || e.Type != layer.TypeDir {
		t.Errorf("root: %+v", e)
	}
	if e := find(l, "dev/null"); e == nil || e.Type != layer.TypeChar || e.Devmajor != 1 || e.Devminor != 3 {
		t.Errorf("dev/null: %+v", e)
	}
	if e := find(l, "ustar/file"); e == nil || e.UID != 1000 || e.GID != 1001 {
		t.Errorf("ustar/file: %+v", e)
	}
	if e := find(l, "nonutf8-\xff\xfe"); e == nil {
		t.Error("non-UTF-8 name lost")
	}
	if e := find(l, "rel"); e == nil || e.Linkname != "../../../../etc/shadow" {
		t.Errorf("symlink targets are kept as given: %+v", e)
	}
	// Both "dup" entries are there, in order, with their own content.
	var dups []objects.Key
	for _, e := range l.Entries {
		if e.Path == "dup" {
			dups = append(dups, e.Object)
		}
	}
	if len(dups) != 2 || dups[0] == dups[1] {
		t.Errorf("duplicate names: %v", dups)
	}
	if n := l.Files(); n != 7 {
		t.Errorf("Files() = %d", n)
	}
	// Objects: ping (+2 links), empty, dup×2, gnu, ustar, raw, three markers
	// and the aufs file (all empty files with the same metadata as "empty").
	if keys := l.ObjectKeys(); len(keys) != 7 {
		t.Errorf("ObjectKeys: %d", len(keys))
	}
}

func TestRoundTripTrailingBytes(t *testing.T) {
	objs := newObjects(t)
	tb := lt.Tar(t, lt.Reg("a", "a", 0o644))
	for _, tail := range [][]byte{make([]byte, 10240), []byte("garbage after the end"), bytes.Repeat([]byte{0}, 3<<20)} {
		roundTrip(t, objs, append(bytes.Clone(tb), tail...))
	}
}

func TestEmptyLayers(t *testing.T) {
	objs := newObjects(t)
	for name, tb := range map[string][]byte{
		"zero bytes":      nil,
		"end marker only": lt.Tar(t),
		"one zero block":  make([]byte, 512),
	} {
		l := roundTrip(t, objs, tb)
		if len(l.Entries) != 0 {
			t.Errorf("%s: %d entries", name, len(l.Entries))
		}
	}
}

// TestRoundTripRandom: random tars in every format round-trip exactly.
func TestRoundTripRandom(t *testing.T) {
	objs := newObjects(t)
	for seed := range uint64(40) {
		tb := lt.Tar(t, randomFiles(rand.New(rand.NewPCG(seed, 7)), 60)...)
		roundTrip(t, objs, tb)
	}
}

// randomFiles makes well-formed random entries (names unique per type
// clash avoided: files only in leaf names, directories fixed).
func randomFiles(r *rand.Rand, n int) []lt.File {
	dirs := []string{"a", "a/b", "a/b/c", "d", strings.Repeat("deep/", 30) + "x"}
	formats := []tar.Format{tar.FormatPAX, tar.FormatGNU, tar.FormatUSTAR}
	var fs []lt.File
	for _, d := range dirs {
		f := lt.Dir(d, int64(0o700+r.IntN(0o100)))
		f.Hdr.Format = tar.FormatPAX
		fs = append(fs, f)
	}
	var regs []string
	for i := range n {
		dir := dirs[r.IntN(len(dirs))]
		name := fmt.Sprintf("%s/f%d", dir, r.IntN(n))
		if r.IntN(5) == 0 {
			name += "-" + strings.Repeat("n", 100+r.IntN(120))
		}
		var f lt.File
		switch k := r.IntN(10); {
		case k < 6:
			body := make([]byte, []int{0, 1, 511, 512, 513, 4096, 200000}[r.IntN(7)])
			for j := range body {
				body[j] = byte(r.IntN(4))
			}
			f = lt.Reg(name, string(body), int64([]int{0o644, 0o755, 0o4755, 0o2711, 0o1777, 0o600}[r.IntN(6)]))
			f.Hdr.Uid, f.Hdr.Gid = r.IntN(3)*1000, r.IntN(3)*1000
			if r.IntN(3) == 0 {
				f.Hdr.PAXRecords = map[string]string{"SCHILY.xattr.user.r": fmt.Sprint(r.IntN(3))}
			}
			regs = append(regs, name)
		case k < 7 && len(regs) > 0:
			f = lt.Hardlink(name+"-hl", regs[r.IntN(len(regs))])
		case k < 8:
			f = lt.Symlink(name+"-sl", []string{"/", "..", "../../x", "target", "/abs/path"}[r.IntN(5)])
		case k < 9:
			f = lt.Fifo(name + "-fifo")
		default:
			f = lt.Whiteout(dir, fmt.Sprintf("w%d", i))
		}
		f.Hdr.ModTime = time.Unix(int64(1e9+r.IntN(1e9)), int64(r.IntN(1e9)))
		f.Hdr.Format = formats[r.IntN(len(formats))]
		if f.Hdr.PAXRecords != nil || f.Hdr.Format == tar.FormatUSTAR && (len(f.Hdr.Name) > 100 || len(f.Hdr.Linkname) > 100) {
			f.Hdr.Format = tar.FormatPAX
		}
		if f.Hdr.Format != tar.FormatPAX {
			f.Hdr.ModTime = f.Hdr.ModTime.Truncate(time.Second)
		}
		fs = append(fs, f)
	}
	return fs
}

// TestTarSplitCompatible: the tar-split data is tar-split's format: its own
// JSON unpacker reads it (for a tar without repeated names).
func TestTarSplitCompatible(t *testing.T) {
	objs := newObjects(t)
	l := roundTrip(t, objs, lt.Tar(t, lt.Reg("a", "content", 0o644), lt.Dir("d", 0o755)))
	dir := t.TempDir()
	if err := l.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	if got := tarSplitNames(t, dir+"/tar-split.json.gz"); fmt.Sprint(got) != "[a d]" {
		t.Fatalf("tar-split names: %v", got)
	}
	if _, err := os.Stat(dir + "/entries"); err != nil {
		t.Fatal(err)
	}
}
