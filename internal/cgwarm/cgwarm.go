// Package cgwarm takes the cost of the kernel's cgroup migration lock off
// a container's start.
//
// Moving a process into a cgroup (what the OCI runtime does for every new
// container, writing its PID to cgroup.procs) takes the kernel's global
// cgroup_threadgroup_rwsem for writing. That per-CPU semaphore lets
// readers (every fork and exit) go fast until a writer comes; the first
// writer then waits for an RCU grace period to switch the readers over,
// and the semaphore stays in writer mode for about another grace period
// after the last writer. So on a node that starts containers now and
// then, each start pays a full grace period inside the runtime: 10–25 ms
// on the 2-core machine of docs/performance.md (bare `crun run` takes
// 7.5 ms back to back, 24 ms after 100 ms of quiet). Hosts that mount
// cgroup2 with favordynmods, or runtimes that clone straight into the
// cgroup (CLONE_INTO_CGROUP, cgroup v2 only), do not pay it.
//
// Prime starts that switch early, when a container is being created: a
// goroutine moves this process into the cgroup it is already in (a
// migration that changes nothing but takes the semaphore), so the grace
// period runs while ocid prepares the container, and the runtime's
// migration a few milliseconds later finds the semaphore in writer mode.
// Measured: `ocid container run --rm` with crun 50.4 → 37.4 ms median
// after 100 ms of quiet.
package cgwarm

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

var inFlight atomic.Bool

// Prime starts the switch in the background; a call while one is under
// way does nothing. Failures (no cgroup file system, not root) only mean
// no head start.
func Prime() {
	if !inFlight.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer inFlight.Store(false)
		prime()
	}()
}

// prime moves this process into its own cgroup of one hierarchy.
func prime() error {
	procs, err := ownProcsFile()
	if err != nil {
		return err
	}
	return os.WriteFile(procs, []byte(strconv.Itoa(os.Getpid())), 0)
}

// ownProcsFile finds cgroup.procs of this process's cgroup in a mounted
// hierarchy: the pids controller's (cgroup v1) or the unified one. Any
// hierarchy will do, the semaphore is global.
func ownProcsFile() (string, error) {
	f, err := os.Open("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	defer f.Close()
	var v1, v2 string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// hierarchy-ID:controllers:path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch {
		case parts[1] == "pids":
			v1 = filepath.Join("/sys/fs/cgroup/pids", parts[2])
		case parts[0] == "0" && parts[1] == "":
			v2 = parts[2]
		}
	}
	if v1 != "" && isFS(v1, unix.CGROUP_SUPER_MAGIC) {
		return filepath.Join(v1, "cgroup.procs"), nil
	}
	if v2 != "" {
		for _, mnt := range []string{"/sys/fs/cgroup", "/sys/fs/cgroup/unified"} {
			if isFS(mnt, unix.CGROUP2_SUPER_MAGIC) {
				return filepath.Join(mnt, v2, "cgroup.procs"), nil
			}
		}
	}
	return "", errors.New("cgwarm: no cgroup hierarchy of this process found")
}

func isFS(path string, magic int64) bool {
	var st unix.Statfs_t
	return unix.Statfs(path, &st) == nil && int64(st.Type) == magic
}
