package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/oci"
	"github.com/ocid-project/ocid/runtime/spec"
)

// Size is a terminal size.
type Size struct{ Width, Height uint16 }

// ExecOptions describe a process to run in a running container.
type ExecOptions struct {
	Args []string
	// Env is added to the container's environment (later wins).
	Env        []string
	WorkingDir string
	// User replaces the container's user (resolved in its root).
	User     string
	Terminal bool
	Stdin    io.Reader
	Stdout   io.Writer
	Stderr   io.Writer // ignored with a terminal (one stream)
	Resize   <-chan Size
	// Timeout kills the process when it expires (0: none).
	Timeout time.Duration
}

// ErrTimeout marks an exec that ran out of time.
var ErrTimeout = errors.New("command timed out")

// Exec runs a process in a running container and returns its exit code.
func (m *Manager) Exec(ctx context.Context, ref string, o ExecOptions) (int, error) {
	if len(o.Args) == 0 {
		return -1, fmt.Errorf("exec: no command given: %w", errdefs.ErrInvalidArgument)
	}
	c, err := m.Lookup(ref)
	if err != nil {
		return -1, err
	}
	if st := m.status(c); st.State != Running {
		return -1, fmt.Errorf("container %s is %s, not running: %w", c.ID, st.State, errdefs.ErrPrecondition)
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return -1, err
	}
	dir, err := os.MkdirTemp(m.RunDir(c.ID), "exec-")
	if err != nil {
		return -1, err
	}
	defer os.RemoveAll(dir)
	eo := oci.ExecOptions{Process: filepath.Join(dir, "process.json"), PidFile: filepath.Join(dir, "pid")}
	if err := m.writeProcess(c, o, eo.Process); err != nil {
		return -1, err
	}
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	var pty *execPty
	if o.Terminal {
		if pty, err = openExecPty(); err != nil {
			return -1, err
		}
		pty.resize(Size{Width: 80, Height: 24})
	}
	// The runtime itself is not bound to ctx: killing it would leave the
	// process running in the container. A timeout kills the process.
	cmd := h.ExecCommand(context.Background(), c.ID, eo)
	if pty == nil {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = o.Stdin, o.Stdout, o.Stderr
	} else {
		cmd.Stdin, cmd.Stdout, cmd.Stderr = pty.slave, pty.slave, pty.slave
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		eo.Terminal = true
	}
	if err := cmd.Start(); err != nil {
		if pty != nil {
			pty.slave.Close()
			pty.master.Close()
		}
		return -1, err
	}
	if pty != nil {
		pty.copy(o)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
	timedOut := false
	select {
	case werr = <-done:
	case <-ctx.Done():
		timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
		killExec(eo.PidFile)
		werr = <-done
	}
	if pty != nil {
		pty.wait()
	}
	code := exitCode(cmd, werr)
	if timedOut {
		return code, fmt.Errorf("exec in %s: %w after %v", c.ID, ErrTimeout, o.Timeout)
	}
	if ctx.Err() != nil {
		return code, ctx.Err()
	}
	if code < 0 {
		return code, fmt.Errorf("exec in %s: %v: %s", c.ID, werr, oci.ExecErrors(eo))
	}
	if code == 255 || code == 1 {
		// The runtime's own failure (no such binary…) also exits non-zero:
		// report its words when it logged any.
		if msg := oci.ExecErrors(eo); msg != "" {
			return code, fmt.Errorf("exec in %s: %s", c.ID, msg)
		}
	}
	return code, nil
}

// ExecSync runs a command and returns its output and exit code.
func (m *Manager) ExecSync(ctx context.Context, ref string, args []string, timeout time.Duration) (stdout, stderr []byte, code int, err error) {
	var out, errOut limitedBuffer
	out.max, errOut.max = 16<<20, 16<<20
	code, err = m.Exec(ctx, ref, ExecOptions{Args: args, Stdout: &out, Stderr: &errOut, Timeout: timeout})
	return out.Bytes(), errOut.Bytes(), code, err
}

// writeProcess makes the exec's process from the container's, with the
// command, environment, directory and user replaced as asked.
func (m *Manager) writeProcess(c *Container, o ExecOptions, path string) error {
	raw, err := os.ReadFile(filepath.Join(m.RunDir(c.ID), "bundle", "config.json"))
	if err != nil {
		return err
	}
	var sp specs.Spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		return err
	}
	p := *sp.Process
	p.Args = o.Args
	p.Terminal = o.Terminal
	p.Env = mergeEnv(p.Env, o.Env)
	if o.WorkingDir != "" {
		p.Cwd = o.WorkingDir
	}
	if o.User != "" {
		u, err := spec.ResolveUser(sp.Root.Path, o.User)
		if err != nil {
			return err
		}
		p.User = specs.User{UID: u.UID, GID: u.GID, AdditionalGids: u.AdditionalGIDs}
	}
	if !o.Terminal {
		p.ConsoleSize = nil
	}
	return writeJSON(path, &p)
}

func mergeEnv(base, add []string) []string {
	out := append([]string(nil), base...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, old := range out {
			if ok, _, _ := strings.Cut(old, "="); ok == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// killExec kills an exec's process by the PID the runtime recorded; the
// runtime waits for it, so the PID cannot have been reused yet.
func killExec(pidFile string) {
	if pid, err := readPid(pidFile); err == nil && pid > 0 {
		unix.Kill(pid, unix.SIGKILL)
	}
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return -1
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

// limitedBuffer keeps at most max bytes (exec output is not unbounded).
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.Len(); room > 0 {
		l.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
