// Command critest-harness holds the host-side helpers of ocid's CRI
// conformance harness (test/critest/run.sh):
//
//	critest-harness images --busybox FILE --pause FILE --web FILE --applets FILE --out DIR
//	    builds the stand-in images critest pulls into the OCI layout DIR and
//	    writes DIR/images.list ("LAYOUT-NAME UPSTREAM-REFERENCE" per line)
//	critest-harness report [--not-run REGEX] JUNIT.xml
//	    prints "critest: P passed, F failed, S skipped of T" and the failing
//	    specs; exits 1 when a spec failed (or none ran)
//	critest-harness freeport [N]
//	    prints N (default 1) free TCP ports of 127.0.0.1, one a line
//
// It uses the standard library only, so it builds with ocid's module and
// adds nothing to its go.mod.
package main

import (
	"fmt"
	"net"
	"os"
	"strconv"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	code := 0
	switch os.Args[1] {
	case "images":
		err = imagesCmd(os.Args[2:])
	case "report":
		code, err = reportCmd(os.Args[2:])
	case "freeport":
		err = freeportCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "critest-harness:", err)
		os.Exit(2)
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  critest-harness images --busybox FILE --pause FILE --web FILE --applets FILE --out DIR
  critest-harness report [--not-run REGEX] JUNIT.xml
  critest-harness freeport [N]`)
	os.Exit(2)
}

// freeportCmd holds N listeners open at once so that the ports differ, then
// prints them and closes them.
func freeportCmd(args []string) error {
	n := 1
	if len(args) > 0 {
		v, err := strconv.Atoi(args[0])
		if err != nil || v < 1 || v > 100 {
			return fmt.Errorf("freeport: bad count %q", args[0])
		}
		n = v
	}
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		lns = append(lns, l)
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}
