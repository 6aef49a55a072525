// Command mkbusybox writes a one-layer busybox image into an OCI layout,
// for the runtime benchmark (bench/runtime.sh).
//
//	go run ./bench/cmd/mkbusybox [-busybox /bin/busybox] LAYOUT TAG
//
// The image is built like the tests' busybox image (fixtures.BusyboxImage,
// without its test user): the host's static busybox (Debian
// busybox-static) with applet symlinks in /bin, /etc/passwd and
// /etc/group with root and nobody, /tmp; one gzip layer, OCI manifest,
// host architecture, Cmd ["sh"]. The same input gives the same digests.
package main

import (
	"flag"
	"fmt"
	"os"
	goruntime "runtime"

	"github.com/ocid-project/ocid/fixtures"
)

func main() {
	bin := flag.String("busybox", "/bin/busybox", "a statically linked busybox")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkbusybox [-busybox PATH] LAYOUT TAG")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*bin, flag.Arg(0), flag.Arg(1)); err != nil {
		fmt.Fprintln(os.Stderr, "mkbusybox:", err)
		os.Exit(1)
	}
}

func run(bin, layout, tag string) error {
	data, err := os.ReadFile(bin)
	if err != nil {
		return fmt.Errorf("%w (apt-get install busybox-static)", err)
	}
	entries := []fixtures.Entry{
		fixtures.Dir("bin"), fixtures.Dir("dev"), fixtures.Dir("etc"),
		fixtures.Dir("proc").WithMode(0o555), fixtures.Dir("root").WithMode(0o700),
		fixtures.Dir("sys").WithMode(0o555), fixtures.Dir("tmp").WithMode(0o1777),
		fixtures.Dir("usr"), fixtures.Dir("usr/bin"), fixtures.Dir("var"),
		fixtures.FileBytes("bin/busybox", data).WithMode(0o755),
		fixtures.File("etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"),
		fixtures.File("etc/group", "root:x:0:\nnogroup:x:65534:\n"),
	}
	for _, a := range fixtures.BusyboxApplets {
		entries = append(entries, fixtures.Symlink("bin/"+a, "busybox"))
	}
	img, err := fixtures.Build(fixtures.Spec{
		Format:      fixtures.OCI,
		Compression: fixtures.Gzip,
		Config: fixtures.Config{
			Architecture: goruntime.GOARCH,
			Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd:          []string{"sh"},
		},
		Layers: []fixtures.Layer{{Entries: entries, CreatedBy: "bench: busybox"}},
	})
	if err != nil {
		return err
	}
	return fixtures.WriteOCILayout(layout, tag, img)
}
