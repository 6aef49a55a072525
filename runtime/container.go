package runtime

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/runtime/monitor"
)

// Container is a container's persistent record.
type Container struct {
	ID        string            `json:"id"`
	Name      string            `json:"name"`
	Image     string            `json:"image"` // as asked for
	ImageID   digest.Digest     `json:"imageID"`
	Handler   string            `json:"handler"`
	Created   time.Time         `json:"created"`
	LogPath   string            `json:"logPath,omitempty"`
	Terminal  bool              `json:"terminal,omitempty"`
	Stdin     bool              `json:"stdin,omitempty"`
	StdinOnce bool              `json:"stdinOnce,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`
	// Annotations are free-form, kept for the caller (the CRI server keeps
	// its own data here).
	Annotations map[string]string `json:"annotations,omitempty"`
	// StopSignal is sent by Stop before the grace period ends.
	StopSignal string `json:"stopSignal,omitempty"`
	// CgroupsPath as given to the runtime.
	CgroupsPath string `json:"cgroupsPath,omitempty"`
	// Deferred: the monitor creates and starts the container in the
	// runtime at Start; until then the runtime knows nothing of it.
	// Records written before this existed lack it: their containers were
	// created in the runtime at Create, by monitors that still run them,
	// and Start runs the runtime's start itself.
	Deferred bool `json:"deferred,omitempty"`
}

// State of a container.
type State string

const (
	Created State = "created"
	Running State = "running"
	Exited  State = "exited"
	Unknown State = "unknown"
)

// Status is a container's record plus what it is doing now.
type Status struct {
	Container
	State    State     `json:"state"`
	Pid      int       `json:"pid,omitempty"`
	Started  time.Time `json:"started,omitempty"`
	Finished time.Time `json:"finished,omitempty"`
	ExitCode int       `json:"exitCode"`
	// Reason is Completed, Error, OOMKilled, StartError, or why the state
	// is unknown.
	Reason string `json:"reason,omitempty"`
	// Message says why a start failed.
	Message   string `json:"message,omitempty"`
	OOMKilled bool   `json:"oomKilled,omitempty"`
}

func (m *Manager) writeRecord(c *Container) error {
	raw, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(m.recordPath(c.ID), raw, 0o600)
}

func (m *Manager) readRecord(id string) (*Container, error) {
	raw, err := os.ReadFile(m.recordPath(id))
	if os.IsNotExist(err) {
		return nil, fmt.Errorf("no container %s: %w", id, errdefs.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	var c Container
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("container record %s: %w", id, err)
	}
	return &c, nil
}

// startedFile marks that Start ran; it holds the start time.
const startedFile = monitor.StartedFile

// status works out what a container is doing from its files, without
// running the OCI runtime: an exit file means it exited; a live monitor
// means it is created or running (started file); a dead monitor without
// an exit file means the state is lost.
func (m *Manager) status(c *Container) *Status {
	st := &Status{Container: *c}
	dir := m.RunDir(c.ID)
	if _, err := os.Stat(dir); err != nil {
		// The runroot is volatile: after a reboot nothing ran.
		st.State, st.Reason, st.ExitCode = Exited, "the node restarted", 255
		return st
	}
	if raw, err := os.ReadFile(filepath.Join(dir, startedFile)); err == nil {
		if t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(raw))); err == nil {
			st.Started = t
		}
	}
	if pid, err := readPid(filepath.Join(dir, monitor.ContainerPidFile)); err == nil {
		st.Pid = pid
	}
	if exit, err := monitor.ReadExit(dir); err == nil && exit != nil {
		st.State, st.ExitCode, st.Finished, st.Reason, st.OOMKilled = Exited, exit.Code, exit.Finished, exit.Reason, exit.OOMKilled
		st.Message = exit.Message
		st.Pid = 0
		return st
	}
	if !monitorAlive(dir) {
		st.State, st.Reason, st.ExitCode = Unknown, "the container's monitor is gone", 255
		return st
	}
	if st.Started.IsZero() {
		st.State = Created
	} else {
		st.State = Running
	}
	return st
}

func readPid(path string) (int, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(raw))
	if len(f) == 0 {
		return 0, fmt.Errorf("empty pid file %s", path)
	}
	return strconv.Atoi(f[0])
}

// monitorAlive checks the monitor's PID and start time, so a recycled
// PID is not mistaken for it.
func monitorAlive(dir string) bool {
	raw, err := os.ReadFile(filepath.Join(dir, monitor.PidFile))
	if err != nil {
		return false
	}
	var pid int
	var start uint64
	if _, err := fmt.Sscan(string(raw), &pid, &start); err != nil {
		return false
	}
	now, err := monitor.StartTime(pid)
	return err == nil && now == start
}

// Spec reads a container's OCI spec from its bundle (NRI plugins are
// shown containers as their specs describe them).
func (m *Manager) Spec(id string) (*specs.Spec, error) {
	raw, err := os.ReadFile(filepath.Join(m.RunDir(id), "bundle", "config.json"))
	if err != nil {
		return nil, err
	}
	var sp specs.Spec
	if err := json.Unmarshal(raw, &sp); err != nil {
		return nil, fmt.Errorf("container %s: config.json: %w", id, err)
	}
	return &sp, nil
}

// ProcessUser reads the user a container's process runs as from its
// bundle.
func (m *Manager) ProcessUser(id string) (uid, gid int64, groups []int64, err error) {
	raw, err := os.ReadFile(filepath.Join(m.RunDir(id), "bundle", "config.json"))
	if err != nil {
		return 0, 0, nil, err
	}
	var sp struct {
		Process struct {
			User struct {
				UID            uint32   `json:"uid"`
				GID            uint32   `json:"gid"`
				AdditionalGids []uint32 `json:"additionalGids"`
			} `json:"user"`
		} `json:"process"`
	}
	if err := json.Unmarshal(raw, &sp); err != nil {
		return 0, 0, nil, err
	}
	u := sp.Process.User
	groups = []int64{int64(u.GID)}
	for _, g := range u.AdditionalGids {
		if int64(g) != int64(u.GID) {
			groups = append(groups, int64(g))
		}
	}
	return int64(u.UID), int64(u.GID), groups, nil
}
