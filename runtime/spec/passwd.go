package spec

import (
	"strconv"
	"strings"
)

// passwdEntry is the part of an /etc/passwd line a runtime needs.
type passwdEntry struct {
	Name     string
	UID, GID uint32
	Home     string
}

// groupEntry is one /etc/group line.
type groupEntry struct {
	Name    string
	GID     uint32
	Members []string
}

// parsePasswd reads an image's /etc/passwd. The file comes from an image,
// so it is outside input: a line that is not name:pw:uid:gid[:gecos:home
// [:shell]] with a sane name and numeric ids is skipped, never trusted.
func parsePasswd(data []byte) []passwdEntry {
	var out []passwdEntry
	for line := range dbLines(data) {
		f := strings.Split(line, ":")
		if len(f) < 4 || len(f) > 7 || !validDBName(f[0]) {
			continue
		}
		uid, ok1 := parseID(f[2])
		gid, ok2 := parseID(f[3])
		if !ok1 || !ok2 {
			continue
		}
		e := passwdEntry{Name: f[0], UID: uid, GID: gid}
		if len(f) > 5 {
			e.Home = f[5]
		}
		out = append(out, e)
	}
	return out
}

// parseGroup reads an image's /etc/group (name:pw:gid[:member,member…]),
// skipping malformed lines like parsePasswd.
func parseGroup(data []byte) []groupEntry {
	var out []groupEntry
	for line := range dbLines(data) {
		f := strings.Split(line, ":")
		if len(f) < 3 || len(f) > 4 || !validDBName(f[0]) {
			continue
		}
		gid, ok := parseID(f[2])
		if !ok {
			continue
		}
		e := groupEntry{Name: f[0], GID: gid}
		if len(f) == 4 {
			for _, m := range strings.Split(f[3], ",") {
				if m = strings.TrimSpace(m); validDBName(m) {
					e.Members = append(e.Members, m)
				}
			}
		}
		out = append(out, e)
	}
	return out
}

// dbLines yields the lines of a passwd-style file that carry an entry:
// no blank lines, no comments, no trailing CR.
func dbLines(data []byte) func(yield func(string) bool) {
	return func(yield func(string) bool) {
		for line := range strings.Lines(string(data)) {
			line = strings.TrimRight(line, "\r\n")
			if line == "" || line[0] == '#' {
				continue
			}
			if !yield(line) {
				return
			}
		}
	}
}

// validDBName refuses names no tool would have written: empty, NIS
// compat markers (+name, -name), and anything with whitespace, a control
// character, a colon or a comma, which would not survive a round trip.
func validDBName(s string) bool {
	if s == "" || s[0] == '+' || s[0] == '-' {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == 0x7f || r == ':' || r == ',' {
			return false
		}
	}
	return true
}

// parseID parses a decimal uid or gid. 4294967295 is (uid_t)-1, which the
// kernel reads as "no change", so it is never a valid id.
func parseID(s string) (uint32, bool) {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return 0, false
	}
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil || v == 1<<32-1 {
		return 0, false
	}
	return uint32(v), true
}
