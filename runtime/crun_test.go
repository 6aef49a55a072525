package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/runtime"
)

// crunPath is test/critest/crun.sh: crun, run on a hybrid cgroup host
// (which crun 1.8 refuses) without the cgroup2 mount in view.
func crunPath(t *testing.T) string {
	fixtures.RequireTool(t, "crun")
	fixtures.RequireTool(t, "unshare")
	p, err := filepath.Abs("../test/critest/crun.sh")
	if err != nil {
		t.Fatal(err)
	}
	return fixtures.RequireTool(t, p)
}

// crun as a second handler runs containers through the same runtime
// layer: output and exit codes, exec, stop with a grace period, removal
// with nothing left (the env's cleanup checks mounts, cgroups, monitors).
func TestCrunHandler(t *testing.T) {
	e := newEnv(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	m, err := runtime.New(runtime.Options{
		Store: e.st, Root: filepath.Join(e.dir, "root"), RunRoot: filepath.Join(e.dir, "run"),
		MonitorCommand: []string{exe, "monitor"}, CgroupParent: e.cgParent,
		Handlers: []runtime.Handler{{Name: "runc", Path: "runc"}, {Name: "crun", Path: crunPath(t)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	st, err := m.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Handler: "crun", Spec: sh("echo to-out; echo to-err >&2; exit 3")})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	done, err := m.Wait(ctx, st.ID)
	if err != nil || done.ExitCode != 3 || done.Handler != "crun" {
		t.Fatalf("exit: %+v %v", done, err)
	}
	if text := e.logText(done); !strings.Contains(text, " stdout F to-out") || !strings.Contains(text, " stderr F to-err") {
		t.Fatalf("log: %q", text)
	}
	if err := m.Delete(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}

	st, err = m.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Handler: "crun", Spec: sh("sleep 60")})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ctx, st.ID); err != nil {
		t.Fatal(err)
	}
	out, _, code, err := m.ExecSync(ctx, st.ID, []string{"sh", "-c", "echo exec-$((6*7)); exit 5"}, 10*time.Second)
	if err != nil || code != 5 || strings.TrimSpace(string(out)) != "exec-42" {
		t.Fatalf("exec: %q code %d err %v", out, code, err)
	}
	if err := m.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := m.Status(st.ID); err != nil || got.State != runtime.Exited {
		t.Fatalf("after stop: %+v %v", got, err)
	}
	if err := m.Delete(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.dir, "run", "runtime", "crun")); len(entries) > 0 {
		t.Fatalf("crun state left: %d entries", len(entries))
	}
}
