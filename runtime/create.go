package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/cgpath"
	"github.com/ocid-project/ocid/internal/cgwarm"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/internal/ident"
	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime/monitor"
	"github.com/ocid-project/ocid/runtime/spec"
	"github.com/ocid-project/ocid/store"
)

// CreateOptions describe a container to create.
type CreateOptions struct {
	// ID is generated when empty; Name is the ID when empty.
	ID, Name string
	// Image is a store reference (name, ID, digest).
	Image string
	// Rootfs, instead of an image, is a host directory used read-only as
	// the root (the pod's pause process, which is ocid itself).
	Rootfs string
	// Handler is the OCI runtime's name ("" = the default).
	Handler string
	// Spec holds everything else about the process and its sandbox;
	// Rootfs, Terminal and (if empty) CgroupsPath are set here.
	Spec     spec.Options
	LogPath  string
	Terminal bool
	// Stdin keeps stdin open for attach; StdinOnce closes it after the
	// first attached client leaves.
	Stdin, StdinOnce bool
	Labels           map[string]string
	Annotations      map[string]string
	// StopSignal overrides the image's.
	StopSignal string
	// Ephemeral: the container is removed when it exits (run --rm), so
	// its writes need not survive a crash; its overlay is mounted
	// volatile, which keeps its removal from waiting on disk flushes.
	Ephemeral bool
}

// Create makes a container: its root filesystem from the store, its OCI
// spec and bundle, and its monitor, which holds its stdio, log and attach
// socket and waits for Start to have the OCI runtime create and start it
// in one run (`runc run --detach`): the runtime's create and start
// as two processes cost one process start more, for a state nothing
// needs. So a spec the runtime refuses fails Start, not Create, as with
// containerd. Every step registers its undo, so a failure leaves nothing
// behind.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (st *Status, err error) {
	// The runtime moves the container into its cgroup at the start: the
	// kernel's switch for that runs from now on (internal/cgwarm).
	cgwarm.Prime()
	u := &undo.Stack{}
	defer u.RunIfFailed(&err)
	id := o.ID
	if id == "" {
		id = newID()
	}
	if !ident.Valid(id, 253) {
		return nil, fmt.Errorf("container ID %q: %w", id, errdefs.ErrInvalidArgument)
	}
	name := o.Name
	if name == "" {
		name = id
	}
	if !ident.Valid(name, 253) {
		return nil, fmt.Errorf("container name %q: only letters, digits, '_', '.' and '-': %w", name, errdefs.ErrInvalidArgument)
	}
	h, err := m.Handler(o.Handler)
	if err != nil {
		return nil, err
	}
	if err := m.reserveName(name, id); err != nil {
		return nil, err
	}
	u.Add(func() { m.releaseName(name, id) })

	var imgCfg *image.Config
	var img *store.Image
	so := o.Spec
	so.Terminal = o.Terminal
	so.Seccomp.KeepX32 = so.Seccomp.KeepX32 || m.keepX32
	if so.CgroupsPath == "" {
		so.CgroupsPath = m.cgParent + "/" + id
		if m.SystemdCgroup() {
			so.CgroupsPath = cgpath.Systemd(m.cgParent, "ocid", id)
		}
	}
	c := &Container{
		ID: id, Name: name, Image: o.Image, Handler: h.Name, Created: time.Now().UTC(),
		LogPath: o.LogPath, Terminal: o.Terminal, Stdin: o.Stdin, StdinOnce: o.StdinOnce,
		Labels: o.Labels, Annotations: o.Annotations, StopSignal: o.StopSignal, CgroupsPath: so.CgroupsPath,
		Deferred: true,
	}
	if c.LogPath == "" {
		c.LogPath = m.defaultLogPath(id)
	}
	if o.Rootfs == "" {
		if img, err = m.store.Lookup(o.Image); err != nil {
			return nil, err
		}
		cfgRaw, err := m.store.ImageBlob(img, img.ID)
		if err != nil {
			return nil, err
		}
		if imgCfg, err = image.ParseConfig(cfgRaw); err != nil {
			return nil, err
		}
		c.ImageID = img.ID
		if c.StopSignal == "" {
			c.StopSignal = imgCfg.Config.StopSignal
		}
	}
	// The record goes first: a crash from here on leaves a container a
	// new process finds (in state unknown) and can remove, with whatever
	// of its monitor, root and bundle was made.
	t0 := time.Now()
	if err := m.writeRecord(c); err != nil {
		return nil, err
	}
	u.Add(func() { os.Remove(m.recordPath(id)) })
	dir := m.RunDir(id)
	if err := os.MkdirAll(filepath.Join(dir, "bundle"), 0o700); err != nil {
		return nil, err
	}
	u.Add(func() { os.RemoveAll(dir) })
	if err := os.MkdirAll(filepath.Dir(c.LogPath), 0o755); err != nil {
		return nil, err
	}
	// The monitor starts now and sets itself up (a process start, its
	// pipes, log and sockets) while the root and the spec are made; it
	// needs neither before Start.
	mon, err := m.spawnMonitor(&monitor.Config{
		ID: id, Runtime: *h, Bundle: filepath.Join(dir, "bundle"), Dir: dir, LogPath: c.LogPath,
		Terminal: o.Terminal, Stdin: o.Stdin, StdinOnce: o.StdinOnce, CgroupPaths: memoryCgroups(so.CgroupsPath),
	})
	if err != nil {
		return nil, err
	}
	u.Add(mon.abort)
	tSpawned := time.Now()
	sp, err := m.makeRoot(id, name, o, so, img, imgCfg, u)
	if err != nil {
		return nil, err
	}
	if h.SeccompBPF {
		m.precompileSeccomp(id, sp)
	}
	if err := writeJSON(filepath.Join(dir, "bundle", "config.json"), sp); err != nil {
		return nil, err
	}
	tRoot := time.Now()
	if err := mon.wait(ctx); err != nil {
		return nil, err
	}
	m.log.Debug("container created", "container", id, "name", name, "image", c.ImageID,
		"recordAndMonitorStart", tSpawned.Sub(t0), "rootAndSpec", tRoot.Sub(tSpawned), "monitorReady", time.Since(tRoot))
	return m.status(c), nil
}

