package spec

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ipcSysctls are the kernel.* sysctls the IPC namespace scopes.
var ipcSysctls = map[string]bool{
	"kernel.msgmax": true, "kernel.msgmnb": true, "kernel.msgmni": true, "kernel.sem": true,
	"kernel.shmall": true, "kernel.shmmax": true, "kernel.shmmni": true, "kernel.shm_rmid_forced": true,
}

// sysctls checks that every sysctl is scoped by a namespace the container
// does not share with the host: writing any other would change the node,
// which runc would refuse later with a vaguer error.
func sysctls(in map[string]string, ns namespaceSet) (map[string]string, error) {
	if len(in) == 0 {
		return nil, nil
	}
	out := make(map[string]string, len(in))
	for name, value := range in {
		key := dotSeparated(name)
		var owner specs.LinuxNamespaceType
		switch {
		case ipcSysctls[key] || strings.HasPrefix(key, "fs.mqueue."):
			owner = specs.IPCNamespace
		case strings.HasPrefix(key, "net."):
			owner = specs.NetworkNamespace
		case key == "kernel.domainname":
			owner = specs.UTSNamespace
		case key == "kernel.hostname":
			return nil, invalidf("sysctl %q: set the hostname instead", name)
		default:
			return nil, invalidf("sysctl %q is not namespaced", name)
		}
		if ns.sharesHost(owner) {
			return nil, invalidf("sysctl %q needs a private %s namespace", name, owner)
		}
		if strings.ContainsAny(value, "\x00\n") {
			return nil, invalidf("sysctl %q: value %q has a NUL or newline", name, value)
		}
		out[key] = value
	}
	return out, nil
}

// dotSeparated converts "net/ipv4/ip_forward" to "net.ipv4.ip_forward",
// the canonical form runtimes expect. As in Kubernetes, a name whose first
// separator is "/" has its dots and slashes swapped, so a dot inside a
// component ("eth0.100") becomes "/" (runc 1.1 still cannot reach such a
// file: it turns every dot into a slash).
func dotSeparated(name string) string {
	i := strings.IndexAny(name, "./")
	if i < 0 || name[i] == '.' {
		return name
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case '/':
			return '.'
		case '.':
			return '/'
		}
		return r
	}, name)
}
