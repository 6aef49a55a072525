// Package monitor is the small process that stays with each container:
// `ocid-monitor CONFIG` (or `ocid monitor CONFIG`) in its own session, as
// a child subreaper. It holds the container's stdio (pipes, or the pty
// master of a TTY), has the OCI runtime create and start the container
// when told to (`run --detach`, one runtime process), writes the CRI log,
// serves attach on a unix socket, records the exit status (code, time, OOM
// kill) atomically, and exits when the container has exited and its
// output is drained. The daemon never holds a container's stdio, so it
// can die and restart without the containers noticing.
//
// Files in the container's run directory:
//
//	monitor.json    this Config
//	monitor.pid     the monitor's PID and start time
//	container.pid   the container's init PID (written by the runtime)
//	attach.sock     attach (package runtime/attach)
//	ctl.sock        control: start, cancel, reopen the log, close stdin
//	started         the start time
//	exit.json       the exit status, written once, atomically
package monitor

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/runtime/oci"
)

// Config is what a monitor needs to know; the caller writes it as
// monitor.json in Dir.
type Config struct {
	ID      string      `json:"id"`
	Runtime oci.Runtime `json:"runtime"`
	Bundle  string      `json:"bundle"`
	// Dir is the container's run directory (sockets, pid and exit files).
	Dir string `json:"dir"`
	// LogPath is the CRI log file; "" discards output.
	LogPath string `json:"logPath"`
	// Terminal: the container has a TTY (its output is one stream).
	Terminal bool `json:"terminal"`
	// Stdin keeps the container's stdin open for attach; StdinOnce
	// closes it when the first attached client detaches.
	Stdin     bool `json:"stdin"`
	StdinOnce bool `json:"stdinOnce"`
	// CgroupPaths are the container's memory cgroup directories to read
	// OOM kills from (v1 memory.oom_control, v2 memory.events).
	CgroupPaths []string `json:"cgroupPaths,omitempty"`
}

// File names in Dir.
const (
	ConfigFile       = "monitor.json"
	PidFile          = "monitor.pid"
	ContainerPidFile = "container.pid"
	AttachSocket     = "attach.sock"
	ControlSocket    = "ctl.sock"
	ExitFile         = "exit.json"
	// StartedFile holds the time the container was started (RFC 3339).
	StartedFile = "started"
	// RuntimeDeletedFile says the monitor deleted its exited container
	// from the OCI runtime (its state and cgroups), as containerd deletes
	// a task when it exits; removing the container then leaves only
	// ocid's own files to remove.
	RuntimeDeletedFile = "runtime-deleted"
)

// ReasonStartError is the exit reason of a container the runtime could
// not create or start; Exit.Message says why.
const ReasonStartError = "StartError"

// Exit is the recorded end of a container's process.
type Exit struct {
	// Code is the exit code, or 128+signal for a killed process.
	Code     int       `json:"code"`
	Signal   int       `json:"signal,omitempty"`
	Finished time.Time `json:"finished"`
	// OOMKilled is true when the kernel's OOM killer killed a process of
	// the container's cgroup.
	OOMKilled bool `json:"oomKilled"`
	// Reason is "Completed", "Error", "OOMKilled", or ReasonStartError
	// when the container could not be started.
	Reason string `json:"reason"`
	// Message says more: why the start failed.
	Message string `json:"message,omitempty"`
}

// ReadExit reads a container's exit status; (nil, nil) when it has not
// exited (yet).
func ReadExit(dir string) (*Exit, error) {
	raw, err := os.ReadFile(filepath.Join(dir, ExitFile))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var e Exit
	if err := json.Unmarshal(raw, &e); err != nil {
		return nil, fmt.Errorf("exit file of %s: %w", dir, err)
	}
	return &e, nil
}

func writeExit(dir string, e *Exit) error {
	raw, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomicVolatile(filepath.Join(dir, ExitFile), raw, 0o600)
}

// WriteConfig writes c as Dir/monitor.json.
func WriteConfig(c *Config) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomicVolatile(filepath.Join(c.Dir, ConfigFile), raw, 0o600)
}

// ReadConfig reads a monitor's configuration.
func ReadConfig(path string) (*Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var c Config
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("monitor config %s: %w", path, err)
	}
	return &c, nil
}

var past = time.Unix(1, 0)
