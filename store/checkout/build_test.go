package checkout_test

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/checkout"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
)

var capNetRaw = string([]byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})

func withXattrs(f lt.File, kv ...string) lt.File {
	f.Hdr.PAXRecords = map[string]string{}
	for i := 0; i < len(kv); i += 2 {
		f.Hdr.PAXRecords["SCHILY.xattr."+kv[i]] = kv[i+1]
	}
	return f
}

func owned(f lt.File, uid, gid int, mtime time.Time) lt.File {
	f.Hdr.Uid, f.Hdr.Gid, f.Hdr.ModTime = uid, gid, mtime
	return f
}

func handcraftedLayers(t testing.TB) [][]byte {
	t1 := time.Unix(1600000000, 111111111)
	base := lt.Tar(t,
		owned(lt.Dir("./", 0o755), 0, 0, t1),
		lt.Dir("bin", 0o755),
		withXattrs(owned(lt.Reg("bin/ping", "ping binary", 0o4755), 0, 0, t1), "security.capability", capNetRaw),
		lt.Hardlink("bin/ping6", "bin/ping"),
		lt.Reg("bin/sh", "#!shell", 0o755),
		owned(lt.Dir("etc", 0o755), 0, 0, t1),
		owned(lt.Reg("etc/passwd", "root:x:0:0\n", 0o644), 0, 0, t1),
		owned(lt.Reg("etc/shadow", "secret", 0o640), 0, 42, t1),
		lt.Symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
		withXattrs(owned(lt.Dir("home/user", 0o2750), 1000, 1000, t1), "user.quota", "10G"),
		owned(lt.Reg("home/user/.profile", "export A=1", 0o600), 1000, 1000, t1),
		lt.Dir("tmp", 0o1777),
		lt.Reg("tmp/empty", "", 0o644),
		lt.Reg("var/lib/dpkg/status", "Package: x", 0o644),
		lt.Reg("var/cache/apt/pkgcache.bin", "cache", 0o644),
		lt.Reg("var/cache/apt/srcpkgcache.bin", "cache", 0o644),
		lt.Dir("var/cache/keep", 0o755),
		lt.Reg("opt/app/old.jar", "old", 0o644),
		lt.Reg("opt/app/lib/a.so", "a", 0o755),
		lt.Fifo("run/initctl"),
		lt.Char("dev/null", 1, 3),
		owned(lt.Symlink("usr/lib64", "lib"), 3, 4, t1),
		lt.Reg("usr/lib/libc.so", "libc", 0o755),
		lt.Reg("replace/file-to-dir", "x", 0o644),
		lt.Dir("replace/dir-to-file", 0o755),
		lt.Reg("replace/dir-to-file/child", "c", 0o644),
		lt.Reg("replace/file-to-symlink", "x", 0o644),
	)
	update := lt.Tar(t,
		lt.Whiteout("etc", "shadow"),
		lt.Whiteout("opt", "app"),
		lt.Opaque("var/cache"),
		lt.Reg("var/cache/new", "fresh", 0o644),
		owned(lt.Dir("etc", 0o700), 5, 6, time.Unix(1650000000, 5)), // metadata of an existing dir
		lt.Reg("etc/passwd", "root:x:0:0\nuser:x:1000:1000\n", 0o644),
		lt.Hardlink("bin/sh-link", "bin/sh"), // a lower layer's file
		lt.Hardlink("bin/ping-lower", "bin/ping6"),
		lt.Dir("replace/file-to-dir", 0o711),
		lt.Reg("replace/dir-to-file", "now a file", 0o644),
		lt.Symlink("replace/file-to-symlink", "../bin/sh"),
		lt.Reg("opt/app/lib/b.so", "b", 0o755), // under a whited-out dir: implicit parents again
	)
	top := lt.Tar(t,
		lt.Reg("etc/shadow", "back", 0o600),
		lt.Whiteout("", "tmp"),
		lt.Reg("tmp/again", "t", 0o644),
		lt.Whiteout("run", "initctl"),
		lt.Whiteout("", "no-such-file"), // whiteouts of absent paths are fine
		lt.Opaque("no/such/dir"),
	)
	return [][]byte{base, update, top}
}

