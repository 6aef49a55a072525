package runtime_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
)

// The runtime learns of a container only at Start (monitor.Config.Deferred).

func (e *env) inRuntime(id string) bool {
	_, err := os.Stat(filepath.Join(e.dir, "run/runtime/runc", id))
	return err == nil
}

func (e *env) create(o runtime.CreateOptions) *runtime.Status {
	e.t.Helper()
	if o.Image == "" {
		o.Image = "busybox:test"
	}
	st, err := e.rt.Create(context.Background(), o)
	if err != nil {
		e.t.Fatal(err)
	}
	if st.State != runtime.Created {
		e.t.Fatalf("state after create: %s", st.State)
	}
	if e.inRuntime(st.ID) {
		e.t.Fatalf("container %s is in the runtime before it was started", st.ID)
	}
	return st
}

// A command the runtime cannot run fails Start (not Create), with the
// runtime's reason, and leaves an exited container that removes cleanly.
func TestStartFailureIsRecorded(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.create(runtime.CreateOptions{Spec: spec.Options{Args: []string{"/no/such/program"}}})
	err := e.rt.Start(ctx, st.ID)
	if err == nil || !strings.Contains(err.Error(), "/no/such/program") {
		t.Fatalf("start: want an error naming the program, got %v", err)
	}
	got, err := e.rt.Status(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != runtime.Exited || got.Reason != "StartError" || got.ExitCode != 128 || !strings.Contains(got.Message, "/no/such/program") {
		t.Fatalf("status after a failed start: %+v", got)
	}
	if err := e.rt.Start(ctx, st.ID); err == nil {
		t.Fatal("a second start of a container that failed to start succeeded")
	}
	if err := e.rt.Delete(ctx, st.ID, false); err != nil {
		t.Fatal(err)
	}
}

// Stopping (or killing) a container that was never started records it as
// killed; it cannot be started after that.
func TestStopBeforeStart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, kill := range []bool{false, true} {
		st := e.create(runtime.CreateOptions{Spec: sh("echo ran")})
		var err error
		if kill {
			err = e.rt.Kill(ctx, st.ID, 15, false)
		} else {
			err = e.rt.Stop(ctx, st.ID, 10*time.Second)
		}
		if err != nil {
			t.Fatal(err)
		}
		done, err := e.rt.Wait(ctx, st.ID)
		if err != nil {
			t.Fatal(err)
		}
		if done.State != runtime.Exited || done.ExitCode != 137 || !done.Started.IsZero() {
			t.Fatalf("kill=%v: status: %+v", kill, done)
		}
		if err := e.rt.Start(ctx, st.ID); err == nil {
			t.Fatalf("kill=%v: a stopped, never started container started", kill)
		}
		if text := e.logText(done); strings.Contains(text, "ran") {
			t.Fatalf("kill=%v: the process ran: %q", kill, text)
		}
		if err := e.rt.Stop(ctx, st.ID, time.Second); err != nil {
			t.Fatalf("kill=%v: stopping again: %v", kill, err)
		}
		if err := e.rt.Delete(ctx, st.ID, false); err != nil {
			t.Fatal(err)
		}
	}
}

// Resources updated before the start are the ones it starts with; a
// retried Start succeeds.
func TestUpdateBeforeStartAndStartTwice(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	st := e.create(runtime.CreateOptions{Spec: sh("sleep 60")})
	if err := e.rt.Update(ctx, st.ID, []byte(`{"memory":{"limit":67108864}}`)); err != nil {
		t.Fatal(err)
	}
	if err := e.rt.Update(ctx, st.ID, []byte(`{"memory":`)); err == nil {
		t.Fatal("a malformed update was accepted")
	}
	for range 2 {
		if err := e.rt.Start(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.rt.Status(st.ID)
	if err != nil || got.State != runtime.Running || got.Started.IsZero() || got.Pid == 0 {
		t.Fatalf("status after start: %+v, %v", got, err)
	}
	var limit string
	for _, f := range []string{
		filepath.Join("/sys/fs/cgroup/memory", got.CgroupsPath, "memory.limit_in_bytes"),
		filepath.Join("/sys/fs/cgroup", got.CgroupsPath, "memory.max"),
	} {
		if raw, err := os.ReadFile(f); err == nil {
			limit = strings.TrimSpace(string(raw))
			break
		}
	}
	if limit != "67108864" {
		t.Fatalf("memory limit of the started container: %q, want 67108864", limit)
	}
	if err := e.rt.Stop(ctx, st.ID, time.Second); err != nil {
		t.Fatal(err)
	}
}

// A create that fails after its monitor was started (here: a user the
// image does not have) takes the monitor down with everything else.
func TestCreateFailureLeavesNothing(t *testing.T) {
	e := newEnv(t)
	_, err := e.rt.Create(context.Background(), runtime.CreateOptions{Image: "busybox:test", Spec: spec.Options{Args: []string{"true"}, User: "nosuchuser"}})
	if err == nil || !strings.Contains(err.Error(), "nosuchuser") {
		t.Fatalf("create with an unknown user: %v", err)
	}
	if list, err := e.rt.List(); err != nil || len(list) != 0 {
		t.Fatalf("containers after a failed create: %v, %v", list, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(e.dir, "run", "runtime")); len(entries) > 0 {
		var names []string
		for _, d := range entries {
			names = append(names, d.Name())
		}
		t.Fatalf("run directories left: %v", names)
	}
	// e.cleanup checks that no monitor process is left.
}
