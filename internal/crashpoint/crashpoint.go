// Package crashpoint lets tests kill ocid with SIGKILL at a named moment
// of a multi-step operation, deterministically, to prove that a crash at
// that moment leaves the store consistent. Outside tests it costs one
// string comparison: the variable is read once at start-up.
//
//	OCID_CRASH_AT=store.before-db ocid image pull …
package crashpoint

import (
	"os"
	"syscall"
)

var target = os.Getenv("OCID_CRASH_AT")

// Hit kills the process if name is the configured crash point.
func Hit(name string) {
	if target != "" && target == name {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {} // the signal is delivered before anything else runs
	}
}

// Enabled reports whether a crash point is configured at all, so callers
// can skip preparing one (counting bytes) when none is.
func Enabled() bool { return target != "" }
