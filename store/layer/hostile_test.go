package layer_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
)

type hostileCase struct {
	name    string
	tar     []byte
	opts    layer.Options
	mention string // the error must name this (the offending entry)
}

// headerOnly returns the bytes of a tar holding just f's header (no body,
// no end marker): enough for checks made before any content is read.
func headerOnly(t testing.TB, f lt.File) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&f.Hdr); err != nil {
		t.Fatal(err)
	}
	tw.Flush()
	return buf.Bytes()
}

// withTypeflag rewrites the typeflag of the first header of a USTAR tar.
func withTypeflag(t testing.TB, f lt.File, flag byte) []byte {
	f.Hdr.Format = tar.FormatUSTAR
	b := lt.Tar(t, f)
	b[156] = flag
	copy(b[148:156], "        ")
	sum := 0
	for _, c := range b[:512] {
		sum += int(c)
	}
	copy(b[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return b
}

// overlongPAX is a tar whose second entry has a 2 MiB PAX header, which
// archive/tar's writer refuses to make and its reader refuses to read.
func overlongPAX(t testing.TB) []byte {
	value := strings.Repeat("x", 2<<20)
	rec := " comment=" + value + "\n"
	n := len(rec) + 7
	rec = strconv.Itoa(n) + rec
	pax := lt.Reg("PaxHeaders/big", rec, 0o644)
	b := withTypeflag(t, pax, 'x')
	b = b[:len(b)-1024] // drop the end marker
	first := lt.Tar(t, lt.Reg("ok", "x", 0o644))
	return append(append(first[:len(first)-1024], b...), lt.Tar(t, lt.Reg("big", "", 0o644))...)
}

func hostileCases(t testing.TB) []hostileCase {
	big := lt.Reg("huge", "", 0o644)
	big.Hdr.Size = 1 << 40
	uid := lt.Reg("uid", "", 0o644)
	uid.Hdr.Uid = 1<<32 - 1
	xattr := func(name, key string) lt.File {
		f := lt.Reg(name, "x", 0o644)
		f.Hdr.PAXRecords = map[string]string{"SCHILY.xattr." + key: "v"}
		return f
	}
	many := []lt.File{}
	for i := range 11 {
		many = append(many, lt.Reg("f"+strconv.Itoa(i), "", 0o644))
	}
	return []hostileCase{
		{name: "dotdot", tar: lt.Tar(t, lt.Reg("../evil", "x", 0o644)), mention: "../evil"},
		{name: "dotdot inside", tar: lt.Tar(t, lt.Reg("a/../../evil", "x", 0o644)), mention: "a/../../evil"},
		{name: "absolute dotdot", tar: lt.Tar(t, lt.Reg("/../evil", "x", 0o644)), mention: "/../evil"},
		{name: "dotdot dir", tar: lt.Tar(t, lt.Dir("..", 0o755)), mention: ".."},
		{name: "hardlink dotdot", tar: lt.Tar(t, lt.Hardlink("passwd", "../../etc/passwd")), mention: "passwd"},
		{name: "hardlink to dir", tar: lt.Tar(t, lt.Dir("d", 0o755), lt.Hardlink("l", "d")), mention: `"l"`},
		{name: "hardlink to symlink", tar: lt.Tar(t, lt.Symlink("s", "/etc/passwd"), lt.Hardlink("l", "s")), mention: `"l"`},
		{name: "hardlink to root", tar: lt.Tar(t, lt.Hardlink("l", "/")), mention: `"l"`},
		{name: "hardlink to itself", tar: lt.Tar(t, lt.Hardlink("l", "./l")), mention: `"l"`},
		{name: "device as non-root", tar: lt.Tar(t, lt.Char("dev/sda", 8, 0)), opts: layer.Options{Devices: layer.DevicesRefuse}, mention: "dev/sda"},
		{name: "fifo as non-root", tar: lt.Tar(t, lt.Fifo("p")), opts: layer.Options{Devices: layer.DevicesRefuse}, mention: `"p"`},
		{name: "absurd size", tar: headerOnly(t, big), mention: "huge"},
		{name: "over MaxFileSize", tar: lt.Tar(t, lt.Reg("f", "12345", 0o644)), opts: layer.Options{MaxFileSize: 4}, mention: `"f"`},
		{name: "trusted.overlay xattr", tar: lt.Tar(t, xattr("x", "trusted.overlay.opaque")), mention: "trusted.overlay.opaque"},
		{name: "acl xattr", tar: lt.Tar(t, xattr("acl", "system.posix_acl_access")), mention: "acl"},
		{name: "policy cannot allow trusted", tar: lt.Tar(t, xattr("x", "trusted.foo")),
			opts: layer.Options{Xattrs: func(string) layer.XattrAction { return layer.XattrApply }}, mention: "trusted.foo"},
		{name: "uid -1", tar: lt.Tar(t, uid), mention: "uid"},
		{name: "long component", tar: lt.Tar(t, lt.Reg(strings.Repeat("n", 256), "", 0o644)), mention: "nnnn"},
		{name: "long path", tar: lt.Tar(t, lt.Reg(strings.Repeat("d/", 2100)+"f", "", 0o644)), mention: "d/d/d"},
		{name: "empty whiteout", tar: lt.Tar(t, lt.Reg("dir/.wh.", "", 0o644)), mention: "dir/.wh."},
		{name: "whiteout of dotdot", tar: lt.Tar(t, lt.Reg("dir/.wh...", "", 0o644)), mention: "dir/.wh..."},
		{name: "root as a file", tar: lt.Tar(t, lt.Reg("/.", "", 0o644)), mention: `"/."`},
		{name: "root as a symlink", tar: lt.Tar(t, lt.Symlink(".", "/etc")), mention: `"."`},
		{name: "empty symlink", tar: lt.Tar(t, lt.Symlink("s", "")), mention: `"s"`},
		{name: "volume header", tar: withTypeflag(t, lt.Reg("vol", "", 0o644), 'V'), mention: "vol"},
		{name: "contiguous ok but unknown type", tar: withTypeflag(t, lt.Reg("weird", "", 0o644), 'Z'), mention: "weird"},
		{name: "too many entries", tar: lt.Tar(t, many...), opts: layer.Options{MaxEntries: 10}, mention: "f10"},
		{name: "too much metadata", tar: lt.Tar(t, lt.Reg("a", "", 0o644), lt.Reg("b", "", 0o644)), opts: layer.Options{MaxMetadataBytes: 600}, mention: `"b"`},
		{name: "overlong PAX", tar: overlongPAX(t), mention: `"ok"`},
		{name: "truncated content", tar: lt.Tar(t, lt.Reg("cut", strings.Repeat("x", 5000), 0o644))[:1024], mention: "cut"},
		{name: "truncated header", tar: lt.Tar(t, lt.Reg("first", "x", 0o644), lt.Reg("second", "y", 0o644))[:1300], mention: "first"},
		{name: "not a tar", tar: bytes.Repeat([]byte("garbage!"), 200), mention: "start of the layer"},
		{name: "zero block then data", tar: append(make([]byte, 512), bytes.Repeat([]byte{1}, 512)...), mention: "start of the layer"},
	}
}

func TestHostileTars(t *testing.T) {
	objs := newObjects(t)
	for _, c := range hostileCases(t) {
		t.Run(c.name, func(t *testing.T) {
			_, err := layer.Unpack(context.Background(), bytes.NewReader(c.tar), objs, c.opts)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("Unpack = %v, want invalid argument", err)
			}
			if !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("error %q does not name %q", err, c.mention)
			}
		})
	}
}

