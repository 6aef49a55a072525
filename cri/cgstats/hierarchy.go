package cgstats

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/cgpath"
)

// DefaultRoot is where the cgroup file systems are mounted.
const DefaultRoot = "/sys/fs/cgroup"

// Hierarchy says how cgroups are mounted under Root. Build it with
// DetectHierarchy; the fields are exported so tests can point a reader at
// another mount (for example the v2 mount of a hybrid host).
type Hierarchy struct {
	// Root holds the cgroup mounts, normally /sys/fs/cgroup.
	Root string
	// V2 is true when Root itself is a cgroup2 mount (the unified
	// hierarchy): a cgroup's files are all in Root/PATH. Otherwise each v1
	// controller is mounted at Root/CONTROLLER and its files for the cgroup
	// are in Root/CONTROLLER/PATH.
	V2 bool
	// HybridUnified, on a v1 host, is the cgroup2 mount beside the v1 ones
	// (Root/unified) or "" if there is none. It usually has no controllers
	// but does have per-cgroup pressure (PSI) files, which v1 lacks.
	HybridUnified string
}

// DetectHierarchy finds out how the cgroup file systems under root are
// mounted, by the file system type of root (and of root/unified).
func DetectHierarchy(root string) (Hierarchy, error) {
	h := Hierarchy{Root: root}
	v2, err := isCgroup2(root)
	if err != nil {
		return h, fmt.Errorf("detect cgroup mode of %s: %w", root, err)
	}
	if v2 {
		h.V2 = true
		return h, nil
	}
	unified := filepath.Join(root, "unified")
	if ok, err := isCgroup2(unified); err == nil && ok {
		h.HybridUnified = unified
	}
	return h, nil
}

func isCgroup2(dir string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return false, &os.PathError{Op: "statfs", Path: dir, Err: err}
	}
	return st.Type == unix.CGROUP2_SUPER_MAGIC, nil
}

// defaultHierarchy is detected once: mounts do not change under a running
// daemon.
var defaultHierarchy = sync.OnceValues(func() (Hierarchy, error) {
	return DetectHierarchy(DefaultRoot)
})

// Default is the hierarchy under /sys/fs/cgroup.
func Default() (Hierarchy, error) { return defaultHierarchy() }

// dir is where the files of a cgroup live: controller names a v1
// controller mount and is ignored on v2. cgroupPath is relative to the
// hierarchy root whether or not it starts with "/"; cleaning it as an
// absolute path first keeps ".." from climbing out of the root. A systemd
// driver's name (slice:prefix:name, or a slice) is the directory runc's
// systemd driver makes (internal/cgpath).
func (h Hierarchy) dir(controller, cgroupPath string) string {
	clean := cgroupDir(cgroupPath)
	if h.V2 {
		return filepath.Join(h.Root, clean)
	}
	return filepath.Join(h.Root, controller, clean)
}

// cgroupDir is a cgroups path as a directory below a hierarchy's root;
// a malformed systemd name is read as a plain path (and not found).
func cgroupDir(cgroupPath string) string {
	if d, err := cgpath.FS(cgroupPath); err == nil {
		return d
	}
	return filepath.Clean("/" + cgroupPath)
}

// v1Controllers are the v1 mounts a container's cgroup is looked up in to
// tell whether it still exists.
var v1Controllers = []string{"cpuacct", "cpu", "memory", "pids", "blkio"}

// exists reports whether the cgroup is there, in any controller on v1.
func (h Hierarchy) exists(cgroupPath string) bool {
	if h.V2 {
		return isDir(h.dir("", cgroupPath))
	}
	for _, c := range v1Controllers {
		if isDir(h.dir(c, cgroupPath)) {
			return true
		}
	}
	return false
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// notFound is the error for a cgroup that does not exist (any more).
func notFound(cgroupPath string) error {
	return fmt.Errorf("cgroup %q: %w (%w)", cgroupPath, errdefs.ErrNotFound, os.ErrNotExist)
}

// unavailable reports whether a read failed because the file is not there
// for this kernel or controller set (as opposed to a real failure). A
// controller that is not enabled simply has no files; some v1 files exist
// but refuse reads when a kernel feature is compiled out.
func unavailable(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV) ||
		errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL)
}

// reader reads files of one cgroup directory, collecting the real errors
// (not "no such controller") so a caller can read many files and check
// once.
type reader struct {
	dir  string
	errs []error
}

// text returns a file's contents; ok is false if it could not be read.
func (r *reader) text(name string) (s string, ok bool) {
	b, err := os.ReadFile(filepath.Join(r.dir, name))
	if err != nil {
		if !unavailable(err) {
			r.errs = append(r.errs, err)
		}
		return "", false
	}
	return string(b), true
}

// fail records a parse error against a file.
func (r *reader) fail(name string, err error) {
	r.errs = append(r.errs, fmt.Errorf("%s: %w", filepath.Join(r.dir, name), err))
}

// uint reads a single-number file.
func (r *reader) uint(name string) (uint64, bool) {
	s, ok := r.text(name)
	if !ok {
		return 0, false
	}
	v, err := parseUint(strings.TrimSpace(s))
	if err != nil {
		r.fail(name, err)
		return 0, false
	}
	return v, true
}

// limit reads a single-limit file, where "max" or v1's sentinel mean
// Unlimited.
func (r *reader) limit(name string) (uint64, bool) {
	s, ok := r.text(name)
	if !ok {
		return 0, false
	}
	v, err := parseLimit(s)
	if err != nil {
		r.fail(name, err)
		return 0, false
	}
	return v, true
}

// flat reads a "key value" file; nil if it could not be read.
func (r *reader) flat(name string) map[string]uint64 {
	s, ok := r.text(name)
	if !ok {
		return nil
	}
	m, err := parseFlatKeyed(s)
	if err != nil {
		r.fail(name, err)
		return nil
	}
	return m
}

// nested reads a "key k=v k=v" file; nil if it could not be read.
func (r *reader) nested(name string) map[string]map[string]string {
	s, ok := r.text(name)
	if !ok {
		return nil
	}
	m, err := parseNestedKeyed(s)
	if err != nil {
		r.fail(name, err)
		return nil
	}
	return m
}

func (r *reader) err() error { return errors.Join(r.errs...) }
