package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/internal/mountinfo"
	"github.com/ocid-project/ocid/store"
)

func TestContainerRootfs(t *testing.T) {
	ts := newStore(t)
	fx := fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip)
	img := ts.pull(fx, "test/bb:1")
	passwd := filepath.Join(ts.s.CheckoutPath(img), "etc/passwd")
	orig, _ := os.ReadFile(passwd)

	// Read-only: a bind mount of the checkout, no overlay; writes fail.
	ro, err := ts.s.CreateContainer("ro1", "test/bb:1", store.ContainerOptions{ReadOnly: true})
	if err != nil || ro.Overlay {
		t.Fatalf("read-only container: %+v %v", ro, err)
	}
	root, err := ts.s.Mount("ro1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("x"), 0o644); !errors.Is(err, unix.EROFS) {
		t.Fatalf("write to a read-only root: %v, want EROFS", err)
	}
	if again, err := ts.s.Mount("ro1"); err != nil || again != root {
		t.Fatalf("second mount: %s %v", again, err)
	}

	// Writable: overlay; a write lands in the upper dir, the shared
	// object keeps its bytes.
	if _, err := ts.s.CreateContainer("rw1", "test/bb:1", store.ContainerOptions{}); err != nil {
		t.Fatal(err)
	}
	rw, err := ts.s.Mount("rw1")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(rw, "etc/passwd"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The overlay's root looks like the image's root (overlayfs takes it
	// from the upper dir), or a non-root user could not traverse "/".
	var imgRoot, ctrRoot unix.Stat_t
	unix.Stat(ts.s.CheckoutPath(img), &imgRoot)
	unix.Stat(rw, &ctrRoot)
	if ctrRoot.Mode != imgRoot.Mode || ctrRoot.Uid != imgRoot.Uid || ctrRoot.Gid != imgRoot.Gid || imgRoot.Mode&0o005 != 0o005 {
		t.Fatalf("container root mode %o uid %d gid %d, image root mode %o uid %d gid %d",
			ctrRoot.Mode, ctrRoot.Uid, ctrRoot.Gid, imgRoot.Mode, imgRoot.Uid, imgRoot.Gid)
	}
	if now, _ := os.ReadFile(passwd); string(now) != string(orig) {
		t.Fatal("a container write reached the shared object")
	}

	// Read-only but able to remount: overlay, mounted read-only.
	priv, err := ts.s.CreateContainer("priv", "test/bb:1", store.ContainerOptions{ReadOnly: true, MayRemount: true})
	if err != nil || !priv.Overlay {
		t.Fatalf("privileged read-only container must get overlay: %+v %v", priv, err)
	}
	pr, err := ts.s.Mount("priv")
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("", pr, "", unix.MS_REMOUNT, ""); err != nil {
		t.Fatalf("remount rw: %v", err)
	}
	os.WriteFile(filepath.Join(pr, "etc/passwd"), []byte("privileged"), 0o644)
	if now, _ := os.ReadFile(passwd); string(now) != string(orig) {
		t.Fatal("a remounted root wrote into the shared object")
	}

	// The image cannot go while containers use it.
	if _, err := ts.s.Remove(img.ID.String()); !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("removing a used image: %v", err)
	}
	for _, id := range []string{"ro1", "rw1", "priv"} {
		if err := ts.s.RemoveContainer(id); err != nil {
			t.Fatal(err)
		}
		if m, _ := mountinfo.Mounted(ts.s.RootfsPath(id)); m {
			t.Fatalf("%s still mounted", id)
		}
		if err := ts.s.RemoveContainer(id); err != nil {
			t.Fatalf("second remove must be a no-op: %v", err)
		}
	}
	if _, err := ts.s.Remove(img.ID.String()); err != nil {
		t.Fatal(err)
	}
}

