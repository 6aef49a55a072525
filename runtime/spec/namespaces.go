package spec

import (
	"path/filepath"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// defaultNamespaces are created new unless Options.Namespaces says
// otherwise. The cgroup namespace is not among them: on a cgroup v1 host
// runc gives the container its own cgroup directories anyway.
var defaultNamespaces = []specs.LinuxNamespaceType{
	specs.MountNamespace, specs.PIDNamespace, specs.IPCNamespace,
	specs.UTSNamespace, specs.NetworkNamespace,
}

// namespaceSet is the resolved namespaces of a container.
type namespaceSet struct {
	list []specs.LinuxNamespace
	host map[specs.LinuxNamespaceType]bool // shared with the host
}

// sharesHost reports whether the container uses the host's namespace t.
func (n namespaceSet) sharesHost(t specs.LinuxNamespaceType) bool { return n.host[t] }

// namespaces merges the defaults with o.Namespaces and o.UserNS.
func namespaces(o *Options) (namespaceSet, error) {
	chosen := map[specs.LinuxNamespaceType]Namespace{}
	for _, t := range defaultNamespaces {
		chosen[t] = Namespace{Type: t}
	}
	seen := map[specs.LinuxNamespaceType]bool{}
	for _, ns := range o.Namespaces {
		if err := validateNamespace(ns); err != nil {
			return namespaceSet{}, err
		}
		if seen[ns.Type] {
			return namespaceSet{}, invalidf("namespace %q given twice", ns.Type)
		}
		seen[ns.Type] = true
		chosen[ns.Type] = ns
	}
	if o.UserNS != nil {
		if seen[specs.UserNamespace] {
			return namespaceSet{}, invalidf("user namespace given both in Namespaces and UserNS")
		}
		if err := validateUserNS(o.UserNS); err != nil {
			return namespaceSet{}, err
		}
		chosen[specs.UserNamespace] = Namespace{Type: specs.UserNamespace, Path: o.UserNS.Path}
	} else if ns, ok := chosen[specs.UserNamespace]; ok && !ns.Host {
		return namespaceSet{}, invalidf("a user namespace needs id mappings: use UserNS")
	}

	set := namespaceSet{host: map[specs.LinuxNamespaceType]bool{}}
	// A fixed order keeps the spec stable for tests and diffs.
	order := []specs.LinuxNamespaceType{
		specs.UserNamespace, specs.MountNamespace, specs.PIDNamespace, specs.IPCNamespace,
		specs.UTSNamespace, specs.NetworkNamespace, specs.CgroupNamespace,
	}
	for _, t := range order {
		ns, ok := chosen[t]
		if !ok || ns.Host {
			set.host[t] = true
			continue
		}
		set.list = append(set.list, specs.LinuxNamespace{Type: t, Path: ns.Path})
	}
	return set, nil
}

func validateNamespace(ns Namespace) error {
	known := []specs.LinuxNamespaceType{
		specs.MountNamespace, specs.PIDNamespace, specs.IPCNamespace, specs.UTSNamespace,
		specs.NetworkNamespace, specs.CgroupNamespace, specs.UserNamespace,
	}
	if !slices.Contains(known, ns.Type) {
		// "time" too: runc 1.1 cannot create one.
		return invalidf("unsupported namespace type %q", ns.Type)
	}
	if ns.Host && ns.Path != "" {
		return invalidf("namespace %q: both Host and Path %q", ns.Type, ns.Path)
	}
	if ns.Host && ns.Type == specs.MountNamespace {
		return invalidf("a container cannot share the host's mount namespace")
	}
	if ns.Path != "" && !filepath.IsAbs(ns.Path) {
		return invalidf("namespace %q: path %q is not absolute", ns.Type, ns.Path)
	}
	return nil
}

func validateUserNS(u *UserNamespace) error {
	if u.Path != "" && !filepath.IsAbs(u.Path) {
		return invalidf("user namespace path %q is not absolute", u.Path)
	}
	for _, ms := range []struct {
		what string
		m    []specs.LinuxIDMapping
	}{{"uid", u.UIDMappings}, {"gid", u.GIDMappings}} {
		what, m := ms.what, ms.m
		if len(m) == 0 {
			return invalidf("user namespace without %s mappings", what)
		}
		for _, e := range m {
			if e.Size == 0 || uint64(e.ContainerID)+uint64(e.Size) > 1<<32 || uint64(e.HostID)+uint64(e.Size) > 1<<32 {
				return invalidf("user namespace %s mapping %d:%d:%d is out of range", what, e.ContainerID, e.HostID, e.Size)
			}
		}
	}
	return nil
}

// mapsContainerGID reports whether gid exists inside the user namespace.
func mapsContainerGID(m []specs.LinuxIDMapping, gid uint32) bool {
	for _, e := range m {
		if gid >= e.ContainerID && uint64(gid) < uint64(e.ContainerID)+uint64(e.Size) {
			return true
		}
	}
	return false
}
