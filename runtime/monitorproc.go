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

// monitorStartTimeout bounds creating a container (image mounts, the
// runtime's create).
const monitorStartTimeout = 2 * time.Minute

// startMonitor starts the container's monitor in its own session and
// waits until it reports the container created (or why not).
func (m *Manager) startMonitor(ctx context.Context, cfg *monitor.Config) error {
	if err := monitor.WriteConfig(cfg); err != nil {
		return err
	}
	syncR, syncW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer syncR.Close()
	logf, err := os.OpenFile(filepath.Join(cfg.Dir, "monitor.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		syncW.Close()
		return err
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
		syncW.Close()
		return fmt.Errorf("starting the monitor of %s: %w", cfg.ID, err)
	}
	syncW.Close()
	// Reap the monitor when it ends while this process lives; if this
	// process dies first, init adopts it.
	reapLater(cmd)

	type result struct {
		r   monitor.Ready
		err error
	}
	ch := make(chan result, 1)
	go func() {
		var r monitor.Ready
		err := json.NewDecoder(syncR).Decode(&r)
		ch <- result{r, err}
	}()
	select {
	case res := <-ch:
		if res.err != nil {
			return fmt.Errorf("the monitor of %s died before reporting: %w%s", cfg.ID, res.err, monitorLogTail(cfg.Dir))
		}
		if res.r.Error != "" {
			return fmt.Errorf("creating container %s: %s", cfg.ID, res.r.Error)
		}
		return nil
	case <-time.After(monitorStartTimeout):
		cmd.Process.Kill()
		return fmt.Errorf("creating container %s: timed out after %v", cfg.ID, monitorStartTimeout)
	case <-ctx.Done():
		cmd.Process.Kill()
		return errors.Join(fmt.Errorf("creating container %s", cfg.ID), ctx.Err())
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
