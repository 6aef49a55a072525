package cgstats

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// FS is the disk use of a container's writable layer, and the size of the
// file system that holds it.
type FS struct {
	// Device names the file system for the "device" label: its mount
	// source ("/dev/vda1", "overlay", ...), or "MAJ:MIN" if not mounted
	// where this process can see it.
	Device string
	// UsageBytes is the space the directory tree takes on disk (allocated
	// blocks, like du), UsageInodes the inodes in it; hard links count once
	// and other file systems mounted inside are not entered.
	UsageBytes, UsageInodes uint64
	// CapacityBytes, AvailableBytes (to unprivileged users), Inodes and
	// InodesFree describe the whole file system, from statfs(2).
	CapacityBytes, AvailableBytes, Inodes, InodesFree uint64
}

// ReadFS measures dir, normally the overlay upper directory of a
// container. It walks the whole tree, so its cost grows with the number
// of files the container wrote.
func ReadFS(dir string) (FS, error) {
	var out FS
	var sfs unix.Statfs_t
	if err := unix.Statfs(dir, &sfs); err != nil {
		return out, fmt.Errorf("measure %s: %w", dir, &os.PathError{Op: "statfs", Path: dir, Err: err})
	}
	bsize := uint64(sfs.Frsize) // f_blocks is in fragment-size units
	if bsize == 0 {
		bsize = uint64(sfs.Bsize)
	}
	out.CapacityBytes, out.AvailableBytes = sfs.Blocks*bsize, sfs.Bavail*bsize
	out.Inodes, out.InodesFree = sfs.Files, sfs.Ffree

	var root unix.Stat_t
	if err := unix.Stat(dir, &root); err != nil {
		return out, fmt.Errorf("measure %s: %w", dir, &os.PathError{Op: "stat", Path: dir, Err: err})
	}
	out.Device = mountSource(dir, uint64(unix.Major(root.Dev)), uint64(unix.Minor(root.Dev)))

	var err error
	out.UsageBytes, out.UsageInodes, err = du(dir, root.Dev)
	if err != nil {
		return out, fmt.Errorf("measure %s: %w", dir, err)
	}
	return out, nil
}

// du sums the allocated size and counts the inodes under dir, staying on
// device dev. Entries removed while walking are skipped: the container is
// running and may delete files at any time.
func du(dir string, dev uint64) (bytes, inodes uint64, err error) {
	type inode struct{ dev, ino uint64 }
	seen := map[inode]bool{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		fi, err := d.Info()
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return nil
		}
		if uint64(st.Dev) != dev {
			if d.IsDir() {
				return filepath.SkipDir // a mount point: not part of this layer
			}
			return nil
		}
		if st.Nlink > 1 && !d.IsDir() {
			k := inode{uint64(st.Dev), st.Ino}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		bytes += uint64(st.Blocks) * 512 // st_blocks is in 512-byte units whatever the block size
		inodes++
		return nil
	})
	return bytes, inodes, err
}

// mountSource names the file system dir is on: the source of the mount
// with that device whose mount point is the longest prefix of dir.
func mountSource(dir string, major, minor uint64) string {
	fallback := fmt.Sprintf("%d:%d", major, minor)
	b, err := os.ReadFile(filepath.Join(procRoot, "self", "mountinfo"))
	if err != nil {
		return fallback
	}
	mounts, err := parseMountinfo(string(b))
	if err != nil {
		return fallback
	}
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	best, bestLen := "", -1
	for _, m := range mounts {
		if m.Major != major || m.Minor != minor {
			continue
		}
		l := len(m.MountPoint)
		if !isUnder(dir, m.MountPoint) {
			l = 0 // same file system mounted elsewhere: a last resort
		}
		if l > bestLen {
			best, bestLen = m.Source, l
		}
	}
	if best == "" {
		return fallback
	}
	return best
}

// isUnder reports whether path is dir or inside it.
func isUnder(path, dir string) bool {
	if dir == "/" {
		return true
	}
	return path == dir || strings.HasPrefix(path, dir+"/")
}

// blockDeviceName names a block device "/dev/NAME" from sysfs, as cadvisor
// names devices in its disk I/O metrics; "MAJ:MIN" if sysfs does not know it.
func blockDeviceName(major, minor uint64) string {
	id := fmt.Sprintf("%d:%d", major, minor)
	b, err := os.ReadFile(filepath.Join("/sys/dev/block", id, "uevent"))
	if err != nil {
		return id
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "DEVNAME="); ok && name != "" {
			return "/dev/" + name
		}
	}
	return id
}
