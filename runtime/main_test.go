package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/monitor"
	"github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport/all"
	storetransport "github.com/ocid-project/ocid/transport/store"
)

// The test binary is also the monitor: the runtime re-executes it with
// "monitor CONFIG", as it re-executes ocid in production.
func TestMain(m *testing.M) {
	if len(os.Args) == 3 && os.Args[1] == "monitor" {
		log := slog.New(slog.NewTextHandler(os.Stderr, nil))
		if err := monitor.Run(os.Args[2], os.NewFile(3, "sync"), log); err != nil {
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// env is a store with the busybox image and a runtime over it.
type env struct {
	t        *testing.T
	dir      string
	st       *store.Store
	rt       *runtime.Manager
	cgParent string
}

func randHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	fixtures.RequireTool(t, "runc")
	dir := t.TempDir()
	st, err := store.Open(store.Options{Root: filepath.Join(dir, "root"), RunRoot: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, dir: dir, st: st, cgParent: "/ocid-test-" + randHex(4)}
	e.rt = e.manager()
	// Pull the busybox image into the store.
	layout := fixtures.NewOCILayout(t, "bb", fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip))
	src, _ := all.ParseImageName("oci:" + layout + ":bb")
	dst, _ := storetransport.New(func() (*store.Store, error) { return st, nil }).ParseReference("busybox:test")
	if _, err := copy.Image(context.Background(), dst, src, &copy.Options{InsecureAcceptAnything: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.cleanup)
	return e
}

// manager makes a Manager over the env's directories, as a new ocid
// process would.
func (e *env) manager() *runtime.Manager {
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	rt, err := runtime.New(runtime.Options{
		Store: e.st, Root: filepath.Join(e.dir, "root"), RunRoot: filepath.Join(e.dir, "run"),
		MonitorCommand: []string{exe, "monitor"}, CgroupParent: e.cgParent,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return rt
}

// cleanup removes every container and checks nothing is left: no
// mounts, no cgroups, no runc state, no monitors.
func (e *env) cleanup() {
	list, _ := e.rt.List()
	for _, c := range list {
		if err := e.rt.Delete(context.Background(), c.ID, true); err != nil {
			e.t.Errorf("cleanup: %v", err)
		}
	}
	if mounts := mountsUnder(e.dir); len(mounts) > 0 {
		e.t.Errorf("mounts left: %v", mounts)
		for i := len(mounts) - 1; i >= 0; i-- {
			unix.Unmount(mounts[i], unix.MNT_DETACH)
		}
	}
	if cg := cgroupsLeft(e.cgParent); len(cg) > 0 {
		e.t.Errorf("cgroups left: %v", cg)
	}
	if procs := processesMentioning(e.dir); len(procs) > 0 {
		e.t.Errorf("processes left: %v", procs)
	}
	for _, d := range []string{"run/runtime/runc"} {
		entries, _ := os.ReadDir(filepath.Join(e.dir, d))
		if len(entries) > 0 {
			e.t.Errorf("runc state left in %s: %d entries", d, len(entries))
		}
	}
}

func mountsUnder(dir string) []string {
	raw, _ := os.ReadFile("/proc/self/mounts")
	var out []string
	for _, l := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(l); len(f) > 1 && strings.HasPrefix(f[1], dir) {
			out = append(out, f[1])
		}
	}
	return out
}

func cgroupsLeft(parent string) []string {
	matches, _ := filepath.Glob("/sys/fs/cgroup/*" + parent)
	more, _ := filepath.Glob("/sys/fs/cgroup" + parent)
	var out []string
	for _, m := range append(matches, more...) {
		entries, _ := os.ReadDir(m)
		for _, e := range entries {
			if e.IsDir() {
				out = append(out, filepath.Join(m, e.Name()))
			}
		}
		os.Remove(m) // the parent itself is runc's to leave; remove it empty
	}
	return out
}

// processesMentioning lists processes whose command line names dir
// (monitors are started with their config path under it).
func processesMentioning(dir string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(raw), dir) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(raw), "\x00", " "))
		}
	}
	return out
}

// run creates and starts a container and waits for it to exit.
func (e *env) run(o runtime.CreateOptions) *runtime.Status {
	e.t.Helper()
	if o.Image == "" {
		o.Image = "busybox:test"
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := e.rt.Create(ctx, o)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.rt.Start(ctx, st.ID); err != nil {
		e.t.Fatal(err)
	}
	done, err := e.rt.Wait(ctx, st.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return done
}

func (e *env) logText(st *runtime.Status) string {
	raw, err := os.ReadFile(st.LogPath)
	if err != nil {
		e.t.Fatal(err)
	}
	return string(raw)
}

var _ = fmt.Sprint