// TestVolatileContainer: a removed-on-exit container's overlay is mounted
// volatile, and mounts again after a crash left the kernel's marker.
func TestVolatileContainer(t *testing.T) {
	ts := newStore(t)
	ts.pull(fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip), "test/bb:1")
	c, err := ts.s.CreateContainer("v1", "test/bb:1", store.ContainerOptions{Volatile: true})
	if err != nil || !c.Volatile {
		t.Fatalf("%+v %v", c, err)
	}
	root, err := ts.s.Mount("v1")
	if err != nil {
		t.Fatal(err)
	}
	if opts := mountOptions(t, root); !strings.Contains(opts, "volatile") {
		t.Fatalf("overlay options %q lack volatile", opts)
	}
	os.WriteFile(filepath.Join(root, "kept"), []byte("x"), 0o644)
	// As after a crash: the marker overlayfs leaves under the work dir
	// stays behind the unmount.
	if err := ts.s.Unmount("v1"); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(ts.s.Root(), "containers", "v1", "work", "work", "incompat", "volatile")
	if err := os.MkdirAll(marker, 0o700); err != nil {
		t.Fatal(err)
	}
	if root, err = ts.s.Mount("v1"); err != nil {
		t.Fatalf("mount after a crash: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(root, "kept")); err != nil || string(b) != "x" {
		t.Fatalf("the container's write after a remount: %q %v", b, err)
	}
	if err := ts.s.RemoveContainer("v1"); err != nil {
		t.Fatal(err)
	}
	// A read-only root has no overlay to make volatile.
	if c, _ := ts.s.CreateContainer("v2", "test/bb:1", store.ContainerOptions{ReadOnly: true, Volatile: true}); c == nil || c.Volatile {
		t.Fatalf("read-only container: %+v", c)
	}
	ts.s.RemoveContainer("v2")
}

// TestIDMappedContainer: a container in a user namespace sees the image's
// root-owned files as its own root's (host ID 100000 here) through an
// ID-mapped mount, without the shared checkout changing owner.
func TestIDMappedContainer(t *testing.T) {
	ts := newStore(t)
	img := ts.pull(fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip), "test/bb:1")
	userns := fixtures.UserNamespace(t, 100000, 65536)
	m := &store.IDMap{Userns: userns, UIDs: []store.IDRange{{HostID: 100000, Size: 65536}}, GIDs: []store.IDRange{{HostID: 100000, Size: 65536}}}
	for _, o := range []store.ContainerOptions{{IDMap: m}, {IDMap: m, ReadOnly: true}} {
		id := fmt.Sprintf("mapped-ro%v", o.ReadOnly)
		if _, err := ts.s.CreateContainer(id, "test/bb:1", o); err != nil {
			t.Fatal(err)
		}
		root, err := ts.s.Mount(id)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{root, filepath.Join(root, "etc/passwd"), filepath.Join(root, "bin/busybox")} {
			var st unix.Stat_t
			if err := unix.Lstat(p, &st); err != nil {
				t.Fatal(err)
			}
			if st.Uid != 100000 || st.Gid != 100000 {
				t.Errorf("%s: %s is owned by %d:%d, want 100000:100000", id, p, st.Uid, st.Gid)
			}
		}
		if !o.ReadOnly {
			if err := os.WriteFile(filepath.Join(root, "etc/hostname"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := ts.s.RemoveContainer(id); err != nil {
			t.Fatal(err)
		}
		if mounts := fixtures.MountsUnder(ts.s.Root()); len(mounts) > 0 {
			t.Fatalf("mounts left: %v", mounts)
		}
	}
	var st unix.Stat_t
	unix.Stat(filepath.Join(ts.s.CheckoutPath(img), "etc/passwd"), &st)
	if st.Uid != 0 {
		t.Fatalf("the shared checkout changed owner: %d", st.Uid)
	}
	bad := &store.IDMap{Userns: userns, UIDs: []store.IDRange{{HostID: 100000}}, GIDs: m.GIDs}
	if _, err := ts.s.CreateContainer("bad", "test/bb:1", store.ContainerOptions{IDMap: bad}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("an empty ID range: %v", err)
	}
}

// mountOptions returns the super options of the mount at path.
func mountOptions(t *testing.T, path string) string {
	raw, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 && f[4] == path {
			return line
		}
	}
	t.Fatalf("%s is not mounted", path)
	return ""
}

// An image mounted ID-mapped (an image volume of a user-namespaced pod)
// shows the image's root-owned files as the namespace's root's, read-only,
// nosuid and nodev, and unmounts like any image mount.
func TestImageMountIDMapped(t *testing.T) {
	ts := newStore(t)
	ts.pull(fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip), "test/bb:1")
	userns := fixtures.UserNamespace(t, 100000, 65536)
	if _, err := ts.s.MountImageIDMapped("test/bb:1", "", userns); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("no mount point: %v", err)
	}
	dir := filepath.Join(t.TempDir(), "vol")
	mp, err := ts.s.MountImageIDMapped("test/bb:1", dir, userns)
	if err != nil {
		t.Fatal(err)
	}
	defer ts.s.UnmountImage(mp)
	var st unix.Stat_t
	if err := unix.Stat(filepath.Join(mp, "bin/busybox"), &st); err != nil {
		t.Fatal(err)
	}
	if st.Uid != 100000 || st.Gid != 100000 {
		t.Fatalf("bin/busybox is owned by %d:%d through the mapped mount, want 100000:100000", st.Uid, st.Gid)
	}
	if err := os.WriteFile(filepath.Join(mp, "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Fatalf("mapped image mount is writable: %v", err)
	}
	if opts := mountOptions(t, mp); !strings.Contains(opts, "nosuid") || !strings.Contains(opts, "nodev") || !strings.Contains(opts, "idmapped") {
		t.Fatalf("mount options: %s", opts)
	}
	if err := ts.s.UnmountImage(mp); err != nil {
		t.Fatal(err)
	}
	if m, _ := mountinfo.Mounted(mp); m {
		t.Fatal("still mounted")
	}
}

