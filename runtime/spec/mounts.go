package spec

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultShmSize is the /dev/shm size of CRI-O and docker: 64 MiB.
const defaultShmSize = "size=65536k"

// defaultMounts are the kernel filesystems every container has.
func defaultMounts(o *Options, ns namespaceSet) []specs.Mount {
	ptsOptions := []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}
	// gid=5 (tty) only exists in a user namespace that maps it; the
	// kernel refuses the devpts mount otherwise.
	if o.UserNS == nil || mapsContainerGID(o.UserNS.GIDMappings, 5) {
		ptsOptions = append(ptsOptions, "gid=5")
	}
	mounts := []specs.Mount{
		{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid", "noexec", "nodev"}},
		{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
		{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: ptsOptions},
		{Destination: "/dev/shm", Type: "tmpfs", Source: "shm", Options: []string{"nosuid", "noexec", "nodev", "mode=1777", defaultShmSize}},
		// With the host's IPC namespace this is a new mount of the host's
		// mqueue instance: a bind of the host's /dev/mqueue would fail on
		// hosts that mount none there.
		{Destination: "/dev/mqueue", Type: "mqueue", Source: "mqueue", Options: []string{"nosuid", "noexec", "nodev"}},
		sysMount(o, ns),
		{Destination: "/sys/fs/cgroup", Type: "cgroup", Source: "cgroup", Options: []string{"nosuid", "noexec", "nodev", "relatime", readOnlyUnlessPrivileged(o)}},
	}
	return mounts
}

// sysMount is /sys. The kernel lets a process mount sysfs only in a network
// namespace it owns, so a container on the host's network gets a
// recursive bind of the host's /sys instead (recursively read-only where
// the kernel can, so /sys/kernel/debug and friends stay read-only too).
func sysMount(o *Options, ns namespaceSet) specs.Mount {
	ro := readOnlyUnlessPrivileged(o)
	if !ns.sharesHost(specs.NetworkNamespace) {
		return specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", ro}}
	}
	opts := []string{"rbind", "nosuid", "noexec", "nodev", ro}
	if ro == "ro" && kernelAtLeast(5, 12) {
		opts = append(opts, "rro")
	}
	return specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: opts}
}

func readOnlyUnlessPrivileged(o *Options) string {
	if o.Privileged {
		return "rw"
	}
	return "ro"
}

// mountFlags are the extra options a Mount may carry: flags that only
// restrict or tune, nothing that changes what is mounted.
var mountFlags = []string{
	"nosuid", "nodev", "noexec", "exec", "noatime", "relatime",
	"strictatime", "nodiratime", "sync", "dirsync",
}

// userMounts converts o.Mounts, sorted so a parent directory is mounted
// before what is mounted inside it, and says what rootfs propagation the
// binds need (runc's default, rslave, when "").
func userMounts(o *Options) ([]specs.Mount, string, error) {
	var out []specs.Mount
	propagation := ""
	for i, m := range o.Mounts {
		sm, err := convertMount(m)
		if err != nil {
			return nil, "", fmt.Errorf("mount %d: %w", i, err)
		}
		if slices.ContainsFunc(out, func(x specs.Mount) bool { return x.Destination == sm.Destination }) {
			return nil, "", invalidf("two mounts on %q", sm.Destination)
		}
		out = append(out, sm)
		// A shared or slave bind only receives host mounts if the
		// container's root propagates them.
		switch {
		case m.Propagation == PropagationShared:
			propagation = "rshared"
		case m.Propagation == PropagationSlave && propagation == "":
			propagation = "rslave"
		}
	}
	slices.SortStableFunc(out, func(a, b specs.Mount) int {
		return pathDepth(a.Destination) - pathDepth(b.Destination)
	})
	return out, propagation, nil
}

