package objects

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// applyMeta sets m on the open file fd, whose content is complete. Order
// matters: chown clears setuid/setgid and security.capability, so it comes
// first; timestamps come last so nothing after them can touch the mtime.
func applyMeta(fd int, m *FileMeta) error {
	if err := unix.Fchown(fd, int(m.UID), int(m.GID)); err != nil {
		return fmt.Errorf("chown %d:%d: %w", m.UID, m.GID, err)
	}
	if err := unix.Fchmod(fd, m.Mode&ModeMask); err != nil {
		return fmt.Errorf("chmod %#o: %w", m.Mode, err)
	}
	for _, x := range m.Xattrs {
		if err := unix.Fsetxattr(fd, x.Name, x.Value, 0); err != nil {
			return fmt.Errorf("set xattr %q: %w", x.Name, err)
		}
	}
	if err := futimens(fd, m.Mtime); err != nil {
		return fmt.Errorf("set mtime: %w", err)
	}
	return nil
}

// futimens sets both atime and mtime of fd to t, to the nanosecond.
func futimens(fd int, t time.Time) error {
	ts := unix.Timespec{Sec: t.Unix(), Nsec: int64(t.Nanosecond())}
	tss := [2]unix.Timespec{ts, ts}
	// utimensat(fd, NULL, ts, 0) is futimens(3); x/sys has no wrapper
	// taking a NULL path.
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(fd), 0, uintptr(unsafe.Pointer(&tss[0])), 0, 0, 0)
	if e != 0 {
		return e
	}
	return nil
}

// readMeta reads the metadata an object key covers from the open file fd.
// Only xattrs that XattrAllowed are read: others (security.selinux set by
// the host's policy, for one) are not part of an object's identity.
func readMeta(fd int) (FileMeta, unix.Stat_t, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return FileMeta{}, st, fmt.Errorf("stat: %w", err)
	}
	m := FileMeta{
		Mode:  st.Mode & ModeMask,
		UID:   st.Uid,
		GID:   st.Gid,
		Mtime: time.Unix(st.Mtim.Sec, st.Mtim.Nsec),
	}
	xs, err := readXattrs(fd)
	if err != nil {
		return m, st, err
	}
	m.Xattrs = xs
	return m, st, nil
}

// readXattrs returns the allowed xattrs of fd.
func readXattrs(fd int) ([]Xattr, error) {
	names, err := listXattrs(fd)
	if err != nil {
		return nil, err
	}
	var xs []Xattr
	for _, name := range names {
		if !XattrAllowed(name) {
			continue
		}
		v, err := getXattr(fd, name)
		if err != nil {
			return nil, err
		}
		xs = append(xs, Xattr{Name: name, Value: v})
	}
	return sortedXattrs(xs), nil
}

func listXattrs(fd int) ([]string, error) {
	buf := make([]byte, 256)
	for {
		n, err := unix.Flistxattr(fd, buf)
		if errors.Is(err, unix.ERANGE) {
			buf = make([]byte, 2*len(buf))
			continue
		}
		if errors.Is(err, unix.ENOTSUP) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list xattrs: %w", err)
		}
		var names []string
		for _, s := range strings.Split(string(buf[:n]), "\x00") {
			if s != "" {
				names = append(names, s)
			}
		}
		return names, nil
	}
}

func getXattr(fd int, name string) ([]byte, error) {
	buf := make([]byte, 128)
	for {
		n, err := unix.Fgetxattr(fd, name, buf)
		if errors.Is(err, unix.ERANGE) && len(buf) < maxXattrValue {
			buf = make([]byte, min(4*len(buf), maxXattrValue))
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("get xattr %q: %w", name, err)
		}
		return buf[:n:n], nil
	}
}
