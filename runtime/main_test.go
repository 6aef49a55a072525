package runtime_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

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
// process would; without handlers, runc alone.
func (e *env) manager(handlers ...runtime.Handler) *runtime.Manager {
	exe, err := os.Executable()
	if err != nil {
		e.t.Fatal(err)
	}
	rt, err := runtime.New(runtime.Options{
		Store: e.st, Root: filepath.Join(e.dir, "root"), RunRoot: filepath.Join(e.dir, "run"),
		MonitorCommand: []string{exe, "monitor"}, CgroupParent: e.cgParent, Handlers: handlers,
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
	if mounts := fixtures.MountsUnder(e.dir); len(mounts) > 0 {
		e.t.Errorf("mounts left: %v", mounts)
		fixtures.UnmountUnder(e.dir)
	}
	if cg := fixtures.ChildCgroups("/sys/fs/cgroup/*" + e.cgParent); len(cg) > 0 {
		e.t.Errorf("cgroups left: %v", cg)
	}
	fixtures.RemoveCgroups("/sys/fs/cgroup/*" + e.cgParent)
	fixtures.RemoveCgroups("/sys/fs/cgroup" + e.cgParent)
	if procs := fixtures.ProcessesMentioning(e.dir); len(procs) > 0 {
		e.t.Errorf("processes left: %v", procs)
	}
	for _, d := range []string{"run/runtime/runc"} {
		entries, _ := os.ReadDir(filepath.Join(e.dir, d))
		if len(entries) > 0 {
			e.t.Errorf("runc state left in %s: %d entries", d, len(entries))
		}
	}
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
