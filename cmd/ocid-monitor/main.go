// Command ocid-monitor is the small program ocid runs once per container
// and once per pod, installed next to ocid:
//
//	ocid-monitor CONFIG   a container's monitor (runtime/monitor)
//	ocid-monitor pause    a pod's PID namespace holder (runtime/pause)
//
// ocid can run both from its own binary (`ocid monitor CONFIG`, `ocid
// pause`), but every process of a Go binary pays for the packages the
// binary links when it starts: ocid's ~240 packages leave about 4 MiB of
// private memory in each monitor, this binary's few leave about 1 MiB
// (docs/performance.md). With hundreds of containers on a node that is
// the difference that matters, so it stays a separate, minimal main.
// Keep its imports to runtime/monitor and runtime/pause.
package main

import (
	"fmt"
	"os"

	"github.com/ocid-project/ocid/runtime/monitor"
	"github.com/ocid-project/ocid/runtime/pause"
)

func main() {
	switch {
	case len(os.Args) == 2 && os.Args[1] == "pause":
		pause.Run()
	case len(os.Args) == 2 && os.Args[1] != "" && os.Args[1][0] != '-':
		os.Exit(monitor.Main(os.Args[1]))
	}
	fmt.Fprintln(os.Stderr, "usage: ocid-monitor CONFIG | ocid-monitor pause\n(started by ocid; not for direct use)")
	os.Exit(2)
}
