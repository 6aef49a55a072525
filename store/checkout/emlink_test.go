package checkout_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

// TestBuildAtLinkLimit fills an object to ext4's 65000 links, then builds
// a checkout that needs more: a regular file, a hardlink within the layer
// and a hardlink to a lower layer's file all land on an overflow copy with
// the same content and metadata. It needs the temp dir on ext4 (where the
// store lives); the EMLINK logic itself is also tested in store/objects
// with an injected link limit.
func TestBuildAtLinkLimit(t *testing.T) {
	e := newEnv(t)
	var sfs unix.Statfs_t
	if err := unix.Statfs(e.base, &sfs); err != nil {
		t.Fatal(err)
	}
	if sfs.Type != unix.EXT4_SUPER_MAGIC {
		t.Logf("temp dir is not on ext4 (f_type %#x): no link limit to reach", sfs.Type)
		return
	}
	f := lt.Reg("f", "popular", 0o644)
	o, err := e.objs.Put(context.Background(), objects.FileMeta{Mode: 0o644, Mtime: lt.T0}, bytes.NewReader(f.Body))
	if err != nil {
		t.Fatal(err)
	}
	fill := t.TempDir()
	fd, err := unix.Open(fill, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	for i := range 65000 - 2 { // the object's own name is one link
		if err := e.objs.LinkInto(o.Key, fd, strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	ls := e.layers(t,
		lt.Tar(t, f, lt.Reg("g", "popular", 0o644), lt.Hardlink("h", "g")),
		lt.Tar(t, lt.Hardlink("lower", "f")),
	)
	if ls[0].Entries[0].Object != o.Key {
		t.Fatal("layer file is not the filled object")
	}
	if err := e.build(t, ls...); err != nil {
		t.Fatal(err)
	}
	main, copy1 := ino(t, o.Path), ino(t, o.Path+".1")
	if ino(t, e.dir+"/f") != main {
		t.Error("f should take the object's last link")
	}
	for _, p := range []string{"g", "h", "lower"} {
		if ino(t, e.dir+"/"+p) != copy1 {
			t.Errorf("%s is not on the overflow copy", p)
		}
	}
	// Same tree as the model, except that one object is now two inodes.
	want := lt.Merge(t, lt.Tar(t, f, lt.Reg("g", "popular", 0o644), lt.Hardlink("h", "g"), lt.Hardlink("lower", "f")))
	for _, d := range lt.Diff(want, lt.Walk(t, e.dir)) {
		if !strings.Contains(d, "share an inode") {
			t.Error(d)
		}
	}
	if err := e.objs.Verify(o.Key); err != nil {
		t.Fatal(err)
	}
}
