package oci

import (
	"context"
	"os/exec"
	"path/filepath"
)

// ExecOptions describe one `runtime exec`.
type ExecOptions struct {
	// Process is the path of a runtime-spec Process JSON file.
	Process string
	// PidFile receives the host PID of the new process, so a timeout can
	// kill it (killing the runtime would leave it running).
	PidFile string
	// Terminal gives the process a pty, proxied by the runtime to its own
	// stdio (which should then be a terminal).
	Terminal bool
	// Detach returns once the process started.
	Detach bool
}

// ExecCommand prepares `runtime exec`; the caller sets stdio, starts and
// waits. The runtime's own errors go to a log file beside the process
// file (ExecErrors reads them).
func (r *Runtime) ExecCommand(ctx context.Context, id string, o ExecOptions) *exec.Cmd {
	args := []string{"--log", execLog(o), "--log-format", "json", "exec", "--process", o.Process}
	if o.PidFile != "" {
		args = append(args, "--pid-file", o.PidFile)
	}
	if o.Terminal {
		args = append(args, "--tty")
	}
	if o.Detach {
		args = append(args, "--detach")
	}
	return r.command(ctx, append(args, id)...)
}

func execLog(o ExecOptions) string { return o.Process + ".log" }

// ExecErrors returns what the runtime logged as errors for an exec.
func ExecErrors(o ExecOptions) string { return logErrors(filepath.Clean(execLog(o))) }
