// Command monstart creates and starts detached containers the way `ocid
// container run -d` does, through ocid's runtime package, but with a
// monitor command of the caller's choosing: to measure another monitor
// binary (bench/cmd/slimmonitor) on the same containers.
//
//	monstart -root R -runroot RR -cgroup-parent /P -monitor "BIN monitor" \
//	    -n 20 -name mon IMAGE [ARG...]
//
// The containers are named NAME-1…NAME-N, in the store and runtime
// directories that `ocid --root R --runroot RR` uses, so `ocid container
// ps/rm` see and remove them. It prints their IDs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
	"github.com/ocid-project/ocid/store"
)

func main() {
	root := flag.String("root", "", "ocid --root")
	runroot := flag.String("runroot", "", "ocid --runroot")
	cgParent := flag.String("cgroup-parent", "/ocid", "cgroupfs parent")
	mon := flag.String("monitor", "", "monitor command, space-separated, before the config path")
	n := flag.Int("n", 1, "number of containers")
	name := flag.String("name", "mon", "name prefix")
	flag.Parse()
	if *root == "" || *runroot == "" || *mon == "" || flag.NArg() < 1 {
		fmt.Fprintln(os.Stderr, "usage: monstart -root R -runroot RR -monitor CMD [-cgroup-parent P] [-n N] [-name NAME] IMAGE [ARG...]")
		os.Exit(2)
	}
	if err := run(*root, *runroot, *cgParent, strings.Fields(*mon), *n, *name, flag.Arg(0), flag.Args()[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "monstart:", err)
		os.Exit(1)
	}
}

func run(root, runroot, cgParent string, mon []string, n int, name, image string, args []string) error {
	st, err := store.Open(store.Options{Root: root, RunRoot: runroot})
	if err != nil {
		return err
	}
	rt, err := runtime.New(runtime.Options{Store: st, Root: root, RunRoot: runroot, MonitorCommand: mon, CgroupParent: cgParent})
	if err != nil {
		return err
	}
	ctx := context.Background()
	for i := 1; i <= n; i++ {
		c, err := rt.Create(ctx, runtime.CreateOptions{
			Name: fmt.Sprintf("%s-%d", name, i), Image: image, Spec: spec.Options{Args: args},
		})
		if err != nil {
			return err
		}
		if err := rt.Start(ctx, c.ID); err != nil {
			return err
		}
		fmt.Println(c.ID)
	}
	return nil
}
