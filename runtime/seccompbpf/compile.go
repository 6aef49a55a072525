// Package seccompbpf compiles an OCI seccomp profile into the classic
// BPF program the kernel runs, in Go, in well under a millisecond.
//
// runc and crun compile the profile with libseccomp in every container's
// init: for the default profile that is 15–20 ms of each container start
// on a 2-core machine (docs/performance.md). crun accepts a program made
// beforehand (annotation run.oci.seccomp_bpf_data), which is what this
// package is for. The program means what libseccomp's would (checked
// against it by a test that compares their decisions call by call); where
// reproducing libseccomp's meaning would take more than this compiler
// knows, Compile says ErrUnsupported and the runtime compiles the profile
// itself, as before.
//
// Differences from libseccomp by design: calls are found by a binary
// search over number ranges instead of a linear scan; names are resolved
// with the kernel's current tables (golang.org/x/sys), so a call newer
// than the installed libseccomp is filtered as the profile says instead
// of being skipped with a warning.
package seccompbpf

import (
	"encoding/binary"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// ErrUnsupported: the profile uses something the compiler leaves to the
// OCI runtime (an architecture without tables here, notify actions, rules
// whose libseccomp meaning it does not reproduce).
var ErrUnsupported = errors.New("not compiled here; left to the OCI runtime")

// Compile builds the filter for s. A nil s is an error: no filter is not
// a program.
func Compile(s *specs.LinuxSeccomp) ([]unix.SockFilter, error) {
	if s == nil {
		return nil, errors.New("seccomp: no profile")
	}
	if s.ListenerPath != "" {
		return nil, fmt.Errorf("seccomp: listener path: %w", ErrUnsupported)
	}
	def, err := actionValue(s.DefaultAction, s.DefaultErrnoRet)
	if err != nil {
		return nil, fmt.Errorf("seccomp: default action: %w", err)
	}
	arches, err := buildRules(s, def)
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	prog, err := generate(def, arches)
	if err != nil {
		return nil, fmt.Errorf("seccomp: %w", err)
	}
	return prog, nil
}

// Encode lays prog out as struct sock_filter array in this machine's
// byte order: what seccomp(2) takes and crun's annotation carries
// (base64-encoded).
func Encode(prog []unix.SockFilter) []byte {
	out := make([]byte, 0, 8*len(prog))
	for _, in := range prog {
		out = binary.NativeEndian.AppendUint16(out, in.Code)
		out = append(out, in.Jt, in.Jf)
		out = binary.NativeEndian.AppendUint32(out, in.K)
	}
	return out
}
