package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/runtime/monitor"
	"github.com/ocid-project/ocid/runtime/oci"
)

// Start starts a created container's process.
func (m *Manager) Start(ctx context.Context, ref string) error {
	c, err := m.Lookup(ref)
	if err != nil {
		return err
	}
	st := m.status(c)
	switch st.State {
	case Running:
		return nil // already started: a retried Start succeeds
	case Created:
	default:
		return fmt.Errorf("container %s is %s, not created: %w", c.ID, st.State, errdefs.ErrPrecondition)
	}
	if c.Deferred {
		// The monitor runs the runtime and records the start time (or the
		// failure, as the container's exit) before it answers.
		if err := monitor.ControlWait(m.RunDir(c.ID), monitor.CmdStart, monitorStartTimeout); err != nil {
			return fmt.Errorf("starting container %s: %w", c.ID, err)
		}
		m.log.Debug("container started", "container", c.ID)
		return nil
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	if err := h.Start(ctx, c.ID); err != nil {
		return fmt.Errorf("starting container %s: %w", c.ID, err)
	}
	if err := fsutil.WriteFileAtomicVolatile(filepath.Join(m.RunDir(c.ID), startedFile), []byte(now.Format(time.RFC3339Nano)), 0o600); err != nil {
		return err
	}
	m.log.Debug("container started", "container", c.ID)
	return nil
}

// Status returns a container's record and state.
func (m *Manager) Status(ref string) (*Status, error) {
	c, err := m.Lookup(ref)
	if err != nil {
		return nil, err
	}
	return m.status(c), nil
}

// List returns every container's status, oldest first.
func (m *Manager) List() ([]*Status, error) {
	entries, err := os.ReadDir(filepath.Join(m.root, "containers"))
	if err != nil {
		return nil, err
	}
	var out []*Status
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		c, err := m.readRecord(strings.TrimSuffix(e.Name(), ".json"))
		if err != nil {
			m.log.Warn("unreadable container record", "file", e.Name(), "error", err)
			continue
		}
		out = append(out, m.status(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// Kill sends a signal to a container's process (all its processes with all).
func (m *Manager) Kill(ctx context.Context, ref string, sig syscall.Signal, all bool) error {
	c, err := m.Lookup(ref)
	if err != nil {
		return err
	}
	st := m.status(c)
	if st.State != Running && st.State != Created {
		return fmt.Errorf("container %s is %s: %w", c.ID, st.State, errdefs.ErrPrecondition)
	}
	if done, err := m.cancelUnstarted(c, st); done {
		return err
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return err
	}
	return h.Kill(ctx, c.ID, sig, all)
}

// cancelUnstarted ends a deferred container that was never started: its
// monitor records it as killed and exits; the runtime never knew it. It
// reports whether the container was such a one.
func (m *Manager) cancelUnstarted(c *Container, st *Status) (bool, error) {
	if !c.Deferred || st.State != Created {
		return false, nil
	}
	if err := monitor.Control(m.RunDir(c.ID), monitor.CmdCancel); err != nil {
		if m.status(c).State == Running {
			return false, nil // started meanwhile: stop it the usual way
		}
		return true, fmt.Errorf("cancelling container %s: %w", c.ID, err)
	}
	return true, nil
}

// Stop asks a container to stop with its stop signal, waits up to grace,
// then kills it. Stopping a stopped container is not an error (the
// kubelet retries).
func (m *Manager) Stop(ctx context.Context, ref string, grace time.Duration) error {
	c, err := m.Lookup(ref)
	if err != nil {
		return err
	}
	st := m.status(c)
	if st.State != Running && st.State != Created {
		return nil
	}
	if done, err := m.cancelUnstarted(c, st); done {
		if err != nil {
			return err
		}
		m.waitExit(ctx, c.ID, 30*time.Second)
		return nil
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return err
	}
	if grace > 0 && st.State == Running {
		sig := parseSignal(c.StopSignal)
		if err := h.Kill(ctx, c.ID, sig, false); err != nil && !m.exited(c.ID) {
			m.log.Warn("stop signal failed", "container", c.ID, "error", err)
		}
		if m.waitExit(ctx, c.ID, grace) {
			return nil
		}
	}
	if err := m.kill(ctx, h, c.ID); err != nil {
		return err
	}
	if !m.waitExit(ctx, c.ID, 30*time.Second) {
		return fmt.Errorf("container %s did not exit after SIGKILL: %w", c.ID, errdefs.ErrUnavailable)
	}
	return nil
}

// kill sends SIGKILL to every process of the container. A created
// container of an older ocid, whose init the runtime has not started, is
// killed by the runtime's delete instead.
func (m *Manager) kill(ctx context.Context, h *oci.Runtime, id string) error {
	if err := h.Kill(ctx, id, syscall.SIGKILL, true); err != nil && !m.exited(id) {
		if err := h.Delete(ctx, id, true); err != nil {
			return fmt.Errorf("killing container %s: %w", id, err)
		}
	}
	return nil
}

// runtimeDeleted reports whether the container's monitor deleted it from
// the OCI runtime after it exited.
func (m *Manager) runtimeDeleted(id string) bool {
	_, err := os.Stat(filepath.Join(m.RunDir(id), monitor.RuntimeDeletedFile))
	return err == nil
}

func (m *Manager) exited(id string) bool {
	e, _ := monitor.ReadExit(m.RunDir(id))
	return e != nil || !monitorAlive(m.RunDir(id))
}

// waitExit waits until the monitor has recorded the exit (the monitor
// ends right after it writes the exit file), watching the monitor's
// pidfd, so no PID reuse can fool it.
func (m *Manager) waitExit(ctx context.Context, id string, d time.Duration) bool {
	dir := m.RunDir(id)
	deadline := time.Now().Add(d)
	pid, err := readPid(filepath.Join(dir, monitor.PidFile))
	if err != nil || !monitorAlive(dir) {
		return m.exited(id)
	}
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return m.exited(id)
	}
	defer unix.Close(fd)
	if !monitorAlive(dir) { // the PID may have been reused before we opened it
		return m.exited(id)
	}
	for {
		left := time.Until(deadline)
		if left <= 0 || ctx.Err() != nil {
			return m.exited(id)
		}
		step := min(left, 250*time.Millisecond) // to notice ctx cancellation
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, int(step.Milliseconds())+1)
		if err == nil && n > 0 {
			return m.exited(id)
		}
	}
}

// Wait blocks until the container has exited (or ctx ends).
func (m *Manager) Wait(ctx context.Context, ref string) (*Status, error) {
	c, err := m.Lookup(ref)
	if err != nil {
		return nil, err
	}
	for !m.waitExit(ctx, c.ID, time.Hour) {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return m.status(c), nil
}

// Delete removes a container: from the runtime, its root filesystem, its
// files and its name. A running container needs force. Deleting a
// container that is gone is not an error.
func (m *Manager) Delete(ctx context.Context, ref string, force bool) error {
	c, err := m.Lookup(ref)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	st := m.status(c)
	if st.State == Running && !force {
		return fmt.Errorf("container %s is running; stop it first or force: %w", c.ID, errdefs.ErrPrecondition)
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return err
	}
	unstarted, err := m.cancelUnstarted(c, st)
	if err != nil {
		return err
	}
	// A deferred container cancelled before its start is unknown to the
	// runtime: no runtime process to run. (One whose start failed may
	// have got as far as the runtime's state: that is deleted.)
	cancelled := unstarted || c.Deferred && st.Started.IsZero() && st.State == Exited && st.Reason != monitor.ReasonStartError
	if !cancelled && st.State == Running {
		// Killed here; its monitor then records the exit and deletes it
		// from the runtime, and no two runtime deletes race.
		if err := m.kill(ctx, h, c.ID); err != nil {
			return err
		}
	}
	// Also for an exited container: its monitor ends after it records
	// the exit and deletes the container from the runtime, and the files
	// must not go before it has.
	m.waitExit(ctx, c.ID, 30*time.Second)
	if !cancelled && !m.runtimeDeleted(c.ID) {
		// A monitor that could not (or an older ocid's, which does not),
		// or one that is gone with its container perhaps still running.
		if err := h.Delete(ctx, c.ID, true); err != nil {
			return fmt.Errorf("deleting container %s from %s: %w", c.ID, h.Name, err)
		}
	}
	if err := m.store.RemoveContainer(c.ID); err != nil {
		return err
	}
	if err := os.RemoveAll(m.RunDir(c.ID)); err != nil {
		return err
	}
	if c.LogPath == m.defaultLogPath(c.ID) {
		os.Remove(c.LogPath)
	}
	if err := os.Remove(m.recordPath(c.ID)); err != nil && !os.IsNotExist(err) {
		return err
	}
	m.releaseName(c.Name, c.ID)
	m.log.Debug("container removed", "container", c.ID)
	return nil
}

// ReopenLog makes the monitor reopen the container's log file (after the
// kubelet rotated it).
func (m *Manager) ReopenLog(ref string) error {
	c, err := m.Lookup(ref)
	if err != nil {
		return err
	}
	if st := m.status(c); st.State != Running {
		return fmt.Errorf("container %s is %s: %w", c.ID, st.State, errdefs.ErrPrecondition)
	}
	return monitor.Control(m.RunDir(c.ID), monitor.CmdReopenLog)
}

// AttachSocket is the path of a container's attach socket.
func (m *Manager) AttachSocket(ref string) (string, *Container, error) {
	c, err := m.Lookup(ref)
	if err != nil {
		return "", nil, err
	}
	if st := m.status(c); st.State != Running && st.State != Created {
		return "", nil, fmt.Errorf("container %s is %s: %w", c.ID, st.State, errdefs.ErrPrecondition)
	}
	return filepath.Join(m.RunDir(c.ID), monitor.AttachSocket), c, nil
}

// parseSignal reads SIGTERM, TERM, 15; unknown or empty means SIGTERM.
func parseSignal(s string) syscall.Signal {
	s = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SIG"))
	if s == "" {
		return syscall.SIGTERM
	}
	if n, err := fmt.Sscan(s, new(int)); err == nil && n == 1 {
		var v int
		fmt.Sscan(s, &v)
		return syscall.Signal(v)
	}
	if sig := unix.SignalNum("SIG" + s); sig != 0 {
		return sig
	}
	return syscall.SIGTERM
}

// Update changes a running container's resources (runtime-spec
// LinuxResources as JSON).
func (m *Manager) Update(ctx context.Context, ref string, resources []byte) error {
	c, err := m.Lookup(ref)
	if err != nil {
		return err
	}
	if c.Deferred && m.status(c).State == Created {
		// Not in the runtime yet: the start reads the bundle's spec.
		return m.updateBundle(c.ID, resources)
	}
	h, err := m.Handler(c.Handler)
	if err != nil {
		return err
	}
	return h.Update(ctx, c.ID, resources)
}

// updateBundle sets the resources in a container's bundle spec.
func (m *Manager) updateBundle(id string, resources []byte) error {
	var res specs.LinuxResources
	if err := json.Unmarshal(resources, &res); err != nil {
		return fmt.Errorf("resources: %w: %w", err, errdefs.ErrInvalidArgument)
	}
	sp, err := m.Spec(id)
	if err != nil {
		return err
	}
	if sp.Linux == nil {
		sp.Linux = &specs.Linux{}
	}
	sp.Linux.Resources = mergeResources(sp.Linux.Resources, &res)
	return writeJSON(filepath.Join(m.RunDir(id), "bundle", "config.json"), sp)
}