// TestAcceptedOddities: what is contained rather than refused.
func TestAcceptedOddities(t *testing.T) {
	objs := newObjects(t)
	selinux := lt.Reg("labelled", "x", 0o644)
	selinux.Hdr.PAXRecords = map[string]string{"SCHILY.xattr.security.selinux": "system_u:object_r:etc_t:s0"}
	l := roundTrip(t, objs, lt.Tar(t,
		lt.Reg("//abs/./file", "x", 0o644),
		lt.Reg("a/b/../c", "y", 0o644),
		lt.Hardlink("l", "/abs/file"),
		lt.Hardlink("lower", "/etc/passwd"), // resolved by the checkout, inside it
		selinux,
	))
	for p, want := range map[string]layer.Type{"abs/file": layer.TypeReg, "a/c": layer.TypeReg, "l": layer.TypeHardlink, "lower": layer.TypeHardlink} {
		if e := find(l, p); e == nil || e.Type != want {
			t.Errorf("%s: %+v", p, e)
		}
	}
	if e := find(l, "l"); e.Linkname != "abs/file" || e.Object != find(l, "abs/file").Object {
		t.Errorf("hardlink to an absolute name: %+v", e)
	}
	if e := find(l, "lower"); e.Linkname != "etc/passwd" || !e.Object.IsZero() {
		t.Errorf("hardlink to a lower layer: %+v", e)
	}
	if e := find(l, "labelled"); len(e.Xattrs) != 0 {
		t.Errorf("security.selinux was not dropped: %+v", e.Xattrs)
	}
}

type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

// TestSourceErrors: a failing source is reported as itself, not as a bad
// tar (the caller may retry a download; it must not blame the image).
func TestSourceErrors(t *testing.T) {
	objs := newObjects(t)
	boom := errors.New("connection reset")
	tb := lt.Tar(t, lt.Reg("a", strings.Repeat("x", 3000), 0o644))
	for _, cut := range []int{100, 700, 2000, len(tb) - 10} {
		_, err := layer.Unpack(context.Background(), &failingReader{r: bytes.NewReader(tb[:cut]), err: boom}, objs, layer.Options{})
		if !errors.Is(err, boom) || errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("cut at %d: %v", cut, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := layer.Unpack(ctx, bytes.NewReader(tb), objs, layer.Options{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
}

// TestDuplicatePAXRecords: archive/tar does not refuse a PAX header naming
// a key twice; the last one wins (as in every Go-based runtime), and the
// stream still round-trips exactly.
func TestDuplicatePAXRecords(t *testing.T) {
	pax := withTypeflag(t, lt.Reg("PaxHeaders/dup", "12 path=aaa\n12 path=bbb\n", 0o644), 'x')
	tb := append(pax[:len(pax)-1024], lt.Tar(t, lt.Reg("placeholder", "x", 0o644))...)
	l := roundTrip(t, newObjects(t), tb)
	if len(l.Entries) != 1 || l.Entries[0].Path != "bbb" {
		t.Fatalf("entries: %+v", l.Entries)
	}
}
