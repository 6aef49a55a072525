package monitor

import (
	"log/slog"
	"os"
	"runtime/debug"
)

// Main is a monitor process's whole program, `ocid-monitor CONFIG` (or
// `ocid monitor CONFIG`): the runtime starts it with the sync pipe as fd 3
// and the container's monitor.log as stderr. It returns the exit code.
func Main(cfgPath string) int {
	// A monitor copies bytes and waits; keep its heap small.
	debug.SetGCPercent(25)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := Run(cfgPath, os.NewFile(3, "sync"), log); err != nil {
		log.Error("monitor", "error", err)
		return 1
	}
	return 0
}
