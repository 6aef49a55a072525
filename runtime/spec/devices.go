package spec

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// standardDevices are the nodes every container has; /dev/ptmx comes
// from the devpts mount (runc links it to pts/ptmx).
var standardDevices = []Device{
	{Path: "/dev/null", Type: "c", Major: 1, Minor: 3},
	{Path: "/dev/zero", Type: "c", Major: 1, Minor: 5},
	{Path: "/dev/full", Type: "c", Major: 1, Minor: 7},
	{Path: "/dev/random", Type: "c", Major: 1, Minor: 8},
	{Path: "/dev/urandom", Type: "c", Major: 1, Minor: 9},
	{Path: "/dev/tty", Type: "c", Major: 5, Minor: 0},
}

// ptyRules allow the pseudo-terminals the devpts mount provides. A
// function, so no two specs share the pointers.
func ptyRules() []specs.LinuxDeviceCgroup {
	return []specs.LinuxDeviceCgroup{
		{Allow: true, Type: "c", Major: ptr[int64](5), Minor: ptr[int64](2), Access: "rwm"}, // /dev/ptmx
		{Allow: true, Type: "c", Major: ptr[int64](136), Access: "rwm"},                     // /dev/pts/*
	}
}

// devices returns the device nodes and the device cgroup rules: deny all
// but the standard devices and the extra ones, or for a privileged
// container every device of the host, as CRI-O does.
func devices(o *Options) ([]specs.LinuxDevice, []specs.LinuxDeviceCgroup, error) {
	var list []Device
	var rules []specs.LinuxDeviceCgroup
	if o.Privileged {
		host, err := hostDevices()
		if err != nil {
			return nil, nil, err
		}
		list = host
		rules = []specs.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}}
	} else {
		list = slices.Clone(standardDevices)
		rules = []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}
		for _, d := range standardDevices {
			rules = append(rules, deviceRule(d, "rwm"))
		}
		rules = append(rules, ptyRules()...)
	}
	for _, d := range o.Devices {
		d, err := validateDevice(d)
		if err != nil {
			return nil, nil, err
		}
		// An extra device replaces a standard or host node of its path.
		list = slices.DeleteFunc(list, func(x Device) bool { return x.Path == d.Path })
		list = append(list, d)
		if !o.Privileged && d.Type != "p" {
			rules = append(rules, deviceRule(d, d.Permissions))
		}
	}
	out := make([]specs.LinuxDevice, 0, len(list))
	for _, d := range list {
		out = append(out, linuxDevice(d))
	}
	return out, rules, nil
}

func deviceRule(d Device, access string) specs.LinuxDeviceCgroup {
	typ := d.Type
	if typ == "u" {
		typ = "c" // the cgroup knows unbuffered char devices as char
	}
	return specs.LinuxDeviceCgroup{Allow: true, Type: typ, Major: ptr(d.Major), Minor: ptr(d.Minor), Access: access}
}

func linuxDevice(d Device) specs.LinuxDevice {
	mode := d.FileMode
	if mode == 0 {
		mode = 0o666
	}
	return specs.LinuxDevice{
		Path: d.Path, Type: d.Type, Major: d.Major, Minor: d.Minor,
		FileMode: &mode, UID: ptr(d.UID), GID: ptr(d.GID),
	}
}

// validateDevice checks d and fills the default permissions.
func validateDevice(d Device) (Device, error) {
	p, err := cleanAbs("device path", d.Path)
	if err != nil {
		return Device{}, err
	}
	if !strings.HasPrefix(p, "/dev/") {
		return Device{}, invalidf("device path %q is not under /dev", d.Path)
	}
	d.Path = p
	if !slices.Contains([]string{"c", "b", "u", "p"}, d.Type) {
		return Device{}, invalidf("device %s: type %q is not c, b, u or p", p, d.Type)
	}
	if d.Major < 0 || d.Minor < 0 {
		return Device{}, invalidf("device %s: negative major or minor", p)
	}
	if d.Permissions == "" {
		d.Permissions = "rwm"
	}
	for i, c := range d.Permissions {
		if !strings.ContainsRune("rwm", c) || strings.ContainsRune(d.Permissions[:i], c) {
			return Device{}, invalidf("device %s: permissions %q are not a subset of \"rwm\"", p, d.Permissions)
		}
	}
	if d.FileMode&^fs.ModePerm != 0 {
		return Device{}, invalidf("device %s: file mode %v has more than permission bits", p, d.FileMode)
	}
	return d, nil
}

// HostDevice describes the host's device node hostPath (symlinks followed,
// as /dev/disk/by-id names are) for the container at containerPath, with
// the cgroup permissions ("rwm" when empty): what a CRI Device becomes.
func HostDevice(hostPath, containerPath, permissions string) (Device, error) {
	var st unix.Stat_t
	if err := unix.Stat(hostPath, &st); err != nil {
		return Device{}, invalidWrap(err, "device %s", hostPath)
	}
	d, ok := deviceFromStat(&st)
	if !ok {
		return Device{}, invalidf("%s is not a device", hostPath)
	}
	d.Path, d.Permissions = containerPath, permissions
	return validateDevice(d)
}

func deviceFromStat(st *unix.Stat_t) (Device, bool) {
	rdev := uint64(st.Rdev) // uint32 on some architectures
	d := Device{
		Major:    int64(unix.Major(rdev)),
		Minor:    int64(unix.Minor(rdev)),
		FileMode: os.FileMode(st.Mode) & fs.ModePerm,
		UID:      st.Uid,
		GID:      st.Gid,
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		d.Type = "c"
	case unix.S_IFBLK:
		d.Type = "b"
	default:
		return Device{}, false
	}
	return d, true
}

// hostDeviceSkips are /dev entries a privileged container gets otherwise
// (its own devpts, shm, mqueue) or must not get (runc makes the console).
var hostDeviceSkips = []string{"/dev/pts", "/dev/shm", "/dev/mqueue", "/dev/fd", "/dev/.lxc", "/dev/.lxd-mounts", "/dev/.udev", "/dev/console"}

// hostDevices lists every char and block device under the host's /dev,
// without following symlinks (the same node under two names is listed
// once, by its real name).
func hostDevices() ([]Device, error) {
	var out []Device
	err := filepath.WalkDir("/dev", func(p string, e fs.DirEntry, err error) error {
		if slices.Contains(hostDeviceSkips, p) {
			if e != nil && e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if err != nil {
			// A node that vanished (hotplug) is not a reason to fail.
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if e.Type()&(fs.ModeDevice|fs.ModeCharDevice) == 0 {
			return nil
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if d, ok := deviceFromStat(&st); ok {
			d.Path = p
			out = append(out, d)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list host devices: %w", err)
	}
	return out, nil
}

func ptr[T any](v T) *T { return &v }
