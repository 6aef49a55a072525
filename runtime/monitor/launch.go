package monitor

import (
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/ocid-project/ocid/internal/fsutil"
)

// launch is a monitor's one decision: start the container (the runtime
// creates and starts it in one process) or cancel it. The first start or
// cancel decides; later ones answer from the decision.
type launch struct {
	m       *monitor
	mu      sync.Mutex
	started bool
	exit    *Exit // set when cancelled, or when the start failed
	err     error // why the start failed
	// done receives the decision once: nil (started) or the exit to
	// record (cancelled, or the start failed).
	done chan *Exit
}

func newLaunch(m *monitor) *launch {
	return &launch{m: m, done: make(chan *Exit, 1)}
}

// start creates and starts the container. The start time and, on
// failure, the exit are on disk before the caller hears back, so its
// next status read is right.
func (l *launch) start() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.started:
		return nil
	case l.err != nil:
		return l.err
	case l.exit != nil:
		return fmt.Errorf("the container was cancelled before it started")
	}
	started := time.Now().UTC()
	if err := l.m.createAndStart(); err != nil {
		l.err = err
		l.exit = &Exit{Code: 128, Finished: time.Now().UTC(), Reason: ReasonStartError, Message: err.Error()}
		l.record(l.exit)
		l.done <- l.exit
		return err
	}
	if err := fsutil.WriteFileAtomicVolatile(filepath.Join(l.m.cfg.Dir, StartedFile), []byte(started.Format(time.RFC3339Nano)), 0o600); err != nil {
		// The container runs; only its start time is lost.
		l.m.log.Error("recording the start time", "error", err)
	}
	l.started = true
	l.done <- nil
	return nil
}

// cancel records the container as killed before it started (as a
// created container killed by the runtime would be).
func (l *launch) cancel() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.started {
		return fmt.Errorf("the container has started")
	}
	if l.exit != nil {
		return nil
	}
	l.exit = &Exit{Code: 128 + int(syscall.SIGKILL), Signal: int(syscall.SIGKILL), Finished: time.Now().UTC(), Reason: "Error"}
	l.record(l.exit)
	l.done <- l.exit
	return nil
}

func (l *launch) record(e *Exit) {
	if err := writeExit(l.m.cfg.Dir, e); err != nil {
		l.m.log.Error("recording the exit status", "error", err)
	}
}
