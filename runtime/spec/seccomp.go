package spec

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// seccompFilter builds the filter for s. The profile's rules are filtered
// for this architecture, this kernel and the container's bounding
// capabilities, so s.Process.Capabilities must already be set. Privileged
// containers get none, as in CRI-O and containerd.
func seccompFilter(o *Options, s *specs.Spec) (*specs.LinuxSeccomp, error) {
	if o.Privileged {
		return nil, nil
	}
	switch o.Seccomp.Kind {
	case SeccompRuntimeDefault:
		f, err := seccomp.GetDefaultProfile(s)
		if err != nil {
			return nil, fmt.Errorf("default seccomp profile: %w", err)
		}
		f.Architectures = runnableArchitectures(f.Architectures, o.Seccomp.KeepX32 || kernelRunsX32())
		return f, nil
	case SeccompUnconfined:
		return nil, nil
	case SeccompLocalhost:
		p := o.Seccomp.LocalhostPath
		if !filepath.IsAbs(p) {
			return nil, invalidf("seccomp profile path %q is not absolute", p)
		}
		body, err := os.ReadFile(p)
		if err != nil {
			return nil, invalidWrap(err, "seccomp profile")
		}
		f, err := seccomp.LoadProfile(string(body), s)
		if err != nil {
			return nil, invalidWrap(err, "seccomp profile %s", p)
		}
		return f, nil
	default:
		return nil, invalidf("unknown seccomp kind %d", o.Seccomp.Kind)
	}
}

// runnableArchitectures drops x32 from the default profile's
// architectures when the kernel cannot run x32 programs. With runc 1.1
// and libseccomp 2.5, each architecture in the filter is compiled in
// runc's init for every container: with x32 listed, the default
// profile's filter costs about 38 ms of a container start, without it
// about 21 (bench/runtime.sh, docs/performance.md). What changes is only
// what a program that issues an x32 system call by hand meets: the
// filter's bad-architecture action (the thread is killed) instead of
// ENOSYS from the kernel; no x32 program can run on such a kernel. Where
// the kernel runs x32, the profile is left as it is.
func runnableArchitectures(arches []specs.Arch, x32 bool) []specs.Arch {
	if x32 {
		return arches
	}
	out := make([]specs.Arch, 0, len(arches))
	for _, a := range arches {
		if a != specs.ArchX32 {
			out = append(out, a)
		}
	}
	return out
}
