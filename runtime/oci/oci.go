// Package oci runs an OCI runtime binary (runc by default, crun as an
// option): one Runtime is a binary plus its state directory, and each
// method is one runtime command. It knows nothing of monitors, logs or
// the store; package runtime composes it.
package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// Runtime is one runtime handler.
type Runtime struct {
	// Name is the handler's name in the configuration ("runc", "crun", …).
	Name string
	// Path is the binary.
	Path string
	// Root is the runtime's state directory (--root).
	Root string
	// SystemdCgroup uses the systemd cgroup driver (where systemd is PID 1).
	SystemdCgroup bool
	// SeccompBPF: the runtime takes a compiled seccomp filter in the
	// spec's annotation SeccompBPFAnnotation (crun).
	SeccompBPF bool
}

// SeccompBPFAnnotation carries a seccomp filter compiled beforehand,
// base64 of struct sock_filter array; crun then ignores the spec's
// seccomp rules (it still reads its flags).
const SeccompBPFAnnotation = "run.oci.seccomp_bpf_data"

// State is the runtime's view of a container (`runc state`).
type State struct {
	ID      string    `json:"id"`
	Pid     int       `json:"pid"`
	Status  string    `json:"status"` // creating, created, running, stopped, paused
	Bundle  string    `json:"bundle"`
	Created time.Time `json:"created"`
}

func (r *Runtime) global() []string {
	args := []string{"--root", r.Root}
	if r.SystemdCgroup {
		args = append(args, "--systemd-cgroup")
	}
	return args
}

// command builds a runtime command; stdio is the caller's to set.
func (r *Runtime) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, r.Path, append(r.global(), args...)...)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR=") // runc must not guess a rootless setup
	return cmd
}

// run runs a command and returns its stdout; a failure carries stderr.
func (r *Runtime) run(ctx context.Context, args ...string) ([]byte, error) {
	cmd := r.command(ctx, args...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.Bytes(), r.failure(args, err, errOut.String())
	}
	return out.Bytes(), nil
}

// failure turns a runtime's complaint into an error with the sentinel
// that fits (a container the runtime does not know is not found).
func (r *Runtime) failure(args []string, err error, stderr string) error {
	msg := strings.TrimSpace(stderr)
	if i := strings.LastIndex(msg, "\n"); i >= 0 && len(msg) > 2000 {
		msg = msg[i+1:]
	}
	op := args[0]
	e := fmt.Errorf("%s %s: %v: %s", r.Name, op, err, msg)
	switch {
	case strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found") && strings.Contains(msg, "container"):
		return fmt.Errorf("%w: %w", e, errdefs.ErrNotFound)
	case strings.Contains(msg, "already exists"):
		return fmt.Errorf("%w: %w", e, errdefs.ErrAlreadyExists)
	}
	return e
}

// State returns the runtime's state of a container.
func (r *Runtime) State(ctx context.Context, id string) (*State, error) {
	out, err := r.run(ctx, "state", id)
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(out, &st); err != nil {
		return nil, fmt.Errorf("%s state %s: %w", r.Name, id, err)
	}
	return &st, nil
}

// Start starts a created container's process.
func (r *Runtime) Start(ctx context.Context, id string) error {
	_, err := r.run(ctx, "start", id)
	return err
}

// Kill signals a container's init process (or all its processes).
// The runtime checks the process's start time, so a recycled PID is
// never signalled.
func (r *Runtime) Kill(ctx context.Context, id string, sig syscall.Signal, all bool) error {
	args := []string{"kill"}
	if all {
		args = append(args, "--all")
	}
	_, err := r.run(ctx, append(args, id, fmt.Sprint(int(sig)))...)
	return err
}

// Delete removes a container from the runtime (its cgroup and state).
// Deleting a container the runtime does not know is not an error: the
// caller's records decide whether it existed.
func (r *Runtime) Delete(ctx context.Context, id string, force bool) error {
	args := []string{"delete"}
	if force {
		args = append(args, "--force")
	}
	_, err := r.run(ctx, append(args, id)...)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil
	}
	return err
}

// Update changes a running container's resources; resources is the
// runtime-spec LinuxResources as JSON.
func (r *Runtime) Update(ctx context.Context, id string, resources []byte) error {
	cmd := r.command(ctx, "update", "--resources", "-", id)
	cmd.Stdin = bytes.NewReader(resources)
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	if err := cmd.Run(); err != nil {
		return r.failure([]string{"update"}, err, errOut.String())
	}
	return nil
}

// Pids lists the processes of a container.
func (r *Runtime) Pids(ctx context.Context, id string) ([]int, error) {
	out, err := r.run(ctx, "ps", "--format", "json", id)
	if err != nil {
		return nil, err
	}
	var pids []int
	if err := json.Unmarshal(out, &pids); err != nil {
		return nil, fmt.Errorf("%s ps %s: %w", r.Name, id, err)
	}
	return pids, nil
}

// List lists the containers the runtime knows.
func (r *Runtime) List(ctx context.Context) ([]State, error) {
	out, err := r.run(ctx, "list", "--format", "json")
	if err != nil {
		return nil, err
	}
	var states []State
	if len(bytes.TrimSpace(out)) == 0 || bytes.Equal(bytes.TrimSpace(out), []byte("null")) {
		return nil, nil
	}
	if err := json.Unmarshal(out, &states); err != nil {
		return nil, fmt.Errorf("%s list: %w", r.Name, err)
	}
	return states, nil
}
