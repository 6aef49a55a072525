// Package mountinfo answers "is this path a mount point" from
// /proc/self/mountinfo, which (unlike comparing device numbers) also
// sees bind mounts of a directory onto another of the same file system.
package mountinfo

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// Mounted reports whether path is a mount point.
func Mounted(path string) (bool, error) {
	path = filepath.Clean(path)
	points, err := MountPoints(func(p string) bool { return p == path })
	return len(points) > 0, err
}

// MountPoints lists the mount points for which keep returns true, in
// mount order (parents before children).
func MountPoints(keep func(string) bool) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		p := unescape(fields[4])
		if keep(p) {
			out = append(out, p)
		}
	}
	return out, sc.Err()
}

// unescape decodes the octal escapes (\040 for space…) mountinfo uses.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			v := (int(s[i+1]-'0') << 6) | (int(s[i+2]-'0') << 3) | int(s[i+3]-'0')
			b.WriteByte(byte(v))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
