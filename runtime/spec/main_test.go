package spec

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestMain proves, after every test ran, that runc left none of the tests'
// cgroups behind in any hierarchy.
func TestMain(m *testing.M) {
	code := m.Run()
	left, _ := filepath.Glob("/sys/fs/cgroup/*/" + cgroupPrefix + "*")
	v2, _ := filepath.Glob("/sys/fs/cgroup/" + cgroupPrefix + "*")
	if left = append(left, v2...); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "cgroups left behind: %q\n", left)
		code = 1
	}
	os.Exit(code)
}
