package spec

import (
	"path/filepath"
	"slices"

	"github.com/ocid-project/ocid/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// OCIVersion is the ociVersion written. runc 1.1 implements 1.0.2-dev and
// ignores the fields of newer specs it does not know; crun takes it too.
const OCIVersion = "1.0.2-dev"

// DefaultMaskedPaths hide host information and knobs /proc and /sys still
// expose inside a PID and mount namespace.
func DefaultMaskedPaths() []string {
	return []string{
		"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
		"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		"/proc/sched_debug", "/proc/scsi", "/sys/firmware",
		"/sys/devices/virtual/powercap",
	}
}

// DefaultReadonlyPaths are /proc entries a container may read but must
// not write (sysctls outside its namespaces, the SysRq trigger).
func DefaultReadonlyPaths() []string {
	return []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
}

// Generate builds the runtime spec of a container of img (nil for none)
// run with o. Every bad input is an error wrapping
// errdefs.ErrInvalidArgument that names the value.
func Generate(img *image.Config, o Options) (*specs.Spec, error) {
	if o.Rootfs == "" || !filepath.IsAbs(o.Rootfs) {
		return nil, invalidf("rootfs %q is not an absolute path", o.Rootfs)
	}
	if err := validateHostname(o.Hostname); err != nil {
		return nil, err
	}
	if err := validateCgroupsPath(o.CgroupsPath); err != nil {
		return nil, err
	}
	var cfg ocispec.ImageConfig
	if img != nil {
		cfg = img.Config
	}
	ns, err := namespaces(&o)
	if err != nil {
		return nil, err
	}
	process, err := processSpec(&cfg, &o)
	if err != nil {
		return nil, err
	}
	if process.Capabilities, err = capabilities(&o); err != nil {
		return nil, err
	}
	s := &specs.Spec{
		Version:     OCIVersion,
		Process:     process,
		Root:        &specs.Root{Path: filepath.Clean(o.Rootfs), Readonly: o.ReadOnlyRootfs},
		Annotations: passedAnnotations(o.Annotations),
		Hooks:       cloneHooks(o.Hooks),
	}
	// runc refuses a hostname without a private UTS namespace; $HOSTNAME
	// still carries it.
	if !ns.sharesHost(specs.UTSNamespace) {
		s.Hostname = o.Hostname
	}
	if s.Linux, err = linuxSpec(&o, ns); err != nil {
		return nil, err
	}
	if s.Mounts, s.Linux.RootfsPropagation, err = mounts(&o, ns); err != nil {
		return nil, err
	}
	// Last: the seccomp rules depend on the capabilities chosen above.
	if s.Linux.Seccomp, err = seccompFilter(&o, s); err != nil {
		return nil, err
	}
	return s, nil
}

// linuxSpec is the spec's linux section, less seccomp and propagation.
func linuxSpec(o *Options, ns namespaceSet) (*specs.Linux, error) {
	l := &specs.Linux{Namespaces: ns.list, CgroupsPath: o.CgroupsPath}
	if o.UserNS != nil {
		l.UIDMappings = slices.Clone(o.UserNS.UIDMappings)
		l.GIDMappings = slices.Clone(o.UserNS.GIDMappings)
	}
	var err error
	if l.Sysctl, err = sysctls(o.Sysctls, ns); err != nil {
		return nil, err
	}
	var rules []specs.LinuxDeviceCgroup
	if l.Devices, rules, err = devices(o); err != nil {
		return nil, err
	}
	if l.Resources, err = LinuxResources(o.Resources); err != nil {
		return nil, err
	}
	if l.Resources == nil {
		l.Resources = &specs.LinuxResources{}
	}
	l.Resources.Devices = rules
	if l.MaskedPaths, l.ReadonlyPaths, err = hiddenPaths(o); err != nil {
		return nil, err
	}
	return l, nil
}

// mounts is the default mounts merged with the options', and the rootfs
// propagation the latter need.
func mounts(o *Options, ns namespaceSet) ([]specs.Mount, string, error) {
	user, propagation, err := userMounts(o)
	if err != nil {
		return nil, "", err
	}
	return mergeMounts(defaultMounts(o, ns), user), propagation, nil
}

// hiddenPaths are the masked and read-only paths: none when privileged,
// the defaults for nil, the given list otherwise (even empty).
func hiddenPaths(o *Options) (masked, readonly []string, err error) {
	if o.Privileged {
		return nil, nil, nil
	}
	masked, readonly = DefaultMaskedPaths(), DefaultReadonlyPaths()
	if o.MaskedPaths != nil {
		if masked, err = absPaths("masked path", o.MaskedPaths); err != nil {
			return nil, nil, err
		}
	}
	if o.ReadonlyPaths != nil {
		if readonly, err = absPaths("read-only path", o.ReadonlyPaths); err != nil {
			return nil, nil, err
		}
	}
	return masked, readonly, nil
}

// cloneHooks copies h, so the spec shares no slices with the options.
func cloneHooks(h *specs.Hooks) *specs.Hooks {
	if h == nil {
		return nil
	}
	return &specs.Hooks{
		Prestart: slices.Clone(h.Prestart), CreateRuntime: slices.Clone(h.CreateRuntime), //nolint:staticcheck // Prestart is deprecated, not gone
		CreateContainer: slices.Clone(h.CreateContainer), StartContainer: slices.Clone(h.StartContainer),
		Poststart: slices.Clone(h.Poststart), Poststop: slices.Clone(h.Poststop),
	}
}
