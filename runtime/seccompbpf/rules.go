package seccompbpf

import (
	"fmt"
	"slices"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// SECCOMP_RET_* values (linux/seccomp.h), as libseccomp's SCMP_ACT_*.
const (
	retKillProcess = 0x80000000
	retKillThread  = 0x00000000
	retTrap        = 0x00030000
	retErrno       = 0x00050000
	retTrace       = 0x7ff00000
	retLog         = 0x7ffc0000
	retAllow       = 0x7fff0000
	retDataMask    = 0x0000ffff
	// errnoDefault is what ERRNO and TRACE carry when the profile names
	// no value (runc and crun use EPERM).
	errnoDefault = 1
)

// actionValue is the filter's return value for a profile action.
func actionValue(a specs.LinuxSeccompAction, errnoRet *uint) (uint32, error) {
	data := uint32(errnoDefault)
	if errnoRet != nil {
		if a != specs.ActErrno && a != specs.ActTrace {
			return 0, fmt.Errorf("errno value given for action %s", a)
		}
		data = uint32(*errnoRet) & retDataMask
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return retKillThread, nil
	case specs.ActKillProcess:
		return retKillProcess, nil
	case specs.ActTrap:
		return retTrap, nil
	case specs.ActErrno:
		return retErrno | data, nil
	case specs.ActTrace:
		return retTrace | data, nil
	case specs.ActLog:
		return retLog, nil
	case specs.ActAllow:
		return retAllow, nil
	case specs.ActNotify:
		return 0, fmt.Errorf("action %s (a listener is set up by the runtime): %w", a, ErrUnsupported)
	}
	return 0, fmt.Errorf("unknown action %q", a)
}

// cond is one argument comparison of a rule.
type cond struct {
	index           uint
	op              specs.LinuxSeccompOperator
	value, valueTwo uint64
}

// callRules is what the filter does with one system call number: its
// action, unconditionally or when any one of checks holds (each check
// being the conjunction of its comparisons).
type callRules struct {
	action uint32
	always bool
	checks [][]cond
}

// archRules are a filter's rules for one architecture.
type archRules struct {
	arch  *arch
	calls map[uint32]*callRules
}

// buildRules resolves the profile's rules for each architecture the
// filter admits, with the meaning runc and crun give them through
// libseccomp: rules whose action is the default are dropped; a name the
// architecture lacks is skipped; a rule naming one argument index more
// than once is one rule per comparison (any of them suffices); an
// unconditional rule makes conditional ones for the same call moot.
func buildRules(s *specs.LinuxSeccomp, def uint32) ([]*archRules, error) {
	native := nativeArch()
	if native == nil {
		return nil, fmt.Errorf("no system call tables for this architecture: %w", ErrUnsupported)
	}
	arches := []*archRules{{arch: native, calls: map[uint32]*callRules{}}}
	for _, name := range s.Architectures {
		a := archByName(name)
		if a == nil {
			return nil, fmt.Errorf("architecture %s: %w", name, ErrUnsupported)
		}
		if !slices.ContainsFunc(arches, func(r *archRules) bool { return r.arch == a }) {
			arches = append(arches, &archRules{arch: a, calls: map[uint32]*callRules{}})
		}
	}
	// muxNeeds: on 32-bit x86, the multiplexer each rule's action needs
	// (see checkMultiplexed).
	type muxNeed struct {
		mux    string
		action uint32
	}
	var muxNeeds []muxNeed
	for i, sc := range s.Syscalls {
		action, err := actionValue(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		if action == def {
			continue
		}
		checks, err := ruleChecks(sc.Args)
		if err != nil {
			return nil, fmt.Errorf("syscalls[%d]: %w", i, err)
		}
		for _, name := range sc.Names {
			if mux, ok := multiplexed[name]; ok {
				muxNeeds = append(muxNeeds, muxNeed{mux, action})
			}
			for _, ar := range arches {
				nr, ok := ar.arch.syscalls[name]
				if !ok {
					continue
				}
				if err := ar.add(nr, action, checks); err != nil {
					return nil, fmt.Errorf("syscalls[%d] %s: %w", i, name, err)
				}
			}
		}
	}
	for _, ar := range arches {
		if ar.arch != archX86 {
			continue
		}
		for _, n := range muxNeeds {
			if !ar.hasAlways(n.mux, n.action) {
				return nil, fmt.Errorf("x86 rule for a call %s multiplexes, %s not allowed alike: %w", n.mux, n.mux, ErrUnsupported)
			}
		}
	}
	return arches, nil
}

// ruleChecks turns a rule's comparisons into checks, any of which
// suffices: one check with them all, or one per comparison if an
// argument is compared twice (as runc and crun do).
func ruleChecks(args []specs.LinuxSeccompArg) ([][]cond, error) {
	if len(args) == 0 {
		return nil, nil
	}
	var seen [6]bool
	repeated := false
	conds := make([]cond, 0, len(args))
	for _, a := range args {
		if a.Index >= 6 {
			return nil, fmt.Errorf("argument index %d out of range", a.Index)
		}
		switch a.Op {
		case specs.OpNotEqual, specs.OpLessThan, specs.OpLessEqual, specs.OpEqualTo,
			specs.OpGreaterEqual, specs.OpGreaterThan, specs.OpMaskedEqual:
		default:
			return nil, fmt.Errorf("unknown comparison %q", a.Op)
		}
		repeated = repeated || seen[a.Index]
		seen[a.Index] = true
		conds = append(conds, cond{index: a.Index, op: a.Op, value: a.Value, valueTwo: a.ValueTwo})
	}
	if !repeated {
		return [][]cond{conds}, nil
	}
	checks := make([][]cond, len(conds))
	for i, c := range conds {
		checks[i] = []cond{c}
	}
	return checks, nil
}

// add records a rule for call nr. Rules of different actions for one
// call are left to the runtime: libseccomp's precedence between them is
// not reproduced here.
func (ar *archRules) add(nr, action uint32, checks [][]cond) error {
	c := ar.calls[nr]
	if c == nil {
		c = &callRules{action: action}
		ar.calls[nr] = c
	}
	if c.action != action {
		return fmt.Errorf("rules with different actions for one call: %w", ErrUnsupported)
	}
	if checks == nil {
		c.always, c.checks = true, nil
	} else if !c.always {
		c.checks = append(c.checks, checks...)
	}
	return nil
}

// hasAlways reports whether the named call is given action
// unconditionally.
func (ar *archRules) hasAlways(name string, action uint32) bool {
	nr, ok := ar.arch.syscalls[name]
	if !ok {
		return false
	}
	c := ar.calls[nr]
	return c != nil && c.always && c.action == action
}
