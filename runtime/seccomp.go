package runtime

import (
	"encoding/base64"
	"errors"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/runtime/oci"
	"github.com/ocid-project/ocid/runtime/seccompbpf"
)

// precompileSeccomp compiles sp's seccomp profile and puts the program in
// the spec for a runtime that takes it (oci.SeccompBPFAnnotation): the
// runtime then loads it as it is instead of compiling the profile with
// libseccomp in the container's start (about 17 ms with the default
// profile, docs/performance.md). The rules stay in the spec, for its
// readers and for the flags. A profile the compiler leaves to the runtime
// is left to it.
func (m *Manager) precompileSeccomp(id string, sp *specs.Spec) {
	if sp.Linux == nil || sp.Linux.Seccomp == nil {
		return
	}
	prog, err := seccompbpf.Compile(sp.Linux.Seccomp)
	if err != nil {
		level := m.log.Warn
		if errors.Is(err, seccompbpf.ErrUnsupported) {
			level = m.log.Debug
		}
		level("seccomp profile left to the OCI runtime", "container", id, "reason", err)
		return
	}
	if sp.Annotations == nil {
		sp.Annotations = map[string]string{}
	}
	sp.Annotations[oci.SeccompBPFAnnotation] = base64.StdEncoding.EncodeToString(seccompbpf.Encode(prog))
}
