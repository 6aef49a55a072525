// Command critest-applets is a multi-call program installed in the critest
// stand-in images for the commands critest runs that Debian's busybox lacks,
// and for the nonewprivs test program. The name it is called by chooses the
// applet:
//
//	pgrep [-f] [-x] [-l] [-a] PATTERN   PIDs of the processes whose name (or,
//	                                    with -f, command line) matches the
//	                                    extended regular expression PATTERN;
//	                                    exit 1 when none does
//	ipcs [-m] [-q] [-s] [-a]            System V IPC objects of the IPC
//	                                    namespace, from /proc/sysvipc, in
//	                                    util-linux's layout
//	nnp                                 prints "Effective uid: N"; installed
//	                                    set-user-ID root, so N shows whether
//	                                    no_new_privs kept the privilege
//
// The programs read /proc only; they are static so that they run in images
// with no C library.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "critest-applets" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	switch name {
	case "pgrep":
		os.Exit(pgrep(args))
	case "ipcs":
		os.Exit(ipcs(args))
	case "nnp":
		fmt.Printf("Effective uid: %d\n", os.Geteuid())
	default:
		fmt.Fprintf(os.Stderr, "critest-applets: unknown applet %q (pgrep, ipcs, nnp)\n", name)
		os.Exit(2)
	}
}

func pgrep(args []string) int {
	var full, exact, listName, listFull bool
	var pattern string
	havePattern := false
	for _, a := range args {
		if havePattern || !strings.HasPrefix(a, "-") || a == "-" {
			if havePattern {
				fmt.Fprintln(os.Stderr, "pgrep: only one pattern can be provided")
				return 2
			}
			pattern, havePattern = a, true
			continue
		}
		for _, c := range a[1:] {
			switch c {
			case 'f':
				full = true
			case 'x':
				exact = true
			case 'l':
				listName = true
			case 'a':
				listFull = true
			default:
				fmt.Fprintf(os.Stderr, "pgrep: invalid option -- '%c'\nusage: pgrep [-flax] PATTERN\n", c)
				return 2
			}
		}
	}
	if !havePattern {
		fmt.Fprintln(os.Stderr, "usage: pgrep [-flax] PATTERN")
		return 2
	}
	if exact {
		pattern = "^(" + pattern + ")$"
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgrep: invalid pattern: %v\n", err)
		return 2
	}
	self := os.Getpid()
	found := false
	for _, pid := range pids() {
		if pid == self {
			continue
		}
		comm, cmdline, ok := procNames(pid)
		if !ok {
			continue
		}
		subject := comm
		if full {
			subject = cmdline
		}
		if !re.MatchString(subject) {
			continue
		}
		found = true
		switch {
		case listFull:
			fmt.Printf("%d %s\n", pid, cmdline)
		case listName:
			fmt.Printf("%d %s\n", pid, comm)
		default:
			fmt.Println(pid)
		}
	}
	if !found {
		return 1
	}
	return 0
}

// pids lists the numeric entries of /proc in ascending order.
func pids() []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			out = append(out, pid)
		}
	}
	return out
}

// procNames returns a process's comm and its command line with NULs
// replaced by spaces (the comm in brackets for kernel threads).
func procNames(pid int) (comm, cmdline string, ok bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return "", "", false
	}
	comm = strings.TrimSuffix(string(b), "\n")
	c, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	cmdline = strings.TrimSpace(strings.ReplaceAll(strings.TrimRight(string(c), "\x00"), "\x00", " "))
	if cmdline == "" {
		cmdline = "[" + comm + "]"
	}
	return comm, cmdline, true
}

func ipcs(args []string) int {
	var m, q, s bool
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			fmt.Fprintf(os.Stderr, "ipcs: unexpected argument %q\n", a)
			return 2
		}
		for _, c := range a[1:] {
			switch c {
			case 'm':
				m = true
			case 'q':
				q = true
			case 's':
				s = true
			case 'a':
				m, q, s = true, true, true
			default:
				fmt.Fprintf(os.Stderr, "ipcs: invalid option -- '%c'\nusage: ipcs [-mqsa]\n", c)
				return 2
			}
		}
	}
	if !m && !q && !s {
		m, q, s = true, true, true
	}
	users := userNames()
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	if q {
		fmt.Fprintf(w, "\n------ Message Queues --------\n%-10s %-10s %-10s %-10s %-12s %-12s\n",
			"key", "msqid", "owner", "perms", "used-bytes", "messages")
		for _, r := range sysvipc("/proc/sysvipc/msg") {
			// key msqid perms cbytes qnum lspid lrpid uid ...
			fmt.Fprintf(w, "0x%08x %-10s %-10s %-10s %-12s %-12s\n",
				key(r["key"]), r["msqid"], owner(users, r["uid"]), perms(r["perms"]), r["cbytes"], r["qnum"])
		}
	}
	if m {
		fmt.Fprintf(w, "\n------ Shared Memory Segments --------\n%-10s %-10s %-10s %-10s %-10s %-10s %-12s\n",
			"key", "shmid", "owner", "perms", "bytes", "nattch", "status")
		for _, r := range sysvipc("/proc/sysvipc/shm") {
			status := ""
			if mode, err := strconv.ParseUint(r["perms"], 10, 32); err == nil && mode&01000 != 0 {
				status = "dest"
			}
			fmt.Fprintf(w, "0x%08x %-10s %-10s %-10s %-10s %-10s %-12s\n",
				key(r["key"]), r["shmid"], owner(users, r["uid"]), perms(r["perms"]), r["size"], r["nattch"], status)
		}
	}
	if s {
		fmt.Fprintf(w, "\n------ Semaphore Arrays --------\n%-10s %-10s %-10s %-10s %-10s\n",
			"key", "semid", "owner", "perms", "nsems")
		for _, r := range sysvipc("/proc/sysvipc/sem") {
			fmt.Fprintf(w, "0x%08x %-10s %-10s %-10s %-10s\n",
				key(r["key"]), r["semid"], owner(users, r["uid"]), perms(r["perms"]), r["nsems"])
		}
	}
	fmt.Fprintln(w)
	return 0
}

// sysvipc reads one /proc/sysvipc table: a header line naming the columns,
// then one line per object.
func sysvipc(path string) []map[string]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) < 2 {
		return nil
	}
	cols := strings.Fields(lines[0])
	var rows []map[string]string
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		row := map[string]string{}
		for i, c := range cols {
			if i < len(f) {
				row[c] = f[i]
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func key(s string) uint32 {
	v, _ := strconv.ParseInt(s, 10, 64)
	return uint32(v)
}

func perms(s string) string {
	v, err := strconv.ParseUint(s, 10, 32)
	if err != nil {
		return s
	}
	return strconv.FormatUint(v&0o777, 8)
}

func owner(users map[string]string, uid string) string {
	if n, ok := users[uid]; ok {
		return n
	}
	return uid
}

// userNames maps uid to name from the container's /etc/passwd.
func userNames() map[string]string {
	out := map[string]string{}
	b, err := os.ReadFile("/etc/passwd")
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Split(l, ":")
		if len(f) >= 3 {
			if _, dup := out[f[2]]; !dup {
				out[f[2]] = f[0]
			}
		}
	}
	return out
}
