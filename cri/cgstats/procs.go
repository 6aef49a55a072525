package cgstats

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procRoot is where proc(5) is mounted. The daemon runs in the host's PID
// namespace, so the PIDs in cgroup.procs are valid here.
const procRoot = "/proc"

// Processes counts what the processes of a cgroup (and its descendants)
// hold, summed over processes.
type Processes struct {
	Processes uint64 // processes (thread group leaders)
	Threads   uint64 // threads, leaders included
	FDs       uint64 // open file descriptors
	Sockets   uint64 // file descriptors that are sockets
}

// ReadProcesses counts the processes of a cgroup in the hierarchy under
// /sys/fs/cgroup. See Hierarchy.ReadProcesses.
func ReadProcesses(cgroupPath string) (Processes, error) {
	h, err := Default()
	if err != nil {
		return Processes{}, err
	}
	return h.ReadProcesses(cgroupPath)
}

// procsControllers are the v1 mounts whose cgroup.procs may list a
// container's processes, best first (every container joins pids, cpu and
// memory; systemd's named hierarchy is not there under cgroupfs).
var procsControllers = []string{"pids", "cpu", "memory"}

// ReadProcesses counts the processes in a cgroup and its descendants, and
// their threads, file descriptors and sockets. Processes that exit during
// the count are skipped. The error wraps errdefs.ErrNotFound when the
// cgroup does not exist.
func (h Hierarchy) ReadProcesses(cgroupPath string) (Processes, error) {
	var dir string
	if h.V2 {
		dir = h.dir("", cgroupPath)
	} else {
		for _, c := range procsControllers {
			if d := h.dir(c, cgroupPath); isDir(d) {
				dir = d
				break
			}
		}
	}
	if dir == "" || !isDir(dir) {
		return Processes{}, notFound(cgroupPath)
	}
	pids, err := cgroupPIDs(dir)
	if err != nil {
		return Processes{}, fmt.Errorf("list processes of cgroup %q: %w", cgroupPath, err)
	}
	var p Processes
	for _, pid := range pids {
		threads, err := countDir(filepath.Join(procRoot, strconv.Itoa(pid), "task"))
		if err != nil {
			continue // exited since cgroup.procs was read
		}
		p.Processes++
		p.Threads += threads
		fds, sockets := countFDs(pid)
		p.FDs += fds
		p.Sockets += sockets
	}
	return p, nil
}

// cgroupPIDs lists the processes of dir and of every cgroup below it: on
// both v1 and v2 cgroup.procs lists only the cgroup's own members.
func cgroupPIDs(dir string) ([]int, error) {
	var pids []int
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p != dir && errors.Is(err, os.ErrNotExist) {
				return nil // a child cgroup removed during the walk
			}
			return err
		}
		if !d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
		if err != nil {
			if p != dir && errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		for _, f := range strings.Fields(string(b)) {
			pid, err := strconv.Atoi(f)
			if err != nil {
				return fmt.Errorf("%s: %w: %q is not a PID", filepath.Join(p, "cgroup.procs"), errSyntax, f)
			}
			pids = append(pids, pid)
		}
		return nil
	})
	return pids, err
}

// countDir counts the entries of a directory without stat()ing them.
func countDir(dir string) (uint64, error) {
	f, err := os.Open(dir)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	return uint64(len(names)), err
}

// countFDs counts a process's open file descriptors and, among them, the
// sockets (whose /proc/PID/fd link reads "socket:[INODE]"). A process that
// exits meanwhile contributes what was counted.
func countFDs(pid int) (fds, sockets uint64) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid), "fd")
	f, err := os.Open(dir)
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	names, _ := f.Readdirnames(-1)
	for _, n := range names {
		fds++
		if target, err := os.Readlink(filepath.Join(dir, n)); err == nil && strings.HasPrefix(target, "socket:[") {
			sockets++
		}
	}
	return fds, sockets
}

// ReadUlimits reads the soft resource limits of a process from
// /proc/PID/limits.
func ReadUlimits(pid int) ([]Ulimit, error) {
	p := filepath.Join(procRoot, strconv.Itoa(pid), "limits")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read limits of process %d: %w", pid, err)
	}
	ls, err := parseLimits(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return ls, nil
}
