package oci

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// CreateOptions are the stdio and files of `runtime run --detach`.
type CreateOptions struct {
	Bundle  string
	PidFile string
	// ConsoleSocket receives the pty master of a TTY container.
	ConsoleSocket string
	// Stdin, Stdout, Stderr become the container process's stdio (pipes
	// the monitor holds); nil means /dev/null.
	Stdin, Stdout, Stderr *os.File
	// ExtraFiles are passed to the container process as fds 3…
	ExtraFiles []*os.File
}

// Run creates and starts a container in one runtime process (`run
// --detach`): the runtime's create and start as two processes would cost
// one process start more. The runtime's own messages go to a log file in
// the bundle, not to the container's stderr, so a failure is reported
// from there.
func (r *Runtime) Run(ctx context.Context, id string, o CreateOptions) error {
	logFile := filepath.Join(o.Bundle, "runtime.log")
	args := []string{"--log", logFile, "--log-format", "json", "run", "--detach", "--bundle", o.Bundle, "--pid-file", o.PidFile}
	if o.ConsoleSocket != "" {
		args = append(args, "--console-socket", o.ConsoleSocket)
	}
	if len(o.ExtraFiles) > 0 {
		args = append(args, "--preserve-fds", strconv.Itoa(len(o.ExtraFiles)))
	}
	cmd := r.command(ctx, append(args, id)...)
	if o.Stdin != nil {
		cmd.Stdin = o.Stdin
	}
	if o.Stdout != nil {
		cmd.Stdout = o.Stdout
	}
	if o.Stderr != nil {
		cmd.Stderr = o.Stderr
	}
	cmd.ExtraFiles = o.ExtraFiles
	if err := cmd.Run(); err != nil {
		return r.failure([]string{"run"}, err, logErrors(logFile))
	}
	return nil
}

// logErrors collects the error messages of a runtime's JSON log.
func logErrors(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	var msgs []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l struct{ Level, Msg string }
		if json.Unmarshal(sc.Bytes(), &l) == nil && (l.Level == "error" || l.Level == "fatal") {
			msgs = append(msgs, l.Msg)
		}
	}
	return strings.Join(msgs, "; ")
}
