package cri

import (
	"errors"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestCgroupsPathFor(t *testing.T) {
	if got := cgroupsPathFor(false, "/kubepods/besteffort/pod1", "abc"); got != "/kubepods/besteffort/pod1/abc" {
		t.Errorf("cgroupfs: %q", got)
	}
	if got := cgroupsPathFor(true, "kubepods-besteffort-pod1.slice", "abc"); got != "kubepods-besteffort-pod1.slice:ocid:abc" {
		t.Errorf("systemd: %q", got)
	}
}

// The kubelet's cgroup driver must match ocid's: a parent of the other
// kind is refused by name before anything is made.
func TestCheckCgroupParent(t *testing.T) {
	for _, tc := range []struct {
		systemd bool
		parent  string
		ok      bool
	}{
		{false, "", true},
		{true, "", true},
		{false, "/kubepods/burstable/pod1", true},
		{true, "kubepods-burstable-pod1.slice", true},
		{false, "kubepods-burstable-pod1.slice", false},
		{false, "kubepods/burstable", false},
		{true, "/kubepods/burstable/pod1", false},
		{true, "kubepods--x.slice", false},
	} {
		err := checkCgroupParent(tc.systemd, tc.parent)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, errdefs.ErrInvalidArgument)) {
			t.Errorf("systemd=%v parent %q: %v", tc.systemd, tc.parent, err)
		}
	}
}
