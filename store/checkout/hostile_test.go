package checkout_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	lt "github.com/ocid-project/ocid/store/layer/layertest"
)

func token() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "pwned-" + hex.EncodeToString(b)
}

func content(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestSymlinkToRootThenWriteThrough: "evil -> /" then "evil/tmp/X" lands in
// the checkout's tmp, not the host's.
func TestSymlinkToRootThenWriteThrough(t *testing.T) {
	e := newEnv(t)
	name := token()
	err := e.build(t, e.layers(t, lt.Tar(t,
		lt.Symlink("evil", "/"),
		lt.Reg("evil/tmp/"+name, "x", 0o644),
		lt.Char("evil/dev/"+name, 1, 3),
		lt.Dir("evil/"+name, 0o777),
	))...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/tmp/" + name, "/dev/" + name, "/" + name} {
		if exists(p) {
			os.RemoveAll(p)
			t.Fatalf("%s was created on the host", p)
		}
	}
	if content(t, e.dir+"/tmp/"+name) != "x" || !exists(e.dir+"/dev/"+name) || !exists(e.dir+"/"+name) {
		t.Fatal("entries written through evil -> / are not in the checkout's root")
	}
	e.untouched(t)
}

// TestRelativeSymlinkClimbing: "a -> ../../.." resolves at the checkout's
// root ("/.." is "/").
func TestRelativeSymlinkClimbing(t *testing.T) {
	e := newEnv(t)
	err := e.build(t, e.layers(t,
		lt.Tar(t, lt.Symlink("a", "../../.."), lt.Reg("a/x", "x", 0o644), lt.Reg("a/canary/victim", "overwritten?", 0o644)),
		lt.Tar(t, lt.Symlink("deep/b", "../../../../../../canary"), lt.Reg("deep/b/victim", "again", 0o644)),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	if content(t, e.dir+"/x") != "x" || content(t, e.dir+"/canary/victim") != "again" {
		t.Fatal("writes through climbing symlinks did not land at the checkout's root")
	}
	e.untouched(t)
}

// TestDirReplacedBySymlinkToOutside: a directory of a lower layer (whose
// descriptor the builder has cached) becomes a symlink to a host path;
// writing through it never reaches the host, in the same layer or a later
// one.
func TestDirReplacedBySymlinkToOutside(t *testing.T) {
	for _, sameLayer := range []bool{false, true} {
		e := newEnv(t)
		lower := []lt.File{lt.Dir("d", 0o755), lt.Reg("d/f", "lower", 0o644)}
		upper := []lt.File{lt.Symlink("d", e.canary), lt.Reg("d/pwned", "x", 0o644)}
		var tars [][]byte
		if sameLayer {
			tars = [][]byte{lt.Tar(t, append(lower, upper...)...)}
		} else {
			tars = [][]byte{lt.Tar(t, lower...), lt.Tar(t, upper...)}
		}
		err := e.build(t, e.layers(t, tars...)...)
		// The host path does not exist inside the checkout: the write
		// fails (as it would in a chroot).
		if err == nil || !strings.Contains(err.Error(), "d/pwned") {
			t.Errorf("sameLayer=%v: %v", sameLayer, err)
		}
		if exists(filepath.Join(e.canary, "pwned")) {
			t.Fatal("written through the symlink onto the host")
		}
		e.untouched(t)
	}
	// Same, to a path that exists inside: it lands there.
	e := newEnv(t)
	err := e.build(t, e.layers(t,
		lt.Tar(t, lt.Dir("d", 0o755), lt.Reg("d/f", "lower", 0o644), lt.Dir("etc", 0o755)),
		lt.Tar(t, lt.Symlink("d", "/etc"), lt.Reg("d/pwned", "x", 0o644)),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	if content(t, e.dir+"/etc/pwned") != "x" || exists(e.dir+"/etc/f") {
		t.Fatal("write through d -> /etc did not land in the checkout's /etc")
	}
	e.untouched(t)
}

// TestDeletionsThroughSymlinks: whiteouts and opaque markers under a
// symlink to a host directory delete nothing on the host.
func TestDeletionsThroughSymlinks(t *testing.T) {
	e := newEnv(t)
	err := e.build(t, e.layers(t,
		lt.Tar(t, lt.Symlink("c", e.canary), lt.Symlink("r", "../../canary")),
		lt.Tar(t, lt.Whiteout("c", "victim"), lt.Opaque("c/sub"), lt.Whiteout("r", "victim"), lt.Opaque("r")),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	e.untouched(t)
}

// TestMetadataThroughSymlinks: a symlink's owner and mtime are its own; a
// directory entry over a symlink replaces the symlink.
func TestMetadataThroughSymlinks(t *testing.T) {
	e := newEnv(t)
	link := owned(lt.Symlink("s", filepath.Join(e.canary, "victim")), 1234, 1234, lt.T0)
	dir := owned(lt.Dir("t", 0o777), 1234, 1234, lt.T0)
	err := e.build(t, e.layers(t,
		lt.Tar(t, link, lt.Symlink("t", e.canary)),
		lt.Tar(t, dir),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	var st unix.Stat_t
	unix.Lstat(e.dir+"/s", &st)
	if st.Uid != 1234 || st.Mode&unix.S_IFMT != unix.S_IFLNK {
		t.Error("symlink owner not set on the symlink")
	}
	unix.Lstat(e.dir+"/t", &st)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Uid != 1234 {
		t.Error("directory entry did not replace the symlink")
	}
	e.untouched(t)
}

// TestHardlinkToEtcPasswd: a hardlink to /etc/passwd links the image's own
// file or fails; the host's is never linked.
func TestHardlinkToEtcPasswd(t *testing.T) {
	var host unix.Stat_t
	if err := unix.Stat("/etc/passwd", &host); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t)
	err := e.build(t, e.layers(t,
		lt.Tar(t, lt.Reg("etc/passwd", "image's passwd", 0o644)),
		lt.Tar(t, lt.Hardlink("copy", "/etc/passwd"), lt.Symlink("e", "/etc"), lt.Hardlink("copy2", "e/passwd")),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"copy", "copy2"} {
		if ino(t, e.dir+"/"+p) != ino(t, e.dir+"/etc/passwd") || content(t, e.dir+"/"+p) != "image's passwd" {
			t.Errorf("%s is not the image's /etc/passwd", p)
		}
	}
	e.untouched(t)

	for name, tars := range map[string][][]byte{
		"absolute":        {lt.Tar(t, lt.Hardlink("copy", "/etc/passwd"))},
		"through symlink": {lt.Tar(t, lt.Symlink("e", "/etc")), lt.Tar(t, lt.Hardlink("copy", "e/passwd"))},
		"through climb":   {lt.Tar(t, lt.Symlink("e", "../../../../etc")), lt.Tar(t, lt.Hardlink("copy", "e/passwd"))},
	} {
		e := newEnv(t)
		if err := e.build(t, e.layers(t, tars...)...); err == nil {
			t.Errorf("%s: hardlink to a missing /etc/passwd succeeded", name)
		}
		var after unix.Stat_t
		unix.Stat("/etc/passwd", &after)
		if after.Nlink != host.Nlink || after.Ctim != host.Ctim {
			t.Fatalf("%s: the host's /etc/passwd was linked", name)
		}
		e.untouched(t)
	}
}

// TestOpaqueRootAndWhiteoutOfSymlinkedDir stay inside.
func TestOpaqueRootAndWhiteoutOfSymlinkedDir(t *testing.T) {
	e := newEnv(t)
	err := e.build(t, e.layers(t,
		lt.Tar(t, lt.Reg("a", "a", 0o644), lt.Symlink("up", ".."), lt.Dir("d", 0o755)),
		lt.Tar(t, lt.Opaque("."), lt.Whiteout("up", "canary"), lt.Reg("b", "b", 0o644)),
	)...)
	if err != nil {
		t.Fatal(err)
	}
	if exists(e.dir+"/a") || exists(e.dir+"/d") || !exists(e.dir+"/b") {
		t.Fatal("opaque root not applied")
	}
	e.untouched(t)
}
