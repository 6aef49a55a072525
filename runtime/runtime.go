// Package runtime runs containers from the store: it generates the OCI
// spec (runtime/spec), starts a monitor per container (runtime/monitor)
// which creates the container with the OCI runtime (runtime/oci) and
// holds its stdio, and keeps every container's record on disk so a new
// ocid process finds them all after the old one died. The CLI's
// `ocid container` commands and the CRI server share this one code path.
//
// On disk:
//
//	ROOT/runtime/containers/<id>.json   the container's record (persistent)
//	ROOT/runtime/names/<name>           the name's owner (reserved atomically)
//	RUNROOT/runtime/<id>/               bundle, monitor files, sockets, exit
//	RUNROOT/runtime/<handler>/          the OCI runtime's own state (--root)
package runtime

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/cgpath"
	"github.com/ocid-project/ocid/runtime/oci"
	"github.com/ocid-project/ocid/store"
)

// Handler names an OCI runtime binary.
type Handler struct {
	Name string
	Path string
	// SystemdCgroup uses the systemd cgroup driver (systemd as PID 1).
	SystemdCgroup bool
	// SeccompBPF: whether containers of this handler get their seccomp
	// filter compiled by ocid (crun's run.oci.seccomp_bpf_data).
	SeccompBPF SeccompBPFMode
}

// SeccompBPFMode says when ocid compiles a handler's seccomp filters.
type SeccompBPFMode string

const (
	// SeccompBPFAuto (or ""): for a runtime whose program is named crun.
	SeccompBPFAuto   SeccompBPFMode = "auto"
	SeccompBPFAlways SeccompBPFMode = "always"
	SeccompBPFNever  SeccompBPFMode = "never"
)

// enabled resolves the mode for the runtime program at path.
func (m SeccompBPFMode) enabled(path string) bool {
	switch m {
	case SeccompBPFAlways:
		return true
	case SeccompBPFNever:
		return false
	}
	return filepath.Base(path) == "crun"
}

// Options configure a Manager.
type Options struct {
	Store         *store.Store
	Root, RunRoot string
	// Handlers by name; DefaultHandler is used when a container names none.
	Handlers       []Handler
	DefaultHandler string
	// MonitorCommand runs a monitor: the command plus its arguments before
	// the config path. Empty: this executable with "monitor".
	MonitorCommand []string
	// CgroupParent is the cgroupfs parent of containers ("/ocid").
	CgroupParent string
	// SeccompKeepX32 keeps x32 in the default seccomp profile on kernels
	// that cannot run x32 programs (spec.Seccomp.KeepX32).
	SeccompKeepX32 bool
	Log            *slog.Logger
}

// Manager runs containers.
type Manager struct {
	store    *store.Store
	root     string
	runroot  string
	handlers map[string]*oci.Runtime
	def      string
	monitor  []string
	cgParent string
	keepX32  bool
	log      *slog.Logger
}

// New makes a Manager; it creates its directories.
func New(o Options) (*Manager, error) {
	if o.Store == nil || o.Root == "" || o.RunRoot == "" {
		return nil, fmt.Errorf("runtime: a store, a root and a runroot are required: %w", errdefs.ErrInvalidArgument)
	}
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		store: o.Store, root: filepath.Join(o.Root, "runtime"), runroot: filepath.Join(o.RunRoot, "runtime"),
		handlers: map[string]*oci.Runtime{}, def: o.DefaultHandler, monitor: o.MonitorCommand, cgParent: o.CgroupParent, keepX32: o.SeccompKeepX32, log: log,
	}
	if m.cgParent == "" {
		m.cgParent = "/ocid"
	}
	if len(o.Handlers) == 0 {
		o.Handlers = []Handler{{Name: "runc", Path: "runc"}}
	}
	for _, h := range o.Handlers {
		path := h.Path
		if !filepath.IsAbs(path) {
			if p, err := lookPath(path); err == nil {
				path = p
			}
		}
		m.handlers[h.Name] = &oci.Runtime{Name: h.Name, Path: path, Root: filepath.Join(m.runroot, h.Name),
			SystemdCgroup: h.SystemdCgroup, SeccompBPF: h.SeccompBPF.enabled(path)}
	}
	if m.def == "" {
		m.def = o.Handlers[0].Name
	}
	if _, ok := m.handlers[m.def]; !ok {
		return nil, fmt.Errorf("runtime: default handler %q is not configured: %w", m.def, errdefs.ErrInvalidArgument)
	}
	if m.SystemdCgroup() {
		// The cgroupfs default means its slice; anything else must be one.
		if m.cgParent == "/ocid" {
			m.cgParent = "ocid.slice"
		}
		if _, err := cgpath.ExpandSlice(m.cgParent); err != nil {
			return nil, fmt.Errorf("runtime: cgroup parent with the systemd cgroup driver: %w: %w", err, errdefs.ErrInvalidArgument)
		}
	}
	if len(m.monitor) == 0 {
		self, err := os.Executable()
		if err != nil {
			return nil, err
		}
		m.monitor = []string{self, "monitor"}
	}
	for _, d := range []string{filepath.Join(m.root, "containers"), filepath.Join(m.root, "names"), m.runroot} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler returns a configured handler by name ("" = the default).
func (m *Manager) Handler(name string) (*oci.Runtime, error) {
	if name == "" {
		name = m.def
	}
	h, ok := m.handlers[name]
	if !ok {
		return nil, fmt.Errorf("runtime handler %q is not configured: %w", name, errdefs.ErrNotFound)
	}
	return h, nil
}

// HandlerNames lists the configured handlers.
func (m *Manager) HandlerNames() []string {
	var names []string
	for n := range m.handlers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Store is the image store the containers run from.
func (m *Manager) Store() *store.Store { return m.store }

func (m *Manager) recordPath(id string) string {
	return filepath.Join(m.root, "containers", id+".json")
}

// RunDir is a container's volatile directory.
func (m *Manager) RunDir(id string) string { return filepath.Join(m.runroot, id) }

// defaultLogPath is where a container's log goes when its creator names
// none (the CLI); it is removed with the container.
func (m *Manager) defaultLogPath(id string) string {
	return filepath.Join(m.root, "logs", id+".log")
}

// SystemdCgroup reports whether the default handler uses the systemd
// cgroup driver.
func (m *Manager) SystemdCgroup() bool { return m.handlers[m.def].SystemdCgroup }

// CgroupParent is the default parent cgroup of containers.
func (m *Manager) CgroupParent() string { return m.cgParent }
