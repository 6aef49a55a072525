package runtime_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/crilog"
	"github.com/ocid-project/ocid/runtime/oci"
	"github.com/ocid-project/ocid/runtime/seccompbpf"
)

// crun as a second handler runs containers through the same runtime
// layer: output and exit codes, exec, stop with a grace period, removal
// with nothing left (the env's cleanup checks mounts, cgroups, monitors).
func TestCrunHandler(t *testing.T) {
	e := newEnv(t)
	m := e.manager(runtime.Handler{Name: "runc", Path: "runc"}, runtime.Handler{Name: "crun", Path: fixtures.Crun(t)})
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

// With seccomp_bpf, ocid compiles the container's profile and crun loads
// that program as it is: the program crun keeps for the container is
// ocid's byte for byte, the process runs under one filter, and without
// the option crun compiles the profile itself (no annotation).
func TestCrunPrecompiledSeccomp(t *testing.T) {
	e := newEnv(t)
	m := e.manager(
		runtime.Handler{Name: "crun", Path: fixtures.Crun(t), SeccompBPF: runtime.SeccompBPFAlways},
		runtime.Handler{Name: "crun-own", Path: fixtures.Crun(t), SeccompBPF: runtime.SeccompBPFNever})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, handler := range []string{"crun", "crun-own"} {
		st, err := m.Create(ctx, runtime.CreateOptions{Image: "busybox:test", Handler: handler,
			Spec: sh("grep -E '^Seccomp(_filters)?:' /proc/self/status; sleep 60")})
		if err != nil {
			t.Fatal(err)
		}
		if err := m.Start(ctx, st.ID); err != nil {
			t.Fatal(err)
		}
		sp, err := m.Spec(st.ID)
		if err != nil {
			t.Fatal(err)
		}
		data, annotated := sp.Annotations[oci.SeccompBPFAnnotation]
		if annotated != (handler == "crun") {
			t.Fatalf("%s: annotation present %v", handler, annotated)
		}
		kept, err := os.ReadFile(filepath.Join(e.dir, "run", "runtime", handler, st.ID, "seccomp.bpf"))
		if err != nil {
			t.Fatal(err)
		}
		if annotated {
			prog, err := seccompbpf.Compile(sp.Linux.Seccomp)
			if err != nil {
				t.Fatal(err)
			}
			want := seccompbpf.Encode(prog)
			if data != base64.StdEncoding.EncodeToString(want) || !bytes.Equal(kept, want) {
				t.Fatalf("crun's program (%d bytes) is not ocid's (%d bytes)", len(kept), len(want))
			}
		}
		var text string
		found := errors.New("found")
		err = crilog.Follow(ctx, st.LogPath, 0, crilog.FollowOptions{}, func(en crilog.Entry) error {
			text += string(en.Content) + "\n"
			if strings.HasPrefix(string(en.Content), "Seccomp_filters:") {
				return found
			}
			return nil
		})
		if !errors.Is(err, found) {
			t.Fatalf("%s: no seccomp status in the log: %v %q", handler, err, text)
		}
		if !strings.Contains(text, "Seccomp:\t2") || !strings.Contains(text, "Seccomp_filters:\t1") {
			t.Fatalf("%s: process status: %q", handler, text)
		}
		if err := m.Stop(ctx, st.ID, time.Second); err != nil {
			t.Fatal(err)
		}
		if err := m.Delete(ctx, st.ID, false); err != nil {
			t.Fatal(err)
		}
	}
}
