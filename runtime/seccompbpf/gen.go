package seccompbpf

import (
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Offsets in struct seccomp_data. The arguments are 64-bit in the
// machine's byte order; the compiler builds filters for little-endian
// x86 only (nativeArch), where the low word comes first.
const (
	offNr   = 0
	offArch = 4
	offArgs = 16
)

func offArgLow(i uint) uint32  { return offArgs + 8*uint32(i) }
func offArgHigh(i uint) uint32 { return offArgs + 8*uint32(i) + 4 }

// generate lays out the program: the architecture dispatch, then per
// architecture a binary search over call-number ranges whose leaves
// return an action or check arguments.
func generate(def uint32, arches []*archRules) ([]unix.SockFilter, error) {
	a := newAssembler()
	a.load(offArch)
	starts := make([]label, len(arches))
	for i, ar := range arches {
		starts[i] = a.label()
		a.jeq(ar.arch.audit, starts[i], next)
	}
	// An architecture the filter does not admit: libseccomp's default
	// bad-architecture action.
	a.ret(retKillThread)
	for i, ar := range arches {
		a.mark(starts[i])
		g := &archGen{a: a, def: def, is64: ar.arch.is64}
		a.load(offNr)
		if ar.arch.x32Region {
			// x32 calls share x86-64's audit value; the filter does
			// not admit x32 (buildRules refuses it), so they meet the
			// bad-architecture action. -1 (a call a tracer skipped)
			// is the default's, as in libseccomp.
			calls := a.label()
			a.jge(x32SyscallBit, next, calls)
			isSkip := a.label()
			a.jeq(0xffffffff, isSkip, next)
			a.ret(retKillThread)
			a.mark(isSkip)
			a.ret(def)
			a.mark(calls)
		}
		g.search(ranges(ar.calls, def))
	}
	return a.assemble()
}

// span is a range of call numbers from lo up to the next span's lo: all
// returning ret, or (call != nil) one call whose arguments decide.
type span struct {
	lo   uint32
	ret  uint32
	call *callRules
}

// ranges covers all call numbers with spans, merging neighbours that
// return the same action unconditionally.
func ranges(calls map[uint32]*callRules, def uint32) []span {
	nrs := make([]uint32, 0, len(calls))
	for nr := range calls {
		nrs = append(nrs, nr)
	}
	sort.Slice(nrs, func(i, j int) bool { return nrs[i] < nrs[j] })
	points := make([]span, 0, 2*len(nrs)+1)
	points = append(points, span{lo: 0, ret: def})
	for i, nr := range nrs {
		if c := calls[nr]; c.always {
			points = append(points, span{lo: nr, ret: c.action})
		} else {
			points = append(points, span{lo: nr, call: c})
		}
		if nr != ^uint32(0) && (i+1 == len(nrs) || nrs[i+1] != nr+1) {
			points = append(points, span{lo: nr + 1, ret: def})
		}
	}
	out := points[:0:0]
	for _, p := range points {
		if n := len(out); n > 0 {
			last := &out[n-1]
			if last.lo == p.lo { // call 0 replaces the initial default
				*last = p
				continue
			}
			if last.call == nil && p.call == nil && last.ret == p.ret {
				continue
			}
		}
		out = append(out, p)
	}
	return out
}

type archGen struct {
	a    *assembler
	def  uint32
	is64 bool
}

// search emits a binary search over spans (the call number is loaded).
func (g *archGen) search(spans []span) {
	if len(spans) == 1 {
		g.leaf(spans[0])
		return
	}
	mid := len(spans) / 2
	right := g.a.label()
	g.a.jge(spans[mid].lo, right, next)
	g.search(spans[:mid])
	g.a.mark(right)
	g.search(spans[mid:])
}

// leaf returns a span's action, or checks its call's arguments: each
// check in turn, the action at the first that holds, else the default.
func (g *archGen) leaf(s span) {
	if s.call == nil {
		g.a.ret(s.ret)
		return
	}
	for _, check := range s.call.checks {
		fail := g.a.label()
		for _, c := range check {
			g.cond(c, fail)
		}
		g.a.ret(s.call.action)
		g.a.mark(fail)
	}
	g.a.ret(g.def)
}

// cond emits one comparison of a 64-bit argument as comparisons of its
// two 32-bit words (only the low one on 32-bit architectures), going on
// when it holds and to fail when not. All comparisons are unsigned.
func (g *archGen) cond(c cond, fail label) {
	a := g.a
	hold := a.label()
	lo, hi := uint32(c.value), uint32(c.value>>32)
	if c.op == specs.OpMaskedEqual {
		// value is the mask, valueTwo the datum.
		dlo, dhi := uint32(c.valueTwo), uint32(c.valueTwo>>32)
		if g.is64 {
			a.load(offArgHigh(c.index))
			a.and(hi)
			a.jeq(dhi, next, fail)
		}
		a.load(offArgLow(c.index))
		a.and(lo)
		a.jeq(dlo, hold, fail)
		a.mark(hold)
		return
	}
	if g.is64 {
		// Decide on the high word where it differs; compare the low
		// word only where the high words are equal.
		a.load(offArgHigh(c.index))
		above, below := hold, fail // where a higher / lower high word goes
		switch c.op {
		case specs.OpEqualTo:
			above, below = fail, fail
		case specs.OpNotEqual:
			above, below = hold, hold
		case specs.OpLessThan, specs.OpLessEqual:
			above, below = fail, hold
		}
		if above == below {
			a.jeq(hi, next, above)
		} else {
			a.jgt(hi, above, next)
			a.jeq(hi, next, below)
		}
	}
	a.load(offArgLow(c.index))
	switch c.op {
	case specs.OpEqualTo:
		a.jeq(lo, hold, fail)
	case specs.OpNotEqual:
		a.jeq(lo, fail, hold)
	case specs.OpGreaterThan:
		a.jgt(lo, hold, fail)
	case specs.OpGreaterEqual:
		a.jge(lo, hold, fail)
	case specs.OpLessThan:
		a.jge(lo, fail, hold)
	case specs.OpLessEqual:
		a.jgt(lo, fail, hold)
	}
	a.mark(hold)
}
