// Package pause is the body of a pod's PID namespace holder: PID 1 of a
// shared PID namespace, which reaps orphans and exits on SIGTERM or
// SIGINT. It links nothing but the standard library, as it runs once per
// pod in the small ocid-monitor binary.
package pause

import (
	"os"
	"os/signal"
	"syscall"
)

// Run never returns: it reaps children until told to stop, then exits 0.
func Run() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for sig := range sigs {
		if sig != syscall.SIGCHLD {
			os.Exit(0)
		}
		reap()
	}
}

// reap collects every exited child without blocking; one SIGCHLD can
// stand for several exits.
func reap() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}
