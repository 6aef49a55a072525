package cgstats

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The parsers here take the text of one kernel file and nothing else, so
// they can be fuzzed. They are strict: a line that does not have the
// documented shape is an error, because it means we are reading the wrong
// file (or a kernel we do not understand) and a silently wrong number is
// worse than a missing one.

// Unlimited is what a limit reads as when none is set: "max" on cgroup v2,
// the page-rounded 2^63-1 on v1, RLIM_INFINITY ("unlimited") in /proc/PID/limits.
const Unlimited = math.MaxUint64

// v1Unlimited is the smallest value treated as "no limit" in a v1 file.
// The kernel shows an unset v1 limit as PAGE_COUNTER_MAX pages in bytes,
// which is 2^63-1 rounded down to the page size; no real limit comes near
// 2^62 bytes (4 EiB).
const v1Unlimited = 1 << 62

var errSyntax = errors.New("malformed kernel file")

// parseUint reads a decimal counter or size.
func parseUint(s string) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%w: %q is not an unsigned integer", errSyntax, s)
	}
	return v, nil
}

// parseLimit reads a single-value limit file (memory.max, pids.max,
// memory.limit_in_bytes, ...): "max", -1 and v1's huge sentinel all mean
// Unlimited.
func parseLimit(s string) (uint64, error) {
	s = strings.TrimSpace(s)
	if s == "max" || s == "-1" {
		return Unlimited, nil
	}
	v, err := parseUint(s)
	if err != nil {
		return 0, err
	}
	if v >= v1Unlimited {
		return Unlimited, nil
	}
	return v, nil
}

// parseFlatKeyed reads "key value" lines (cpu.stat, memory.stat,
// memory.events, cpuacct.stat, memory.oom_control). Blank lines are allowed;
// a repeated key keeps its last value.
func parseFlatKeyed(data string) (map[string]uint64, error) {
	out := map[string]uint64{}
	for i, line := range strings.Split(data, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%w: line %d: want \"key value\", got %q", errSyntax, i+1, line)
		}
		v, err := parseUint(f[1])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out[f[0]] = v
	}
	return out, nil
}

// parseNestedKeyed reads "key sub=value sub=value" lines (io.stat,
// cpu.pressure and friends). Values stay strings because PSI averages are
// decimals; the caller converts the ones it uses. A key may have no
// sub-keys (io.stat prints a device whose counters are all zero that way on
// some kernels).
func parseNestedKeyed(data string) (map[string]map[string]string, error) {
	out := map[string]map[string]string{}
	for i, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		sub := out[f[0]]
		if sub == nil {
			sub = map[string]string{}
			out[f[0]] = sub
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || k == "" || v == "" {
				return nil, fmt.Errorf("%w: line %d: %q is not key=value", errSyntax, i+1, kv)
			}
			sub[k] = v
		}
	}
	return out, nil
}

// blkioEntry is one line of a v1 blkio file: "MAJ:MIN Op value".
type blkioEntry struct {
	Major, Minor uint64
	Op           string
	Value        uint64
}

// parseBlkioV1 reads blkio.*io_service_bytes* and blkio.*io_serviced*.
// The final "Total N" line (the sum over devices) is skipped.
func parseBlkioV1(data string) ([]blkioEntry, error) {
	var out []blkioEntry
	for i, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || (len(f) == 2 && f[0] == "Total") {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%w: line %d: want \"MAJ:MIN Op value\", got %q", errSyntax, i+1, line)
		}
		major, minor, err := parseDevice(f[0])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		v, err := parseUint(f[2])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		out = append(out, blkioEntry{Major: major, Minor: minor, Op: f[1], Value: v})
	}
	return out, nil
}

// parseDevice reads "MAJ:MIN".
func parseDevice(s string) (major, minor uint64, err error) {
	a, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("%w: %q is not MAJ:MIN", errSyntax, s)
	}
	if major, err = parseUint(a); err != nil {
		return 0, 0, err
	}
	if minor, err = parseUint(b); err != nil {
		return 0, 0, err
	}
	return major, minor, nil
}

// parseCPUMax reads v2 cpu.max, "QUOTA PERIOD" with QUOTA "max" when there
// is none. A quota of 0 is returned for "max" (a real quota is at least
// 1000µs).
func parseCPUMax(data string) (quota, period uint64, err error) {
	f := strings.Fields(data)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("%w: cpu.max %q is not \"QUOTA PERIOD\"", errSyntax, data)
	}
	if period, err = parseUint(f[1]); err != nil {
		return 0, 0, err
	}
	if f[0] == "max" {
		return 0, period, nil
	}
	if quota, err = parseUint(f[0]); err != nil {
		return 0, 0, err
	}
	return quota, period, nil
}

// psiTotals picks the cumulative stall times (µs) out of a parsed
// cpu.pressure/io.pressure/memory.pressure. "full" is absent from
// cpu.pressure before Linux 5.13; it reads as 0.
func psiTotals(m map[string]map[string]string) (some, full uint64, err error) {
	for _, line := range []struct {
		key string
		dst *uint64
	}{{"some", &some}, {"full", &full}} {
		sub, ok := m[line.key]
		if !ok {
			continue
		}
		t, ok := sub["total"]
		if !ok {
			return 0, 0, fmt.Errorf("%w: pressure line %q has no total", errSyntax, line.key)
		}
		if *line.dst, err = parseUint(t); err != nil {
			return 0, 0, err
		}
	}
	return some, full, nil
}
