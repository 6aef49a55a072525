package cgwarm

import (
	"os"
	"testing"
)

// prime finds this process's cgroup and moves the process into it: the
// write succeeds (as root) and the process stays where it was.
func TestPrimeMovesNowhere(t *testing.T) {
	before, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	procs, err := ownProcsFile()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("cgroup.procs: %s", procs)
	if err := prime(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		t.Fatal(err)
	}
	if string(before) != string(after) {
		t.Fatalf("cgroups changed:\n%s\nto\n%s", before, after)
	}
	Prime() // the asynchronous form runs without effect either
}
