package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sampleJUnit = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="6" disabled="0" errors="0" failures="1" time="1">
  <testsuite name="CRI validation" tests="6" skipped="3" failures="1">
    <testcase name="[BeforeSuite]" classname="CRI validation" status="passed" time="0"></testcase>
    <testcase name="[It] [k8s.io] A passes" classname="CRI validation" status="passed" time="1"></testcase>
    <testcase name="[It] [k8s.io] B fails" classname="CRI validation" status="failed" time="1">
      <failure message="Unexpected error:&#xA;    &lt;*status.Error | 0x1&gt;: &#xA;    rpc error: code = NotFound desc = gone&#xA;more" type="failed"></failure>
    </testcase>
    <testcase name="[It] [k8s.io] C skips itself" classname="CRI validation" status="skipped" time="0">
      <skipped message="skipped - no feature"></skipped>
    </testcase>
    <testcase name="[It] [k8s.io] D skip list" classname="CRI validation" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
    <testcase name="[It] [k8s.io] Image benchmark about listing Image" classname="CRI validation" status="skipped" time="0"><skipped message="skipped"></skipped></testcase>
  </testsuite>
</testsuites>`

func TestReport(t *testing.T) {
	f := filepath.Join(t.TempDir(), "junit.xml")
	if err := os.WriteFile(f, []byte(sampleJUnit), 0o644); err != nil {
		t.Fatal(err)
	}
	out := captureStdout(t, func() {
		code, err := reportCmd([]string{f})
		if err != nil || code != 1 {
			t.Errorf("reportCmd = %d, %v; want 1, nil", code, err)
		}
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if lines[0] != "critest: 1 passed, 1 failed, 2 skipped of 4" {
		t.Errorf("summary %q", lines[0])
	}
	if len(lines) != 2 || !strings.Contains(lines[1], "B fails — Unexpected error: rpc error: code = NotFound desc = gone") {
		t.Errorf("failures %q", lines[1:])
	}
}

func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	f()
	os.Stdout = old
	w.Close()
	return <-done
}

// A hard link entry must carry its target's mode: containerd applies the
// link entry's mode to the shared inode.
func TestLayerHardlinkModeAndDeterminism(t *testing.T) {
	build := func() ([]byte, string) {
		l := newLayer("test")
		l.file("bin/busybox", 0o755, []byte("binary"))
		l.hardlink("bin/ls", "bin/busybox")
		l.file("marker", 0o644, nil)
		b, id, err := l.blob()
		if err != nil {
			t.Fatal(err)
		}
		return b, id
	}
	b1, id1 := build()
	b2, id2 := build()
	if !bytes.Equal(b1, b2) || id1 != id2 {
		t.Fatal("the same layer built twice differs")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b1))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if strings.HasPrefix(h.Name, "/") {
			t.Errorf("absolute entry %q", h.Name)
		}
		if h.Name == "bin/ls" && (h.Typeflag != tar.TypeLink || h.Linkname != "bin/busybox" || h.Mode != 0o755) {
			t.Errorf("bin/ls: type %c link %q mode %o", h.Typeflag, h.Linkname, h.Mode)
		}
	}
	if got := strings.Join(names, " "); got != "bin/ bin/busybox bin/ls marker" {
		t.Errorf("entries %q", got)
	}
}