func TestBuildMatchesModel(t *testing.T) {
	e := newEnv(t)
	tars := handcraftedLayers(t)
	if err := e.build(t, e.layers(t, tars...)...); err != nil {
		t.Fatal(err)
	}
	lt.Check(t, lt.Merge(t, tars...), lt.Walk(t, e.dir))
	e.untouched(t)
	// Spot checks of what the model comparison covers generally.
	if ino(t, e.dir+"/bin/ping") != ino(t, e.dir+"/bin/ping6") || ino(t, e.dir+"/bin/ping") != ino(t, e.dir+"/bin/ping-lower") {
		t.Error("hardlinks do not share the inode")
	}
	if exists(e.dir+"/var/cache/apt") || !exists(e.dir+"/var/cache/new") || exists(e.dir+"/opt/app/old.jar") {
		t.Error("whiteouts or opaque directory not applied")
	}
}

// TestBuildEachPrefix: every prefix of the layer list matches the model too.
func TestBuildEachPrefix(t *testing.T) {
	tars := handcraftedLayers(t)
	for n := 1; n <= len(tars); n++ {
		e := newEnv(t)
		if err := e.build(t, e.layers(t, tars[:n]...)...); err != nil {
			t.Fatal(err)
		}
		lt.Check(t, lt.Merge(t, tars[:n]...), lt.Walk(t, e.dir))
	}
}

// randomLayers makes layers over a fixed set of directories (never turned
// into anything else, so nothing is written through a symlink, which the
// model does not follow) with leaves of every type replacing each other.
func randomLayers(t testing.TB, r *rand.Rand, layers, perLayer int) [][]byte {
	dirs := []string{".", "a", "a/b", "a/b/c", "d", "d/e"}
	var tars [][]byte
	for range layers {
		var fs []lt.File
		isReg := map[string]bool{}
		var regs []string
		for range perLayer {
			dir := dirs[r.IntN(len(dirs))]
			leaf := filepath.Join(dir, fmt.Sprintf("f%d", r.IntN(12)))
			var f lt.File
			switch k := r.IntN(14); {
			case k < 5:
				body := []string{"", "x", "same content", "other content"}[r.IntN(4)]
				f = lt.Reg(leaf, body, int64([]int{0o644, 0o755, 0o4755, 0o600}[r.IntN(4)]))
				f.Hdr.Uid = r.IntN(2) * 1000
				if r.IntN(4) == 0 {
					f = withXattrs(f, "user.k", fmt.Sprint(r.IntN(2)))
				}
				regs = append(regs, leaf)
			case k < 6 && len(regs) > 0:
				target := regs[r.IntN(len(regs))]
				if !isReg[target] || target == leaf {
					continue
				}
				f = lt.Hardlink(leaf, target)
				regs = append(regs, leaf)
			case k < 7:
				f = lt.Symlink(leaf, []string{"/", "../x", "f1", "/etc/passwd"}[r.IntN(4)])
			case k < 8:
				f = lt.Fifo(leaf)
			case k < 9:
				f = lt.Char(leaf, 1, int64(r.IntN(9)))
			case k < 11:
				f = lt.Whiteout(dir, fmt.Sprintf("f%d", r.IntN(12)))
			case k < 12 && dir != ".":
				f = lt.Whiteout(filepath.Dir(dir), filepath.Base(dir))
			case k < 13:
				f = lt.Opaque(dir)
			default:
				f = lt.Dir(dir, int64(0o700+r.IntN(0o77)))
				f.Hdr.Gid = r.IntN(3)
				if dir == "." {
					f.Hdr.Name = "./"
				}
			}
			if f.Hdr.Name == leaf {
				isReg[leaf] = f.Hdr.Typeflag == tar.TypeReg || f.Hdr.Typeflag == tar.TypeLink
			}
			f.Hdr.ModTime = time.Unix(int64(1e9+r.IntN(1e6)), int64(r.IntN(2))*500)
			if f.Hdr.Format != tar.FormatPAX {
				f.Hdr.ModTime = f.Hdr.ModTime.Truncate(time.Second)
			}
			fs = append(fs, f)
		}
		tars = append(tars, lt.Tar(t, fs...))
	}
	return tars
}

func TestBuildRandomMatchesModel(t *testing.T) {
	for seed := range uint64(60) {
		e := newEnv(t)
		tars := randomLayers(t, rand.New(rand.NewPCG(seed, 3)), 1+int(seed%4), 40)
		if err := e.build(t, e.layers(t, tars...)...); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, d := range lt.Diff(lt.Merge(t, tars...), lt.Walk(t, e.dir)) {
			t.Errorf("seed %d: %s", seed, d)
		}
		if t.Failed() {
			return
		}
	}
}