func TestImageMount(t *testing.T) {
	ts := newStore(t)
	ts.pull(fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip), "test/bb:1")
	dir, err := ts.s.MountImage("test/bb:1", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "bin/busybox")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "x"), nil, 0o644); !errors.Is(err, unix.EROFS) {
		t.Fatalf("image mount is writable: %v", err)
	}
	if err := ts.s.UnmountImage("test/bb:1"); err != nil {
		t.Fatal(err)
	}
	if m, _ := mountinfo.Mounted(dir); m {
		t.Fatal("still mounted")
	}
}

// TestAdditionalStore: images of a read-only store are listed and run in
// place, from that store's checkout, without copying.
func TestAdditionalStore(t *testing.T) {
	shared := newStore(t)
	fx := fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip)
	img := shared.pull(fx, "shared/bb:1")

	node := newStore(t, func(o *store.Options) { o.AdditionalStores = []string{shared.s.Root()} })
	imgs, err := node.s.Images()
	if err != nil || len(imgs) != 1 || imgs[0].ReadOnlyStore != shared.s.Root() {
		t.Fatalf("images seen through the additional store: %+v %v", imgs, err)
	}
	if _, err := node.s.CreateContainer("c1", "shared/bb:1", store.ContainerOptions{ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	root, err := node.s.Mount("c1")
	if err != nil {
		t.Fatal(err)
	}
	var a, b unix.Stat_t
	unix.Stat(filepath.Join(root, "bin/busybox"), &a)
	unix.Stat(filepath.Join(shared.s.CheckoutPath(img), "bin/busybox"), &b)
	if a.Ino != b.Ino || a.Dev != b.Dev {
		t.Fatal("the container does not run the shared store's files in place")
	}
	u, _ := node.s.DiskUsage()
	if u.Objects != 0 {
		t.Fatalf("the node store copied %d objects", u.Objects)
	}
	if err := node.s.RemoveContainer("c1"); err != nil {
		t.Fatal(err)
	}
}
