package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ocid-project/ocid/runtime/monitor"
)

// monitorStartTimeout bounds a monitor's set-up, and a container's start
// (the runtime's create and start).
const monitorStartTimeout = 2 * time.Minute

// pendingMonitor is a monitor started and not yet heard from.
type pendingMonitor struct {
	id, dir string
	cmd     *exec.Cmd
	ready   chan readyResult
	syncR   *os.File
}

type readyResult struct {
	r   monitor.Ready
	err error
}

// spawnMonitor starts the container's monitor in its own session; wait
// hears whether it is set up (or why not).
func (m *Manager) spawnMonitor(cfg *monitor.Config) (*pendingMonitor, error) {
	if err := monitor.WriteConfig(cfg); err != nil {
		return nil, err
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer syncW.Close()
	logf, err := os.OpenFile(filepath.Join(cfg.Dir, "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		syncR.Close()
		return nil, err
	}
	defer logf.Close()
	args := append(append([]string{}, m.monitor[1:]...), filepath.Join(cfg.Dir, monitor.ConfigFile))
	cmd := exec.Command(m.monitor[0], args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.ExtraFiles = []*os.File{syncW}
	cmd.Dir = "/"
	// Its own session: no terminal signals, and it outlives this process.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		syncR.Close()
		return nil, fmt.Errorf("starting the monitor of %s: %w", cfg.ID, err)
	}
	// Reap the monitor when it ends while this process lives; if this
	// process dies first, init adopts it.
	reapLater(cmd)
	p := &pendingMonitor{id: cfg.ID, dir: cfg.Dir, cmd: cmd, ready: make(chan readyResult, 1), syncR: syncR}
	go func() {
		defer syncR.Close()
		var r monitor.Ready
		err := json.NewDecoder(syncR).Decode(&r)
		p.ready <- readyResult{r, err}
	}()
	return p, nil
}

// wait blocks until the monitor reports (see monitorStartTimeout).
func (p *pendingMonitor) wait(ctx context.Context) error {
	select {
	case res := <-p.ready:
		p.ready <- res // for abort
		if res.err != nil {
			return fmt.Errorf("the monitor of %s died before reporting: %w%s", p.id, res.err, monitorLogTail(p.dir))
		}
		if res.r.Error != "" {
			return fmt.Errorf("creating container %s: %s", p.id, res.r.Error)
		}
		return nil
	case <-time.After(monitorStartTimeout):
		return fmt.Errorf("creating container %s: timed out after %v", p.id, monitorStartTimeout)
	case <-ctx.Done():
		return errors.Join(fmt.Errorf("creating container %s", p.id), ctx.Err())
	}
}

// abort ends a monitor whose container is being undone: killed, and
// waited for, so that its files can go.
func (p *pendingMonitor) abort() {
	p.cmd.Process.Kill()
	select {
	case <-p.ready: // it reported, or its end closed the sync pipe
	case <-time.After(10 * time.Second):
	}
}

func monitorLogTail(dir string) string {
	raw, err := os.ReadFile(filepath.Join(dir, "monitor.log"))
	if err != nil || len(raw) == 0 {
		return ""
	}
	if len(raw) > 2000 {
		raw = raw[len(raw)-2000:]
	}
	return " (monitor log: " + string(raw) + ")"
}
