// Package cgpath reads the cgroups paths ocid gives the OCI runtime: a
// cgroupfs path ("/ocid/<id>"), or with the systemd cgroup driver a
// "slice:prefix:name" triple, which runc turns into the transient unit
// "prefix-name.scope" below the slice. Statistics and OOM kills are read
// from the cgroup's directory, so both forms must lead to the same
// directory runc uses; the slice expansion follows systemd's rule (each
// dash opens a level: "a-b.slice" lives in "a.slice").
package cgpath

import (
	"fmt"
	"path"
	"strings"
)

// DefaultSlice is the slice runc uses for a triple whose slice is empty.
const DefaultSlice = "system.slice"

// Systemd builds the systemd driver's cgroups path for a unit named
// prefix-name.scope in slice.
func Systemd(slice, prefix, name string) string {
	return slice + ":" + prefix + ":" + name
}

// IsSystemd tells a systemd triple (or a bare slice name) from a
// cgroupfs path.
func IsSystemd(p string) bool {
	return strings.Contains(p, ":") || strings.HasSuffix(p, ".slice")
}

// FS returns the cgroup's directory relative to a hierarchy's mount,
// as an absolute clean path: a cgroupfs path as it is, a bare slice name
// expanded, a triple as runc's systemd driver places it.
func FS(p string) (string, error) {
	switch {
	case strings.Contains(p, ":"):
		parts := strings.Split(p, ":")
		if len(parts) != 3 || parts[2] == "" || strings.Contains(parts[1]+parts[2], "/") {
			return "", fmt.Errorf("cgroups path %q is not slice:prefix:name", p)
		}
		slice := parts[0]
		if slice == "" {
			slice = DefaultSlice
		}
		dir, err := ExpandSlice(slice)
		if err != nil {
			return "", err
		}
		unit := parts[2]
		if !strings.HasSuffix(unit, ".slice") {
			unit = parts[1] + "-" + unit + ".scope"
			if parts[1] == "" {
				unit = parts[2] + ".scope"
			}
		}
		return path.Join(dir, unit), nil
	case strings.HasSuffix(p, ".slice") && !strings.Contains(p, "/"):
		return ExpandSlice(p)
	default:
		return path.Clean("/" + p), nil
	}
}

// ExpandSlice turns a slice name into its cgroup directory:
// "kubepods-besteffort-pod1.slice" is
// "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice";
// "-.slice" is the root.
func ExpandSlice(slice string) (string, error) {
	name, ok := strings.CutSuffix(slice, ".slice")
	if !ok || name == "" || strings.Contains(name, "/") {
		return "", fmt.Errorf("%q is not a systemd slice name (name.slice)", slice)
	}
	if name == "-" {
		return "/", nil
	}
	var dir, prefix strings.Builder
	for i, part := range strings.Split(name, "-") {
		if part == "" {
			return "", fmt.Errorf("%q is not a systemd slice name: empty component", slice)
		}
		if i > 0 {
			prefix.WriteByte('-')
		}
		prefix.WriteString(part)
		dir.WriteString("/" + prefix.String() + ".slice")
	}
	return dir.String(), nil
}
