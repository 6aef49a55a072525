package nri

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/nri/pkg/api"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/runtime/spec"
)

// Apply applies plugins' adjustment of a container to its options. view
// is the container as plugins were shown it (before the adjustment): it
// tells a default mount or device (which the options do not hold) from
// one that is not there at all. What ocid cannot do (see Unsupported) is
// an error naming every such adjustment, wrapping
// errdefs.ErrInvalidArgument; so is a malformed mount. On error so is
// unchanged.
func Apply(adj *api.ContainerAdjustment, so *spec.Options, view *api.Container) error {
	if adj == nil {
		return nil
	}
	if bad := Unsupported(adj); len(bad) > 0 {
		return unsupportedError(bad)
	}
	o := *so
	applyAnnotations(&o, adj.Annotations)
	applyEnv(&o, adj.Env)
	if len(adj.Args) > 0 {
		// The whole command line: the image's entrypoint and command go.
		o.Command, o.Args = slices.Clone(adj.Args), nil
	}
	applyHooks(&o, adj.Hooks)
	applyRlimits(&o, adj.Rlimits)
	errs := []error{applyMounts(&o, adj.Mounts, view)}
	if l := adj.Linux; l != nil {
		errs = append(errs, applyDevices(&o, l.Devices, view))
		applyNamespaces(&o, l.Namespaces)
		applyResources(&o.Resources, l.Resources)
		if l.CgroupsPath != "" {
			o.CgroupsPath = l.CgroupsPath
		}
		if v := l.OomScoreAdj; v != nil {
			adj := int(v.GetValue())
			o.OOMScoreAdj = &adj
		}
		applySysctls(&o, l.Sysctl)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	*so = o
	return nil
}

// Unsupported names the adjustments spec.Options cannot express (ocid
// has no CDI, RDT, block I/O classes, I/O priorities, scheduling or
// memory policies, network devices or seccomp policies from plugins).
func Unsupported(adj *api.ContainerAdjustment) []string {
	var bad []string
	add := func(set bool, what string) {
		if set {
			bad = append(bad, what)
		}
	}
	add(len(adj.CDIDevices) > 0, "CDI devices")
	if l := adj.Linux; l != nil {
		if r := l.Resources; r != nil {
			bad = append(bad, unsupportedResources(r)...)
		}
		add(l.IoPriority != nil, "I/O priority")
		add(l.SeccompPolicy != nil, "seccomp policy")
		add(len(l.NetDevices) > 0, "network devices")
		add(l.Scheduler != nil, "scheduling policy")
		add(l.MemoryPolicy != nil, "memory policy")
		if rdt := l.Rdt; rdt != nil {
			// The library always sends an empty one; "remove" of what
			// ocid never sets is nothing to do.
			add(rdt.ClosId != nil || rdt.Schemata != nil || rdt.EnableMonitoring != nil, "RDT class of service")
		}
		for _, ns := range l.Namespaces {
			t, _ := api.IsMarkedForRemoval(ns.GetType())
			add(t == string(specs.MountNamespace) || t == string(specs.UserNamespace), t+" namespace")
		}
	}
	return bad
}

// applyAnnotations: removals ("-key") first, so a removed and re-added
// key ends up set.
func applyAnnotations(o *spec.Options, in map[string]string) {
	o.Annotations = adjustMap(o.Annotations, in)
}

// adjustMap returns cur (not changed) with in applied: keys marked for
// removal ("-key") deleted first, then the others set. Nothing to apply
// returns cur itself.
func adjustMap(cur, in map[string]string) map[string]string {
	if len(in) == 0 {
		return cur
	}
	out := maps.Clone(cur)
	if out == nil {
		out = map[string]string{}
	}
	for k := range in {
		if key, rm := api.IsMarkedForRemoval(k); rm {
			delete(out, key)
		}
	}
	for k, v := range in {
		if _, rm := api.IsMarkedForRemoval(k); !rm {
			out[k] = v
		}
	}
	return out
}

func applyEnv(o *spec.Options, in []*api.KeyValue) {
	if len(in) == 0 {
		return
	}
	env, unset := slices.Clone(o.Env), slices.Clone(o.UnsetEnv)
	for _, kv := range in {
		key, rm := kv.IsMarkedForRemoval()
		env = slices.DeleteFunc(env, func(e string) bool { k, _, _ := strings.Cut(e, "="); return k == key })
		unset = slices.DeleteFunc(unset, func(k string) bool { return k == key })
		if rm {
			unset = append(unset, key) // the image may set it too
		} else {
			env = append(env, kv.ToOCI())
		}
	}
	o.Env, o.UnsetEnv = env, unset
}

func applyHooks(o *spec.Options, h *api.Hooks) {
	if h == nil || (len(h.Prestart)+len(h.CreateRuntime)+len(h.CreateContainer)+len(h.StartContainer)+len(h.Poststart)+len(h.Poststop)) == 0 {
		return
	}
	out := &specs.Hooks{}
	if o.Hooks != nil {
		*out = *o.Hooks
	}
	conv := func(dst []specs.Hook, in []*api.Hook) []specs.Hook {
		dst = slices.Clone(dst)
		for _, x := range in {
			dst = append(dst, x.ToOCI())
		}
		return dst
	}
	out.Prestart = conv(out.Prestart, h.Prestart) //nolint:staticcheck // deprecated in the spec, still run by runc
	out.CreateRuntime = conv(out.CreateRuntime, h.CreateRuntime)
	out.CreateContainer = conv(out.CreateContainer, h.CreateContainer)
	out.StartContainer = conv(out.StartContainer, h.StartContainer)
	out.Poststart = conv(out.Poststart, h.Poststart)
	out.Poststop = conv(out.Poststop, h.Poststop)
	o.Hooks = out
}

// applyRlimits: a plugin's limit replaces the one of its type.
func applyRlimits(o *spec.Options, in []*api.POSIXRlimit) {
	if len(in) == 0 {
		return
	}
	out := slices.Clone(o.Rlimits)
	norm := func(t string) string { return "RLIMIT_" + strings.TrimPrefix(strings.ToUpper(t), "RLIMIT_") }
	for _, l := range in {
		out = slices.DeleteFunc(out, func(x specs.POSIXRlimit) bool { return norm(x.Type) == norm(l.Type) })
		out = append(out, specs.POSIXRlimit{Type: l.Type, Hard: l.Hard, Soft: l.Soft})
	}
	o.Rlimits = out
}

// applyDevices adds device nodes (with a device cgroup rule, as the
// library's own OCI adjuster does) and removes added ones; ocid's
// standard devices cannot be removed.
func applyDevices(o *spec.Options, in []*api.LinuxDevice, view *api.Container) error {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(o.Devices)
	var errs []error
	for _, d := range in {
		path, rm := d.IsMarkedForRemoval()
		n := len(out)
		out = slices.DeleteFunc(out, func(x spec.Device) bool { return x.Path == path })
		if rm {
			if n == len(out) && slices.ContainsFunc(view.GetLinux().GetDevices(), func(x *api.LinuxDevice) bool { return x.Path == path }) {
				errs = append(errs, fmt.Errorf("removing device %s, one of ocid's standard devices: %w", path, errInvalid))
			}
			continue
		}
		dev := spec.Device{Path: d.Path, Type: d.Type, Major: d.Major, Minor: d.Minor, Permissions: d.AccessString()}
		if m := d.FileMode.Get(); m != nil {
			dev.FileMode = *m & fs.ModePerm
		}
		if v := d.Uid.Get(); v != nil {
			dev.UID = *v
		}
		if v := d.Gid.Get(); v != nil {
			dev.GID = *v
		}
		out = append(out, dev)
	}
	o.Devices = out
	return errors.Join(errs...)
}

// applyNamespaces: a namespace with a path is joined; without one it is
// new; a removed one (as absent from an OCI spec) is the host's.
func applyNamespaces(o *spec.Options, in []*api.LinuxNamespace) {
	if len(in) == 0 {
		return
	}
	out := slices.Clone(o.Namespaces)
	for _, n := range in {
		t, rm := api.IsMarkedForRemoval(n.Type)
		typ := specs.LinuxNamespaceType(t)
		out = slices.DeleteFunc(out, func(x spec.Namespace) bool { return x.Type == typ })
		ns := spec.Namespace{Type: typ, Path: n.Path}
		if rm {
			ns = spec.Namespace{Type: typ, Host: true}
		}
		out = append(out, ns)
	}
	o.Namespaces = out
}

func applySysctls(o *spec.Options, in map[string]string) {
	o.Sysctls = adjustMap(o.Sysctls, in)
}
