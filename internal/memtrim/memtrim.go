// Package memtrim gives memory a long-running process no longer uses back
// to the node: free heap, and the pages of its own executable that only
// start-up touched.
//
// Why the executable: a Go binary runs every linked package's init
// function before main, and the linker lays code out package by package,
// so initialisation touches a little of nearly every package. The kernel
// maps 64 KiB around each file page fault ("fault-around"), so the
// daemon's 27 MB executable ends up about 80 % mapped (21 MiB of a 28 MiB
// RSS at idle) while its steady work uses about 5 MiB of it (measured with
// /proc/PID/clear_refs and smaps' Referenced). Unmapping the read-only
// mappings of the executable with MADV_DONTNEED drops those pages from
// the process; they stay in the page cache, shared with every other ocid
// process, and whatever the daemon runs next faults back in from there
// (minor faults, no I/O). Pages that stay mapped by a process are also
// harder for the kernel to reclaim (executable pages get an extra trip
// round the active list), so unmapping dead start-up code helps the node
// under memory pressure too.
//
// Only private, non-writable mappings of the running executable are
// released: their content is the file's, so refaulting gives the same
// bytes. Writable mappings (.data, .bss, the heap) are never touched.
package memtrim

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Mapping is one line of /proc/PID/maps that may be released.
type Mapping struct {
	Start, End uint64
}

// Trim returns free heap to the OS and releases the executable's
// start-up pages; it returns the bytes of address space released.
func Trim() (int64, error) {
	debug.FreeOSMemory()
	return ReleaseExecutable()
}

// ReleaseExecutable drops the page-table entries of the running
// executable's read-only mappings (see the package comment).
func ReleaseExecutable() (int64, error) {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return 0, fmt.Errorf("stat the running executable: %w", err)
	}
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("find the running executable: %w", err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return 0, fmt.Errorf("read own mappings: %w", err)
	}
	defer f.Close()
	maps, err := ExecutableMappings(f, File{Dev: uint64(st.Dev), Ino: st.Ino, Path: exe})
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range maps {
		_, _, errno := unix.Syscall(unix.SYS_MADVISE, uintptr(m.Start), uintptr(m.End-m.Start), unix.MADV_DONTNEED)
		if errno != 0 {
			return released, fmt.Errorf("madvise %#x-%#x: %w", m.Start, m.End, errno)
		}
		released += int64(m.End - m.Start)
	}
	return released, nil
}

// File names the executable: its device and inode, and its path as
// /proc/self/exe reads.
type File struct {
	Dev, Ino uint64
	Path     string
}

// ExecutableMappings returns the private, non-writable mappings of exe
// listed in r, in /proc/PID/maps format. A mapping is exe's if its device
// and inode are exe's (right even after a rename) or, failing that, its
// path is (overlayfs may show the inode of the layer below).
func ExecutableMappings(r io.Reader, exe File) ([]Mapping, error) {
	var out []Mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		m, ok, err := parseLine(sc.Text(), exe)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, m)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read mappings: %w", err)
	}
	return out, nil
}

// parseLine reads "start-end perms offset major:minor inode [path]" and
// tells whether the mapping is a releasable one of exe.
func parseLine(line string, exe File) (Mapping, bool, error) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return Mapping{}, false, fmt.Errorf("mapping line %q: too few fields", line)
	}
	perms := f[1]
	if len(perms) != 4 || perms[1] == 'w' || perms[3] != 'p' || perms[0] != 'r' {
		return Mapping{}, false, nil
	}
	lineIno, err := strconv.ParseUint(f[4], 10, 64)
	if err != nil {
		return Mapping{}, false, fmt.Errorf("mapping line %q: inode: %w", line, err)
	}
	major, minor, ok := strings.Cut(f[3], ":")
	maj, err1 := strconv.ParseUint(major, 16, 32)
	mnr, err2 := strconv.ParseUint(minor, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return Mapping{}, false, fmt.Errorf("mapping line %q: device %q", line, f[3])
	}
	sameFile := lineIno == exe.Ino && unix.Mkdev(uint32(maj), uint32(mnr)) == exe.Dev
	// The path is the rest of the line after the inode; it may hold spaces.
	if !sameFile && (len(f) < 6 || exe.Path == "" || pathOf(line) != exe.Path) {
		return Mapping{}, false, nil
	}
	start, end, ok := strings.Cut(f[0], "-")
	if !ok {
		return Mapping{}, false, fmt.Errorf("mapping line %q: range %q", line, f[0])
	}
	s, err1 := strconv.ParseUint(start, 16, 64)
	e, err2 := strconv.ParseUint(end, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return Mapping{}, false, fmt.Errorf("mapping line %q: range %q", line, f[0])
	}
	return Mapping{Start: s, End: e}, true, nil
}

// pathOf returns the path field of a maps line: everything after the
// inode's column, spaces included.
func pathOf(line string) string {
	rest := line
	for range 5 {
		rest = strings.TrimLeft(rest, " ")
		i := strings.IndexByte(rest, ' ')
		if i < 0 {
			return ""
		}
		rest = rest[i:]
	}
	return strings.TrimLeft(rest, " ")
}
