package spec

import (
	"os"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// allCapabilities are the Linux capabilities by number (capability.h).
var allCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
	"CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
	"CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
	"CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
	"CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD",
	"CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
	"CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
}

// defaultCapabilities is CRI-O's set: enough for a service that starts as
// root and drops to a user, without NET_RAW, MKNOD, SYS_CHROOT or
// AUDIT_WRITE that docker adds.
var defaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID",
	"CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL",
}

// capabilities computes the process capability sets: the defaults (or
// every capability ocid can grant, privileged or "ALL") plus add minus drop. Add
// and drop are validated even when privileged, so a typo never passes
// silently. Inheritable and ambient stay empty: filling them lets
// file capabilities escalate after exec (CVE-2022-24769).
func capabilities(o *Options) (*specs.LinuxCapabilities, error) {
	add, addAll, err := normalizeCapabilities(o.CapAdd)
	if err != nil {
		return nil, err
	}
	drop, dropAll, err := normalizeCapabilities(o.CapDrop)
	if err != nil {
		return nil, err
	}
	set := slices.Clone(defaultCapabilities)
	if o.Privileged || addAll {
		set = grantableCapabilities()
	}
	if !o.Privileged {
		// CRI-O's order: ALL first, then single names; drop wins over add.
		if dropAll {
			set = nil
		}
		for _, c := range add {
			if !slices.Contains(set, c) {
				set = append(set, c)
			}
		}
		set = slices.DeleteFunc(set, func(c string) bool { return slices.Contains(drop, c) })
	}
	slices.SortFunc(set, func(a, b string) int {
		return slices.Index(allCapabilities, a) - slices.Index(allCapabilities, b)
	})
	return &specs.LinuxCapabilities{
		Bounding:  set,
		Effective: slices.Clone(set),
		Permitted: slices.Clone(set),
	}, nil
}

// normalizeCapabilities maps "net_admin", "NET_ADMIN", "CAP_NET_ADMIN" to
// "CAP_NET_ADMIN" and reports "ALL" separately.
func normalizeCapabilities(names []string) (caps []string, all bool, err error) {
	for _, n := range names {
		c := strings.ToUpper(strings.TrimSpace(n))
		if c == "ALL" {
			all = true
			continue
		}
		if !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !slices.Contains(allCapabilities, c) {
			return nil, false, invalidf("unknown capability %q", n)
		}
		caps = append(caps, c)
	}
	return caps, all, nil
}

// grantableCapabilities is every capability a privileged container can
// get: those this kernel knows (cap_last_cap) that are also in our own
// bounding set. runc, started by us, cannot grant more, and asking makes
// capset fail; a node that runs ocid with a reduced set (some sandboxes
// drop CAP_SYS_RESOURCE) still runs privileged containers.
func grantableCapabilities() []string {
	last := len(allCapabilities) - 1
	if b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap"); err == nil {
		if n, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && n >= 0 && n < last {
			last = n
		}
	}
	bounding := ownBoundingSet()
	var out []string
	for i, c := range allCapabilities[:last+1] {
		if bounding&(1<<i) != 0 {
			out = append(out, c)
		}
	}
	return out
}

// ownBoundingSet reads CapBnd of /proc/self/status; all bits when it
// cannot, leaving the kernel's answer to cap_last_cap.
func ownBoundingSet() uint64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ^uint64(0)
	}
	for line := range strings.Lines(string(status)) {
		if hexSet, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			if v, err := strconv.ParseUint(strings.TrimSpace(hexSet), 16, 64); err == nil {
				return v
			}
		}
	}
	return ^uint64(0)
}
