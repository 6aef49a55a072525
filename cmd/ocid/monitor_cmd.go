package main

import (
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/ocid-project/ocid/runtime/monitor"
)

// runMonitor is `ocid monitor CONFIG`, started by the runtime with the
// sync pipe as fd 3. Its stderr is the container's monitor.log.
func runMonitor(cfgPath string) int {
	// A monitor copies bytes and waits; keep its heap small.
	debug.SetGCPercent(25)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := monitor.Run(cfgPath, os.NewFile(3, "sync"), log); err != nil {
		log.Error("monitor", "error", err)
		return 1
	}
	return 0
}
