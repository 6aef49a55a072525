// Command slimmonitor is ocid's container monitor alone: the body of
// `ocid monitor CONFIG` (cmd/ocid/monitor_cmd.go: GC percent 25, a text
// logger on stderr, runtime/monitor.Run with the sync pipe as fd 3) in a
// binary that links only runtime/monitor and what it needs (about 95
// packages instead of ocid's 560).
//
//	slimmonitor monitor CONFIG
//
// It exists to measure what a separate monitor binary would weigh
// (bench/runtime.sh part 3); bench/cmd/monstart starts containers with it.
// ocid itself does not use it.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"

	"github.com/ocid-project/ocid/runtime/monitor"
)

func main() {
	if len(os.Args) != 3 || os.Args[1] != "monitor" {
		fmt.Fprintln(os.Stderr, "usage: slimmonitor monitor CONFIG")
		os.Exit(2)
	}
	debug.SetGCPercent(25)
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if err := monitor.Run(os.Args[2], os.NewFile(3, "sync"), log); err != nil {
		log.Error("monitor", "error", err)
		os.Exit(1)
	}
}