// makeRoot generates the container's spec and mounts its root: the
// image's checkout through a container layer of the store, or a host
// directory used read-only (o.Rootfs).
func (m *Manager) makeRoot(id, name string, o CreateOptions, so spec.Options, img *store.Image, imgCfg *image.Config, u *undo.Stack) (*specs.Spec, error) {
	if img == nil {
		so.Rootfs, so.ReadOnlyRootfs = o.Rootfs, true
		return spec.Generate(nil, so)
	}
	// The spec is made against the checkout (users resolve from its
	// /etc/passwd); the root path is set once the root is mounted.
	so.Rootfs = m.store.CheckoutPath(img)
	sp, err := spec.Generate(imgCfg, so)
	if err != nil {
		return nil, err
	}
	// A read-only root is the checkout itself, bind-mounted read-only —
	// unless the runtime must create mount points the image lacks: then
	// it gets a private overlay (the runtime still makes it read-only
	// inside the container).
	needWritable := missingMountpoints(so.Rootfs, sp.Mounts)
	if _, err := m.store.CreateContainer(id, img.ID.String(), store.ContainerOptions{
		Name: name, ReadOnly: o.Spec.ReadOnlyRootfs, MayRemount: mayRemount(o.Spec) || needWritable,
		Volatile: o.Ephemeral, IDMap: idMapFor(o.Spec.UserNS),
	}); err != nil {
		return nil, err
	}
	u.Add(func() { m.store.RemoveContainer(id) })
	rootfs, err := m.store.Mount(id)
	if err != nil {
		return nil, err
	}
	sp.Root.Path = rootfs
	return sp, nil
}

// missingMountpoints reports whether a mount's destination is missing
// from the image (and not inside another mount, which the runtime
// creates itself, like /dev/pts in /dev's tmpfs).
func missingMountpoints(root string, mounts []specs.Mount) bool {
	for _, mt := range mounts {
		nested := false
		for _, other := range mounts {
			if other.Destination != mt.Destination && strings.HasPrefix(mt.Destination, strings.TrimSuffix(other.Destination, "/")+"/") {
				nested = true
				break
			}
		}
		if nested {
			continue
		}
		p, err := securejoin.SecureJoin(root, mt.Destination)
		if err != nil {
			return true
		}
		if _, err := os.Lstat(p); err != nil {
			return true
		}
	}
	return false
}

// mayRemount: a privileged container, or one given CAP_SYS_ADMIN, could
// remount a read-only bind writable.
func mayRemount(o spec.Options) bool {
	if o.Privileged {
		return true
	}
	for _, c := range o.CapAdd {
		c = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(c), "CAP_"))
		if c == "SYS_ADMIN" || c == "ALL" {
			return !slices.ContainsFunc(o.CapDrop, func(d string) bool {
				d = strings.ToUpper(strings.TrimPrefix(strings.ToUpper(d), "CAP_"))
				return d == "SYS_ADMIN" || d == "ALL"
			})
		}
	}
	return false
}

// memoryCgroups are where a cgroupfs container's memory controller
// lives on a v1, hybrid or v2 host.
func memoryCgroups(p string) []string {
	path, err := cgpath.FS(p) // a systemd triple's directory, or p itself
	if err != nil {
		return nil
	}
	return []string{
		filepath.Join("/sys/fs/cgroup/memory", path),
		filepath.Join("/sys/fs/cgroup/unified", path),
		filepath.Join("/sys/fs/cgroup", path),
	}
}

// writeJSON writes a file of the runroot (bundle, process specs):
// atomically, not flushed (fsutil.WriteFileAtomicVolatile).
func writeJSON(path string, v any) error {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomicVolatile(path, raw, 0o600)
}

// idMapFor is the store's ID map for a container that joins an existing
// user namespace: its image is mounted ID-mapped through that namespace.
// (One whose namespace runc makes gets none: the namespace does not exist
// before the root is mounted.)
func idMapFor(u *spec.UserNamespace) *store.IDMap {
	if u == nil || u.Path == "" {
		return nil
	}
	conv := func(ms []specs.LinuxIDMapping) []store.IDRange {
		var out []store.IDRange
		for _, m := range ms {
			out = append(out, store.IDRange{ContainerID: m.ContainerID, HostID: m.HostID, Size: m.Size})
		}
		return out
	}
	return &store.IDMap{Userns: u.Path, UIDs: conv(u.UIDMappings), GIDs: conv(u.GIDMappings)}
}
