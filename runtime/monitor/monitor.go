package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/runtime/crilog"
)

// drainTimeout bounds how long output is read after the container's init
// exited: a process that inherited stdout and outlives init must not keep
// the monitor (and the exit status) waiting forever.
const drainTimeout = 2 * time.Second

// runtimeDeleteTimeout bounds the runtime's delete of an exited container.
const runtimeDeleteTimeout = 30 * time.Second

// Ready is what a monitor reports on its sync pipe once the container is
// created (or could not be).
type Ready struct {
	Pid   int    `json:"pid,omitempty"`
	Error string `json:"error,omitempty"`
}

// monitor is one running monitor.
type monitor struct {
	cfg       *Config
	log       *slog.Logger
	out       *crilog.Writer
	io        *stdio
	pid       int
	attachSrv attachServer
	launch    *launch
}

// Run is the monitor process: set up, report on sync, start the container
// when told, then stay until the container has exited. It returns when
// the monitor should exit.
func Run(cfgPath string, sync *os.File, log *slog.Logger) error {
	cfg, err := ReadConfig(cfgPath)
	if err != nil {
		reportReady(sync, Ready{Error: err.Error()})
		return err
	}
	// The monitor ends with its container, not with a terminal or a
	// polite signal to the daemon's process group.
	signal.Ignore(syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM, syscall.SIGPIPE)
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		reportReady(sync, Ready{Error: "becoming a subreaper: " + err.Error()})
		return err
	}
	if err := writePidFile(filepath.Join(cfg.Dir, PidFile)); err != nil {
		reportReady(sync, Ready{Error: err.Error()})
		return err
	}
	m := &monitor{cfg: cfg, log: log.With("container", cfg.ID)}
	return m.run(sync)
}

func reportReady(sync *os.File, r Ready) {
	if sync == nil {
		return
	}
	json.NewEncoder(sync).Encode(r)
	sync.Close()
}

// run sets up stdio, log and sockets, reports ready, and waits for the
// start or cancel command (see launch) before it serves the container.
// The log and the attach socket exist before the caller hears back, so an
// attach before the start sees all output.
func (m *monitor) run(sync *os.File) error {
	var err error
	if m.io, err = newStdio(m.cfg); err != nil {
		reportReady(sync, Ready{Error: err.Error()})
		return err
	}
	m.launch = newLaunch(m)
	ctl := m.setup()
	if ctl == nil {
		// Without the control socket nobody could start it.
		err := fmt.Errorf("no control socket (see the monitor log)")
		reportReady(sync, Ready{Error: err.Error()})
		m.io.closeAll()
		return err
	}
	reportReady(sync, Ready{})
	if exit := <-m.launch.done; exit != nil {
		m.finishUnstarted(ctl, exit)
		return nil
	}
	return m.serve(ctl)
}

// createAndStart runs `runtime run --detach` with the container's stdio.
func (m *monitor) createAndStart() error {
	if err := m.io.run(m.cfg); err != nil {
		return err
	}
	return m.readPid()
}

// finishUnstarted ends a monitor whose container never ran:
// its exit is recorded already; attached clients hear it.
func (m *monitor) finishUnstarted(ctl io.Closer, exit *Exit) {
	if m.out != nil {
		m.out.Close()
	}
	if m.attachSrv != nil {
		m.attachSrv.Exit(exit.Code)
		m.attachSrv.Close()
	}
	ctl.Close()
	m.io.closeAll()
}

// readPid reads the container's PID from the file the runtime wrote.
func (m *monitor) readPid() error {
	raw, err := os.ReadFile(filepath.Join(m.cfg.Dir, ContainerPidFile))
	if err != nil {
		return fmt.Errorf("reading the container's pid file: %w", err)
	}
	m.pid, err = strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || m.pid <= 0 {
		return fmt.Errorf("bad container pid file %q", raw)
	}
	return nil
}

// setup opens the log and the attach and control sockets.
func (m *monitor) setup() io.Closer {
	if m.cfg.LogPath != "" {
		w, err := crilog.NewWriter(m.cfg.LogPath, crilog.Options{})
		if err != nil {
			m.log.Error("opening the container log", "error", err)
		} else {
			m.out = w
		}
	}
	srv, err := newAttachServer(filepath.Join(m.cfg.Dir, AttachSocket), m.io, m.log)
	if err != nil {
		m.log.Error("attach socket", "error", err)
	}
	m.attachSrv = srv
	ctl, err := m.serveControl()
	if err != nil {
		m.log.Error("control socket", "error", err)
		return nil
	}
	return ctl
}

