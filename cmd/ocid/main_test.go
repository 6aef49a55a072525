package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// ocidBin is built once for the CLI tests, which run the real binary as
// an operator would.
var ocidBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ocid-cli-test-")
	if err != nil {
		panic(err)
	}
	ocidBin = filepath.Join(dir, "ocid")
	// ocid-monitor goes next to ocid, where ocid looks for it, as make
	// build puts it.
	for _, b := range [][2]string{{ocidBin, "."}, {filepath.Join(dir, "ocid-monitor"), "../ocid-monitor"}} {
		// Static, as make build makes them: ocid-monitor is also the
		// pause program, which runs alone in an empty root.
		cmd := exec.Command("go", "build", "-o", b[0], b[1])
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		out, err := cmd.CombinedOutput()
		if err != nil {
			os.RemoveAll(dir)
			panic("building " + b[0] + ": " + err.Error() + "\n" + string(out))
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	stdout, stderr string
	code           int
}

// ocid runs the binary with an empty config and registries.conf unless
// the arguments say otherwise, so the host's files do not leak in.
func ocid(t *testing.T, args ...string) result {
	t.Helper()
	base := []string{"--config", "/dev/null"}
	if !containsFlag(args, "--registries-conf") {
		empty := filepath.Join(t.TempDir(), "registries.conf")
		os.WriteFile(empty, nil, 0o644)
		base = append(base, "--registries-conf", empty)
	}
	cmd := exec.Command(ocidBin, append(base, args...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{so.String(), se.String(), code}
}

func containsFlag(args []string, flag string) bool {
	for _, a := range args {
		if a == flag || strings.HasPrefix(a, flag+"=") {
			return true
		}
	}
	return false
}

func (r result) mustSucceed(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	return r
}

// mustFail checks a non-zero exit and that stderr says each of want.
func (r result) mustFail(t *testing.T, want ...string) {
	t.Helper()
	if r.code == 0 {
		t.Fatalf("succeeded, want failure\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}
}
