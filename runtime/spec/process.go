package spec

import (
	"slices"
	"strings"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DefaultPath is $PATH when neither the image nor the options set one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// processArgs applies the CRI rule (containerd's and docker's): Command
// replaces the image Entrypoint and then the image Cmd is dropped too; Args
// replaces the image Cmd. An Entrypoint of [""] is docker's "none".
func processArgs(cfg *ocispec.ImageConfig, o *Options) ([]string, error) {
	var args []string
	if len(o.Command) > 0 {
		args = slices.Concat(o.Command, o.Args)
	} else {
		entrypoint := cfg.Entrypoint
		if len(entrypoint) == 1 && entrypoint[0] == "" {
			entrypoint = nil
		}
		cmd := o.Args
		if len(cmd) == 0 {
			cmd = cfg.Cmd
		}
		args = slices.Concat(entrypoint, cmd)
	}
	if len(args) == 0 || args[0] == "" {
		return nil, invalidf("no command: neither the options nor the image give one")
	}
	for _, a := range args {
		if strings.ContainsRune(a, 0) {
			return nil, invalidf("argument %q has a NUL byte", a)
		}
	}
	return args, nil
}

// environment merges, later winning key by key: $HOSTNAME, the image Env,
// the options' Env; then fills $PATH, $HOME and (with a terminal) $TERM
// when still unset.
func environment(cfg *ocispec.ImageConfig, o *Options, home string) ([]string, error) {
	var env envList
	if o.Hostname != "" {
		env.set("HOSTNAME=" + o.Hostname)
	}
	for _, kv := range cfg.Env {
		env.set(kv)
	}
	for _, kv := range o.Env {
		key, _, _ := strings.Cut(kv, "=")
		if key == "" || strings.ContainsRune(kv, 0) {
			return nil, invalidf("environment entry %q is not KEY=VALUE", kv)
		}
		env.set(kv)
	}
	for _, key := range o.UnsetEnv {
		if i := env.index(key); i >= 0 {
			env.entries = slices.Delete(env.entries, i, i+1)
		}
	}
	env.setDefault("PATH", DefaultPath)
	env.setDefault("HOME", home)
	if o.Terminal {
		env.setDefault("TERM", "xterm")
	}
	return env.entries, nil
}

// envList is an ordered KEY=VALUE list in which a later set replaces the
// entry of its key in place.
type envList struct{ entries []string }

func (e *envList) index(key string) int {
	return slices.IndexFunc(e.entries, func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return k == key
	})
}

func (e *envList) set(kv string) {
	key, _, _ := strings.Cut(kv, "=")
	if i := e.index(key); i >= 0 {
		e.entries[i] = kv
		return
	}
	e.entries = append(e.entries, kv)
}

func (e *envList) setDefault(key, value string) {
	if e.index(key) < 0 {
		e.entries = append(e.entries, key+"="+value)
	}
}

// workingDir is the options', else the image's, else "/".
func workingDir(cfg *ocispec.ImageConfig, o *Options) (string, error) {
	dir := o.WorkingDir
	if dir == "" {
		dir = cfg.WorkingDir
	}
	if dir == "" {
		return "/", nil
	}
	return cleanAbs("working directory", dir)
}

// processUser resolves the user in the rootfs and applies the
// supplementary groups policy.
func processUser(cfg *ocispec.ImageConfig, o *Options) (specs.User, string, error) {
	name := o.User
	if name == "" {
		name = cfg.User
	}
	u, err := ResolveUser(o.Rootfs, name)
	if err != nil {
		return specs.User{}, "", err
	}
	var groups []uint32
	if o.SupplementalGroupsPolicy == SupplementalGroupsMerge {
		groups = u.AdditionalGIDs
	} else if o.SupplementalGroupsPolicy != SupplementalGroupsStrict {
		return specs.User{}, "", invalidf("unknown supplemental groups policy %d", o.SupplementalGroupsPolicy)
	}
	for _, g := range o.AdditionalGIDs {
		if g < 0 || g >= 1<<32-1 {
			return specs.User{}, "", invalidf("additional gid %d is out of range", g)
		}
		if !slices.Contains(groups, uint32(g)) {
			groups = append(groups, uint32(g))
		}
	}
	return specs.User{UID: u.UID, GID: u.GID, AdditionalGids: groups}, u.Home, nil
}

// rlimitNames are the limits runc can set.
var rlimitNames = []string{
	"RLIMIT_AS", "RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_DATA", "RLIMIT_FSIZE",
	"RLIMIT_LOCKS", "RLIMIT_MEMLOCK", "RLIMIT_MSGQUEUE", "RLIMIT_NICE",
	"RLIMIT_NOFILE", "RLIMIT_NPROC", "RLIMIT_RSS", "RLIMIT_RTPRIO",
	"RLIMIT_RTTIME", "RLIMIT_SIGPENDING", "RLIMIT_STACK",
}

// rlimits normalizes "nofile" to "RLIMIT_NOFILE" and checks soft <= hard.
func rlimits(in []specs.POSIXRlimit) ([]specs.POSIXRlimit, error) {
	var out []specs.POSIXRlimit
	for _, r := range in {
		t := strings.ToUpper(r.Type)
		if !strings.HasPrefix(t, "RLIMIT_") {
			t = "RLIMIT_" + t
		}
		if !slices.Contains(rlimitNames, t) {
			return nil, invalidf("unknown rlimit %q", r.Type)
		}
		if r.Soft > r.Hard {
			return nil, invalidf("rlimit %s: soft %d above hard %d", t, r.Soft, r.Hard)
		}
		if slices.ContainsFunc(out, func(x specs.POSIXRlimit) bool { return x.Type == t }) {
			return nil, invalidf("rlimit %s given twice", t)
		}
		out = append(out, specs.POSIXRlimit{Type: t, Hard: r.Hard, Soft: r.Soft})
	}
	return out, nil
}

// validateHostname keeps to what sethostname(2) takes.
func validateHostname(h string) error {
	if len(h) > 64 || strings.ContainsAny(h, "\x00/ ") {
		return invalidf("hostname %q: at most 64 characters, no NUL, slash or space", h)
	}
	return nil
}

// processSpec is the spec's process, less capabilities and seccomp.
func processSpec(cfg *ocispec.ImageConfig, o *Options) (*specs.Process, error) {
	args, err := processArgs(cfg, o)
	if err != nil {
		return nil, err
	}
	user, home, err := processUser(cfg, o)
	if err != nil {
		return nil, err
	}
	env, err := environment(cfg, o, home)
	if err != nil {
		return nil, err
	}
	cwd, err := workingDir(cfg, o)
	if err != nil {
		return nil, err
	}
	limits, err := rlimits(o.Rlimits)
	if err != nil {
		return nil, err
	}
	if err := validateOOMScoreAdj(o.OOMScoreAdj); err != nil {
		return nil, err
	}
	var oom *int
	if o.OOMScoreAdj != nil {
		oom = ptr(*o.OOMScoreAdj)
	}
	return &specs.Process{
		Terminal:        o.Terminal,
		User:            user,
		Args:            args,
		Env:             env,
		Cwd:             cwd,
		Rlimits:         limits,
		NoNewPrivileges: o.NoNewPrivileges,
		ApparmorProfile: o.ApparmorProfile,
		SelinuxLabel:    o.SelinuxLabel,
		OOMScoreAdj:     oom,
	}, nil
}

// absPaths checks a list of masked or read-only paths.
func absPaths(what string, paths []string) ([]string, error) {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		c, err := cleanAbs(what, p)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
