package runtime

import (
	"errors"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store"
)

// The monitor reads OOM kills where runc's systemd driver puts the
// container's cgroup.
func TestMemoryCgroupsOfSystemdPaths(t *testing.T) {
	got := memoryCgroups("ocid.slice:ocid:abc")
	want := []string{"/sys/fs/cgroup/memory/ocid.slice/ocid-abc.scope", "/sys/fs/cgroup/unified/ocid.slice/ocid-abc.scope", "/sys/fs/cgroup/ocid.slice/ocid-abc.scope"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("systemd: %q", got)
	}
	if got := memoryCgroups("/ocid/abc"); got[0] != "/sys/fs/cgroup/memory/ocid/abc" {
		t.Errorf("cgroupfs: %q", got)
	}
}

// With the systemd driver, the cgroupfs default parent means ocid.slice
// and any other parent must be a slice.
func TestSystemdCgroupParent(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(store.Options{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	opts := func(parent string) Options {
		return Options{Store: st, Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run"),
			Handlers: []Handler{{Name: "runc", Path: "runc", SystemdCgroup: true}}, CgroupParent: parent}
	}
	m, err := New(opts("/ocid"))
	if err != nil || m.CgroupParent() != "ocid.slice" || !m.SystemdCgroup() {
		t.Fatalf("default parent under systemd: %v, %v", m, err)
	}
	if _, err := New(opts("/custom/path")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("a cgroupfs parent under systemd: %v", err)
	}
	if m, err := New(opts("kubepods.slice")); err != nil || m.CgroupParent() != "kubepods.slice" {
		t.Fatalf("a slice parent: %v", err)
	}
}
