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
	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
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
// in one run (monitor.Config.Deferred): the runtime's create and start
// as two processes cost one process start more, for a state nothing
// needs. So a spec the runtime refuses fails Start, not Create, as with
// containerd. Every step registers its undo, so a failure leaves nothing
// behind.
func (m *Manager) Create(ctx context.Context, o CreateOptions) (st *Status, err error) {
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
	var imageID digest.Digest
	so := o.Spec
	so.Terminal = o.Terminal
	if so.CgroupsPath == "" {
		so.CgroupsPath = m.cgParent + "/" + id
	}
	var sp *specs.Spec
	if o.Rootfs != "" {
		so.Rootfs, so.ReadOnlyRootfs = o.Rootfs, true
		if sp, err = spec.Generate(nil, so); err != nil {
			return nil, err
		}
	} else {
		img, err := m.store.Lookup(o.Image)
		if err != nil {
			return nil, err
		}
		cfgRaw, err := m.store.ImageBlob(img, img.ID)
		if err != nil {
			return nil, err
		}
		if imgCfg, err = image.ParseConfig(cfgRaw); err != nil {
			return nil, err
		}
		imageID = img.ID
		// The spec is made against the checkout (users resolve from its
		// /etc/passwd); the root path is set once the root is mounted.
		so.Rootfs = m.store.CheckoutPath(img)
		if sp, err = spec.Generate(imgCfg, so); err != nil {
			return nil, err
		}
		// A read-only root is the checkout itself, bind-mounted read-only
		// — unless the runtime must create mount points the image lacks:
		// then it gets a private overlay (the runtime still makes it
		// read-only inside the container).
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
	}
	dir := m.RunDir(id)
	if err := os.MkdirAll(filepath.Join(dir, "bundle"), 0o700); err != nil {
		return nil, err
	}
	u.Add(func() { os.RemoveAll(dir) })
	if err := writeJSON(filepath.Join(dir, "bundle", "config.json"), sp); err != nil {
		return nil, err
	}
	stop := o.StopSignal
	if stop == "" && imgCfg != nil {
		stop = imgCfg.Config.StopSignal
	}
	c := &Container{
		ID: id, Name: name, Image: o.Image, ImageID: imageID, Handler: h.Name, Created: time.Now().UTC(),
		LogPath: o.LogPath, Terminal: o.Terminal, Stdin: o.Stdin, StdinOnce: o.StdinOnce,
		Labels: o.Labels, Annotations: o.Annotations, StopSignal: stop, CgroupsPath: so.CgroupsPath,
		Deferred: true,
	}
	// The record goes first: a crash from here on leaves a container a
	// new process finds (in state unknown) and can remove.
	if err := m.writeRecord(c); err != nil {
		return nil, err
	}
	u.Add(func() { os.Remove(m.recordPath(id)) })
	if c.LogPath == "" {
		c.LogPath = m.defaultLogPath(id)
		if err := m.writeRecord(c); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Dir(c.LogPath), 0o755); err != nil {
		return nil, err
	}
	mc := &monitor.Config{
		ID: id, Runtime: *h, Bundle: filepath.Join(dir, "bundle"), Dir: dir, LogPath: c.LogPath,
		Terminal: o.Terminal, Stdin: o.Stdin, StdinOnce: o.StdinOnce, CgroupPaths: memoryCgroups(so.CgroupsPath),
		Deferred: c.Deferred,
	}
	if err := m.startMonitor(ctx, mc); err != nil {
		return nil, err
	}
	m.log.Debug("container created", "container", id, "name", name, "image", imageID)
	return m.status(c), nil
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
func memoryCgroups(path string) []string {
	if strings.Contains(path, ":") { // systemd "slice:prefix:name"
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