func convertMount(m Mount) (specs.Mount, error) {
	dest, err := cleanAbs("destination", m.Destination)
	if err != nil {
		return specs.Mount{}, err
	}
	if dest == "/" {
		return specs.Mount{}, invalidf("mount destination %q: the root is Rootfs", m.Destination)
	}
	for _, f := range m.Options {
		if !slices.Contains(mountFlags, f) {
			return specs.Mount{}, invalidf("mount on %s: option %q is not one of %s", dest, f, strings.Join(mountFlags, ", "))
		}
	}
	switch m.Type {
	case MountBind, "":
		return bindMount(m, dest)
	case MountTmpfs:
		return tmpfsMount(m, dest)
	default:
		return specs.Mount{}, invalidf("mount on %s: unknown type %q", dest, m.Type)
	}
}

func bindMount(m Mount, dest string) (specs.Mount, error) {
	src, err := cleanAbs("source", m.Source)
	if err != nil {
		return specs.Mount{}, fmt.Errorf("mount on %s: %w", dest, err)
	}
	if m.TmpfsSize != 0 || m.TmpfsMode != 0 {
		return specs.Mount{}, invalidf("mount on %s: tmpfs size or mode on a bind mount", dest)
	}
	prop := m.Propagation
	switch prop {
	case "", PropagationPrivate:
		prop = "rprivate"
	case PropagationSlave, PropagationShared:
	default:
		return specs.Mount{}, invalidf("mount on %s: unknown propagation %q", dest, m.Propagation)
	}
	// Binds are recursive as in every CRI runtime: a volume's submounts
	// come along.
	opts := []string{"rbind", string(prop)}
	if m.ReadOnly {
		opts = append(opts, "ro")
	} else {
		opts = append(opts, "rw")
	}
	if m.RecursiveReadOnly {
		// The CRI demands both: a read-write or propagating mount could
		// gain writable submounts later.
		if !m.ReadOnly || prop != "rprivate" {
			return specs.Mount{}, invalidf("mount on %s: recursive read-only needs ReadOnly and private propagation", dest)
		}
		opts = append(opts, "rro")
	}
	opts = append(opts, m.Options...)
	return specs.Mount{Destination: dest, Type: "bind", Source: src, Options: opts}, nil
}

func tmpfsMount(m Mount, dest string) (specs.Mount, error) {
	if m.Source != "" || m.Propagation != "" || m.RecursiveReadOnly {
		return specs.Mount{}, invalidf("mount on %s: a tmpfs has no source, propagation or recursive read-only", dest)
	}
	if m.TmpfsSize < 0 {
		return specs.Mount{}, invalidf("mount on %s: tmpfs size %d", dest, m.TmpfsSize)
	}
	if m.TmpfsMode&^(0o7777) != 0 {
		return specs.Mount{}, invalidf("mount on %s: tmpfs mode %v has more than permission bits", dest, m.TmpfsMode)
	}
	mode := m.TmpfsMode
	if mode == 0 {
		mode = 0o1777
	}
	// noexec, nosuid, nodev as docker's --tmpfs; "exec" in Options lifts
	// noexec, since runc applies flags in order.
	opts := []string{"noexec", "nosuid", "nodev", fmt.Sprintf("mode=%o", mode)}
	if m.TmpfsSize > 0 {
		opts = append(opts, fmt.Sprintf("size=%d", m.TmpfsSize))
	}
	if m.ReadOnly {
		opts = append(opts, "ro")
	}
	opts = append(opts, m.Options...)
	return specs.Mount{Destination: dest, Type: "tmpfs", Source: "tmpfs", Options: opts}, nil
}

// mergeMounts puts user mounts after the defaults, dropping a default
// whose destination a user mount takes (a pod's /dev/shm, say).
func mergeMounts(defaults, user []specs.Mount) []specs.Mount {
	out := slices.DeleteFunc(defaults, func(d specs.Mount) bool {
		return slices.ContainsFunc(user, func(u specs.Mount) bool { return u.Destination == d.Destination })
	})
	return append(out, user...)
}

// cleanAbs requires an absolute path without NUL and returns it cleaned.
func cleanAbs(what, p string) (string, error) {
	if !filepath.IsAbs(p) || strings.ContainsRune(p, 0) {
		return "", invalidf("%s %q is not an absolute path", what, p)
	}
	return filepath.Clean(p), nil
}

func pathDepth(p string) int {
	if p == "/" {
		return 0
	}
	return strings.Count(p, "/")
}
