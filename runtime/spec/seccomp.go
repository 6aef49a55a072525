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
