package cgstats

import (
	"fmt"
	"strconv"
	"strings"
)

// Parsers for /proc text files (see parse.go for the cgroup ones).

// NetInterface is one network interface's counters from /proc/PID/net/dev.
type NetInterface struct {
	Name                                    string
	RxBytes, RxPackets, RxErrors, RxDropped uint64
	TxBytes, TxPackets, TxErrors, TxDropped uint64
}

// parseNetDev reads /proc/net/dev: two header lines, then
// "NAME: 8 receive counters 8 transmit counters". Interface names cannot
// contain ':' (the kernel refuses them), so the first colon ends the name;
// old kernels print no space after it when the byte count is wide.
func parseNetDev(data string) ([]NetInterface, error) {
	var out []NetInterface
	for i, line := range strings.Split(data, "\n") {
		if i < 2 || strings.TrimSpace(line) == "" {
			continue // the two header lines
		}
		name, rest, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("%w: line %d: %q has no \"NAME:\"", errSyntax, i+1, line)
		}
		f := strings.Fields(rest)
		if len(f) != 16 {
			return nil, fmt.Errorf("%w: line %d: want 16 counters, got %d", errSyntax, i+1, len(f))
		}
		var v [16]uint64
		for j, s := range f {
			n, err := parseUint(s)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", i+1, err)
			}
			v[j] = n
		}
		// Columns: rx bytes packets errs drop fifo frame compressed multicast,
		// then tx bytes packets errs drop fifo colls carrier compressed.
		out = append(out, NetInterface{
			Name:    name,
			RxBytes: v[0], RxPackets: v[1], RxErrors: v[2], RxDropped: v[3],
			TxBytes: v[8], TxPackets: v[9], TxErrors: v[10], TxDropped: v[11],
		})
	}
	return out, nil
}

// Ulimit is one soft resource limit of a process.
type Ulimit struct {
	// Name is the /proc/PID/limits row in snake case, as cadvisor names
	// them: "max_open_files", "max_processes", ...
	Name string
	// Soft is the soft limit, Unlimited for "unlimited".
	Soft uint64
}

// parseLimits reads /proc/PID/limits. The kernel pads columns with spaces
// but a 20-digit number can fill its column, so rather than cutting at
// fixed offsets, the name is every word before the first one that is a
// number or "unlimited"; the next word is the soft limit.
func parseLimits(data string) ([]Ulimit, error) {
	var out []Ulimit
	for i, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "Limit" {
			continue // blank or the header row
		}
		v := 0
		for v < len(f) && !isLimitValue(f[v]) {
			v++
		}
		if v == 0 || v+1 >= len(f) { // need a name, a soft and a hard value
			return nil, fmt.Errorf("%w: line %d: %q is not \"Name soft hard [units]\"", errSyntax, i+1, line)
		}
		soft := uint64(Unlimited)
		if f[v] != "unlimited" {
			soft, _ = strconv.ParseUint(f[v], 10, 64) // isLimitValue checked it
		}
		out = append(out, Ulimit{Name: strings.ToLower(strings.Join(f[:v], "_")), Soft: soft})
	}
	return out, nil
}

func isLimitValue(s string) bool {
	if s == "unlimited" {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

// mountEntry is the part of a /proc/PID/mountinfo line used to name the
// device a directory lives on.
type mountEntry struct {
	Major, Minor uint64
	MountPoint   string
	Source       string
}

// parseMountinfo reads /proc/PID/mountinfo:
//
//	ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
//
// Paths have space, tab, newline and backslash escaped as \ooo octal.
func parseMountinfo(data string) ([]mountEntry, error) {
	var out []mountEntry
	for i, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		sep := -1
		for j := 6; j < len(f); j++ {
			if f[j] == "-" {
				sep = j
				break
			}
		}
		if len(f) < 6 || sep < 0 || sep+2 >= len(f) {
			return nil, fmt.Errorf("%w: line %d: %q is not a mountinfo line", errSyntax, i+1, line)
		}
		major, minor, err := parseDevice(f[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, mountEntry{
			Major: major, Minor: minor,
			MountPoint: unescapeOctal(f[4]),
			Source:     unescapeOctal(f[sep+2]),
		})
	}
	return out, nil
}

// unescapeOctal undoes the kernel's \ooo escaping of mount paths. A
// backslash not followed by a byte's three octal digits is kept as is.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && s[i+1] >= '0' && s[i+1] <= '3' && isOctal(s[i+2]) && isOctal(s[i+3]) {
			b.WriteByte((s[i+1]-'0')<<6 | (s[i+2]-'0')<<3 | (s[i+3] - '0'))
			i += 3
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }
