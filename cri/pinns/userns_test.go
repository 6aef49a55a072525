package pinns

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestPinInUserns: the four namespaces are pinned, the user namespace has
// the mappings, the other three belong to it, the host name is set, and
// unpinning leaves nothing mounted.
func TestPinInUserns(t *testing.T) {
	dir := t.TempDir()
	p := PodPaths{User: filepath.Join(dir, "user"), Net: filepath.Join(dir, "net"), IPC: filepath.Join(dir, "ipc"), UTS: filepath.Join(dir, "uts")}
	uids := []IDMap{{ContainerID: 0, HostID: 200000, Size: 65536}}
	gids := []IDMap{{ContainerID: 0, HostID: 300000, Size: 65536}}
	if err := PinInUserns(p, uids, gids, "userns-pod"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, path := range []string{p.User, p.Net, p.IPC, p.UTS} {
			if err := Unpin(path); err != nil {
				t.Error(err)
			}
		}
	})
	nsenter := func(args ...string) string {
		out, err := exec.Command("nsenter", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("nsenter %v: %v: %s", args, err, out)
		}
		return strings.Join(strings.Fields(string(out)), " ")
	}
	if got := nsenter("--user="+p.User, "cat", "/proc/self/uid_map"); got != "0 200000 65536" {
		t.Errorf("uid_map %q", got)
	}
	if got := nsenter("--user="+p.User, "cat", "/proc/self/gid_map"); got != "0 300000 65536" {
		t.Errorf("gid_map %q", got)
	}
	if got := nsenter("--user="+p.User, "cat", "/proc/self/setgroups"); got != "allow" {
		t.Errorf("setgroups %q", got)
	}
	if got := nsenter("--uts="+p.UTS, "hostname"); got != "userns-pod" {
		t.Errorf("hostname %q", got)
	}
	userIno := inode(t, p.User)
	for _, path := range []string{p.Net, p.IPC, p.UTS} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		owner, err := unix.IoctlRetInt(int(f.Fd()), unix.NS_GET_USERNS)
		f.Close()
		if err != nil {
			t.Fatalf("%s: NS_GET_USERNS: %v", path, err)
		}
		var st unix.Stat_t
		unix.Fstat(owner, &st)
		unix.Close(owner)
		if st.Ino != userIno {
			t.Errorf("%s is owned by user namespace %d, not the pod's %d", filepath.Base(path), st.Ino, userIno)
		}
	}
	if err := PinInUserns(p, uids, gids, ""); err == nil {
		t.Error("pinning over existing pins succeeded")
	}
}

func inode(t *testing.T, path string) uint64 {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatal(err)
	}
	return st.Ino
}
