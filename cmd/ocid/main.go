// Command ocid is the one binary of the ocid container stack: image
// transport and store, trust, runtime, the CRI daemon and system
// containers. This package is flags and wiring only; the work is done by
// the library packages it calls.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/monitor"
	"github.com/ocid-project/ocid/runtime/pause"
)

// Exit codes: 1 for a failure, 2 for bad usage or input.
const (
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	// A container's monitor is this binary too; it starts without the
	// command-line machinery to stay small (one per running container).
	// (ocid-monitor, installed next to ocid, is the smaller choice the
	// runtime prefers; see monitor_path in docs/configuration.md.)
	if len(os.Args) == 3 && os.Args[1] == "monitor" {
		os.Exit(monitor.Main(os.Args[2]))
	}
	// A pod's PID namespace holder is this binary too.
	if len(os.Args) == 2 && os.Args[1] == "pause" {
		pause.Run()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	root := newRootCommand()
	root.SetArgs(hoistGlobalConfig(root, os.Args[1:]))
	err := root.ExecuteContext(ctx)
	stop()
	if err == nil {
		return
	}
	var ec exitCodeError
	if errors.As(err, &ec) {
		os.Exit(ec.code)
	}
	fmt.Fprintln(os.Stderr, "Error:", err)
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, errdefs.ErrInvalidArgument) {
		os.Exit(exitUsage)
	}
	os.Exit(exitFailure)
}

// usageError marks a command-line mistake.
type usageError struct{ error }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}
