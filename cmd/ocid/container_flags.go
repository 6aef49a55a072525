package main

import (
	"fmt"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"

	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
)

// containerFlags are the flags of `container run` and `container create`.
type containerFlags struct {
	name, user, workdir, entrypoint, hostname, network, handler, stopSignal string
	detach, rm, tty, interactive, readOnly, privileged                      bool
	volumes, tmpfs, env, capAdd, capDrop, securityOpt                       []string
	memory                                                                  string
	cpus                                                                    float64
	pidsLimit                                                               int64
}

func (f *containerFlags) add(fs *pflag.FlagSet, run bool) {
	fs.StringVar(&f.name, "name", "", "container `NAME` (default: its ID)")
	fs.StringVarP(&f.user, "user", "u", "", "run as `USER[:GROUP]` (names from the image's /etc/passwd)")
	fs.StringVarP(&f.workdir, "workdir", "w", "", "working `DIR`")
	fs.StringVar(&f.entrypoint, "entrypoint", "", "replace the image's entrypoint with `CMD`")
	fs.StringVar(&f.hostname, "hostname", "", "container host `NAME`")
	fs.StringVar(&f.network, "network", "none", "network: none (loopback only) or host")
	fs.StringVar(&f.handler, "runtime", "", "OCI runtime handler `NAME` (default from config)")
	fs.StringVar(&f.stopSignal, "stop-signal", "", "`SIGNAL` stop sends first (default: the image's, else SIGTERM)")
	fs.BoolVarP(&f.tty, "tty", "t", false, "give the container a terminal")
	fs.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open")
	fs.BoolVar(&f.readOnly, "read-only", false, "mount the root read-only (no overlay: the image's files as they are)")
	fs.BoolVar(&f.privileged, "privileged", false, "give all capabilities and devices, no seccomp (dangerous)")
	fs.StringArrayVarP(&f.volumes, "volume", "v", nil, "bind `SRC:DST[:ro]` (repeatable)")
	fs.StringArrayVar(&f.tmpfs, "tmpfs", nil, "mount a tmpfs at `DIR[:size=BYTES]` (repeatable)")
	fs.StringArrayVarP(&f.env, "env", "e", nil, "set `KEY=VALUE` (repeatable)")
	fs.StringArrayVar(&f.capAdd, "cap-add", nil, "add a capability `CAP` (repeatable)")
	fs.StringArrayVar(&f.capDrop, "cap-drop", nil, "drop a capability `CAP` or ALL (repeatable)")
	fs.StringArrayVar(&f.securityOpt, "security-opt", nil, "seccomp=unconfined|PROFILE.json, no-new-privileges")
	fs.StringVarP(&f.memory, "memory", "m", "", "memory limit `BYTES` (k, m, g suffixes)")
	fs.Float64Var(&f.cpus, "cpus", 0, "CPU limit in `CPUS`")
	fs.Int64Var(&f.pidsLimit, "pids-limit", 0, "process limit `N`")
	if run {
		fs.BoolVarP(&f.detach, "detach", "d", false, "start it and print its ID, without attaching")
		fs.BoolVar(&f.rm, "rm", false, "remove the container when it exits")
	}
}

// options turns the flags into runtime.CreateOptions.
func (f *containerFlags) options(imageRef string, cmd []string, logDir string) (runtime.CreateOptions, error) {
	o := runtime.CreateOptions{
		Name: f.name, Image: imageRef, Handler: f.handler, Terminal: f.tty, Stdin: f.interactive,
		// As docker run -i: the attached client's end of input is the
		// container's (a detached container keeps stdin for later clients).
		StdinOnce:  f.interactive && !f.detach,
		StopSignal: f.stopSignal,
		Ephemeral:  f.rm,
	}
	so := spec.Options{
		Hostname: f.hostname, Env: f.env, User: f.user, WorkingDir: f.workdir,
		ReadOnlyRootfs: f.readOnly, Privileged: f.privileged, CapAdd: f.capAdd, CapDrop: f.capDrop,
	}
	if f.entrypoint != "" {
		so.Command = []string{f.entrypoint}
	}
	so.Args = cmd
	for _, v := range f.volumes {
		m, err := parseVolume(v)
		if err != nil {
			return o, err
		}
		so.Mounts = append(so.Mounts, m)
	}
	for _, t := range f.tmpfs {
		m, err := parseTmpfs(t)
		if err != nil {
			return o, err
		}
		so.Mounts = append(so.Mounts, m)
	}
	for _, opt := range f.securityOpt {
		switch k, v, _ := strings.Cut(opt, "="); {
		case opt == "no-new-privileges" || (k == "no-new-privileges" && v != "false"):
			so.NoNewPrivileges = true
		case k == "seccomp" && v == "unconfined":
			so.Seccomp = spec.Seccomp{Kind: spec.SeccompUnconfined}
		case k == "seccomp" && v != "":
			so.Seccomp = spec.Seccomp{Kind: spec.SeccompLocalhost, LocalhostPath: v}
		default:
			return o, usagef("--security-opt %q: want seccomp=unconfined|PROFILE or no-new-privileges", opt)
		}
	}
	switch f.network {
	case "none", "":
	case "host":
		so.Namespaces = append(so.Namespaces, spec.Namespace{Type: specs.NetworkNamespace, Host: true})
	default:
		return o, usagef("--network %q: want none or host (pod networking is the CRI's)", f.network)
	}
	if f.memory != "" {
		n, err := parseBytes(f.memory)
		if err != nil {
			return o, usagef("--memory: %v", err)
		}
		so.Resources.MemoryLimit = n
	}
	if f.cpus > 0 {
		so.Resources.CPUPeriod = 100000
		so.Resources.CPUQuota = int64(f.cpus * 100000)
	}
	if f.pidsLimit != 0 {
		so.Resources.PidsLimit = f.pidsLimit
	}
	o.Spec = so
	return o, nil
}

func parseVolume(v string) (spec.Mount, error) {
	parts := strings.Split(v, ":")
	if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
		return spec.Mount{}, usagef("--volume %q: want SRC:DST[:ro]", v)
	}
	m := spec.Mount{Type: spec.MountBind, Source: parts[0], Destination: parts[1]}
	if len(parts) == 3 {
		switch parts[2] {
		case "ro":
			m.ReadOnly = true
		case "rw":
		default:
			return m, usagef("--volume %q: option %q (want ro or rw)", v, parts[2])
		}
	}
	return m, nil
}

func parseTmpfs(t string) (spec.Mount, error) {
	dir, opts, _ := strings.Cut(t, ":")
	m := spec.Mount{Type: spec.MountTmpfs, Destination: dir}
	if opts != "" {
		for _, o := range strings.Split(opts, ",") {
			k, v, _ := strings.Cut(o, "=")
			if k != "size" {
				return m, usagef("--tmpfs %q: option %q (want size=BYTES)", t, o)
			}
			n, err := parseBytes(v)
			if err != nil {
				return m, usagef("--tmpfs %q: %v", t, err)
			}
			m.TmpfsSize = n
		}
	}
	return m, nil
}

// parseBytes reads 512, 64k, 10m, 1g (powers of 1024, as docker).
func parseBytes(s string) (int64, error) {
	mult := int64(1)
	switch strings.ToLower(s[len(s)-1:]) {
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(strings.ToLower(s), "b"), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	return n * mult, nil
}