// TestImagesShareInodes: two images holding the same files (same content
// and metadata) share their inodes; a different mode means another object.
func TestImagesShareInodes(t *testing.T) {
	e := newEnv(t)
	jre := func(extra ...lt.File) []byte {
		fs := []lt.File{}
		for i := range 50 {
			fs = append(fs, lt.Reg(fmt.Sprintf("opt/jre/lib/f%d.jar", i), fmt.Sprintf("jar %d", i), 0o644))
		}
		return lt.Tar(t, append(fs, extra...)...)
	}
	a := e.layers(t, lt.Tar(t, lt.Reg("etc/os-release", "debian", 0o644)), jre(lt.Reg("opt/jre/bin/java", "java", 0o755)))
	b := e.layers(t, lt.Tar(t, lt.Reg("etc/os-release", "alpine", 0o644)), jre(lt.Reg("opt/jre/bin/java", "java", 0o700)))
	dirA, dirB := filepath.Join(e.base, "co", "a"), filepath.Join(e.base, "co", "b")
	if err := checkout.Build(context.Background(), dirA, a, e.objs); err != nil {
		t.Fatal(err)
	}
	if err := checkout.Build(context.Background(), dirB, b, e.objs); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		p := fmt.Sprintf("/opt/jre/lib/f%d.jar", i)
		if ino(t, dirA+p) != ino(t, dirB+p) {
			t.Fatalf("%s: not shared", p)
		}
	}
	if ino(t, dirA+"/opt/jre/bin/java") == ino(t, dirB+"/opt/jre/bin/java") {
		t.Error("same content with another mode shares an inode")
	}
	if ino(t, dirA+"/etc/os-release") == ino(t, dirB+"/etc/os-release") {
		t.Error("different content shares an inode")
	}
}

func TestBuildErrors(t *testing.T) {
	e := newEnv(t)
	if err := os.Mkdir(e.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := e.build(t); !errors.Is(err, errdefs.ErrAlreadyExists) {
		t.Fatalf("existing dir: %v", err)
	}
	os.Remove(e.dir)

	// A hardlink to a file no layer has; a file used as a directory.
	for name, tars := range map[string][][]byte{
		"missing hardlink target":  {lt.Tar(t, lt.Hardlink("x", "etc/passwd"))},
		"hardlink to a directory":  {lt.Tar(t, lt.Dir("d", 0o755)), lt.Tar(t, lt.Hardlink("x", "d"))},
		"file as parent":           {lt.Tar(t, lt.Reg("f", "x", 0o644)), lt.Tar(t, lt.Reg("f/g", "y", 0o644))},
		"link over its own target": {lt.Tar(t, lt.Reg("a/b/f", "x", 0o644)), lt.Tar(t, lt.Hardlink("a", "a/b/f"))},
	} {
		err := e.build(t, e.layers(t, tars...)...)
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if exists(e.dir) {
			t.Errorf("%s: failed build left %s", name, e.dir)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := checkout.Build(ctx, e.dir, e.layers(t, lt.Tar(t, lt.Reg("f", "x", 0o644))), e.objs); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v", err)
	}
	e.untouched(t)
}

// TestBuildManyDirectories goes past the descriptor cache's size, with
// hardlinks into lower layers' directories on the way.
func TestBuildManyDirectories(t *testing.T) {
	var lower, upper []lt.File
	for i := range 1500 {
		lower = append(lower, lt.Reg(fmt.Sprintf("d%d/sub/f", i), fmt.Sprint(i), 0o644))
		if i%3 == 0 {
			upper = append(upper, lt.Hardlink(fmt.Sprintf("d%d/link", (i*7)%1500), fmt.Sprintf("d%d/sub/f", i)))
		}
	}
	e := newEnv(t)
	tars := [][]byte{lt.Tar(t, lower...), lt.Tar(t, upper...)}
	if err := e.build(t, e.layers(t, tars...)...); err != nil {
		t.Fatal(err)
	}
	lt.Check(t, lt.Merge(t, tars...), lt.Walk(t, e.dir))
	e.untouched(t)
}