// serve copies output to the log and attached clients, reaps the
// container and records its exit.
func (m *monitor) serve(ctl io.Closer) error {
	var copiers sync.WaitGroup
	for _, s := range m.io.outputs() {
		copiers.Add(1)
		go func() {
			defer copiers.Done()
			m.copyOutput(s.r, s.stream)
		}()
	}
	status := m.reap()
	exit := m.exitOf(status)

	drained := make(chan struct{})
	go func() { copiers.Wait(); close(drained) }()
	select {
	case <-drained:
	case <-time.After(drainTimeout):
		m.io.closeOutputs() // unblocks the copiers
		<-drained
	}
	if m.out != nil {
		if err := m.out.Close(); err != nil {
			m.log.Error("closing the container log", "error", err)
		}
	}
	if err := writeExit(m.cfg.Dir, exit); err != nil {
		m.log.Error("recording the exit status", "error", err)
	}
	if m.attachSrv != nil {
		m.attachSrv.Exit(exit.Code)
		m.attachSrv.Close()
	}
	if ctl != nil {
		ctl.Close()
	}
	m.io.closeAll()
	m.deleteFromRuntime()
	return nil
}

// deleteFromRuntime deletes the exited container from the OCI runtime:
// its cgroups and the runtime's state go now, not when the container's
// record is removed (which the kubelet may do much later), and that
// removal no longer waits for a runtime process. Forced, so processes
// left in the container's cgroup (a shared PID namespace) go with it.
// Attached clients have heard the exit already; the monitor still exists
// meanwhile, and whoever removes the container waits for it to end.
func (m *monitor) deleteFromRuntime() {
	ctx, cancel := context.WithTimeout(context.Background(), runtimeDeleteTimeout)
	defer cancel()
	rt := m.cfg.Runtime
	if err := rt.Delete(ctx, m.cfg.ID, true); err != nil {
		m.log.Error("deleting the exited container from the runtime (its removal will retry)", "error", err)
		return
	}
	if err := os.WriteFile(filepath.Join(m.cfg.Dir, RuntimeDeletedFile), nil, 0o600); err != nil {
		m.log.Error("recording the runtime deletion", "error", err)
	}
}

// copyOutput reads one output stream until it ends.
func (m *monitor) copyOutput(r io.Reader, stream crilog.Stream) {
	var sw io.Writer = io.Discard
	if m.out != nil {
		sw = m.out.Stream(stream)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			sw.Write(buf[:n])
			if m.attachSrv != nil {
				m.attachSrv.Broadcast(stream, buf[:n])
			}
		}
		if err != nil {
			if f, ok := sw.(interface{ Close() error }); ok {
				f.Close()
			}
			return
		}
	}
}

// reap waits for the container's init (reparented to the monitor, a
// subreaper) and reaps every other orphan on the way.
func (m *monitor) reap() unix.WaitStatus {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			// ECHILD: the init was reaped by nobody we know (it cannot be,
			// but never spin): report an unknown exit.
			m.log.Error("waiting for the container", "error", err)
			return unix.WaitStatus(255 << 8)
		}
		if pid == m.pid {
			return ws
		}
	}
}

func (m *monitor) exitOf(ws unix.WaitStatus) *Exit {
	e := &Exit{Finished: time.Now().UTC()}
	switch {
	case ws.Exited():
		e.Code = ws.ExitStatus()
	case ws.Signaled():
		e.Signal = int(ws.Signal())
		e.Code = 128 + e.Signal
	}
	e.OOMKilled = oomKilled(m.cfg.CgroupPaths)
	switch {
	case e.OOMKilled:
		e.Reason = "OOMKilled"
	case e.Code == 0:
		e.Reason = "Completed"
	default:
		e.Reason = "Error"
	}
	return e
}

// oomKilled reads the OOM kill counter of the container's memory cgroup.
func oomKilled(paths []string) bool {
	for _, dir := range paths {
		for _, f := range []string{"memory.events", "memory.oom_control"} {
			raw, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(raw), "\n") {
				if k, v, ok := strings.Cut(line, " "); ok && k == "oom_kill" && strings.TrimSpace(v) != "0" {
					return true
				}
			}
		}
	}
	return false
}

// writePidFile records "PID STARTTIME": the start time (clock ticks since
// boot, /proc/PID/stat field 22) makes the record PID-reuse safe.
func writePidFile(path string) error {
	st, err := StartTime(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(path, []byte(fmt.Sprintf("%d %d\n", os.Getpid(), st)), 0o600)
}

// StartTime reads a process's start time from /proc.
func StartTime(pid int) (uint64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces and parentheses; the
	// fields after its last ')' are plain.
	s := string(raw)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("bad /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64)
}
