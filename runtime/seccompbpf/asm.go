package seccompbpf

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// Classic BPF instructions the generator uses.
const (
	opLoadWord = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
	opAnd      = unix.BPF_ALU | unix.BPF_AND | unix.BPF_K
	opJeq      = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
	opJgt      = unix.BPF_JMP | unix.BPF_JGT | unix.BPF_K
	opJge      = unix.BPF_JMP | unix.BPF_JGE | unix.BPF_K
	opJa       = unix.BPF_JMP | unix.BPF_JA
	opRet      = unix.BPF_RET | unix.BPF_K
)

// maxInstructions is the kernel's limit on a filter's length
// (BPF_MAXINSNS).
const maxInstructions = 4096

// label names a position in the program; label 0 is "the next
// instruction".
type label int

const next label = 0

type insn struct {
	code   uint16
	k      uint32
	jt, jf label // conditional jumps
	ja     label // opJa
}

// assembler collects instructions whose jumps name labels, all forward,
// and resolves them. A conditional jump reaches at most 255 instructions;
// farther targets get an unconditional jump inserted as a trampoline.
type assembler struct {
	insns []insn
	pos   []int // by label; -1 until marked
}

func newAssembler() *assembler { return &assembler{pos: []int{-1}} }

func (a *assembler) label() label {
	a.pos = append(a.pos, -1)
	return label(len(a.pos) - 1)
}

// mark places l before the next instruction emitted.
func (a *assembler) mark(l label) { a.pos[l] = len(a.insns) }

func (a *assembler) load(off uint32) { a.insns = append(a.insns, insn{code: opLoadWord, k: off}) }
func (a *assembler) and(k uint32)    { a.insns = append(a.insns, insn{code: opAnd, k: k}) }
func (a *assembler) ret(k uint32)    { a.insns = append(a.insns, insn{code: opRet, k: k}) }
func (a *assembler) jump(l label)    { a.insns = append(a.insns, insn{code: opJa, ja: l}) }
func (a *assembler) jeq(k uint32, t, f label) {
	a.insns = append(a.insns, insn{code: opJeq, k: k, jt: t, jf: f})
}
func (a *assembler) jgt(k uint32, t, f label) {
	a.insns = append(a.insns, insn{code: opJgt, k: k, jt: t, jf: f})
}
func (a *assembler) jge(k uint32, t, f label) {
	a.insns = append(a.insns, insn{code: opJge, k: k, jt: t, jf: f})
}

// assemble resolves the labels into offsets.
func (a *assembler) assemble() ([]unix.SockFilter, error) {
	// Every "next" becomes a label of its own, so that trampolines
	// inserted later move it along with the instruction it names.
	for i := range a.insns {
		in := &a.insns[i]
		if in.code == opJa || !isJump(in.code) {
			continue
		}
		for _, l := range []*label{&in.jt, &in.jf} {
			if *l == next {
				*l = a.label()
				a.pos[*l] = i + 1
			}
		}
	}
	for l, p := range a.pos[1:] {
		if p < 0 {
			return nil, fmt.Errorf("label %d never placed", l+1)
		}
	}
	for a.insertTrampoline() {
		if len(a.insns) > maxInstructions {
			break
		}
	}
	if len(a.insns) > maxInstructions {
		return nil, fmt.Errorf("filter of %d instructions exceeds the kernel's %d: %w", len(a.insns), maxInstructions, ErrUnsupported)
	}
	out := make([]unix.SockFilter, len(a.insns))
	for i, in := range a.insns {
		out[i] = unix.SockFilter{Code: in.code, K: in.k}
		switch {
		case in.code == opJa:
			off := a.pos[in.ja] - (i + 1)
			if off < 0 {
				return nil, fmt.Errorf("instruction %d jumps backwards", i)
			}
			out[i].K = uint32(off)
		case isJump(in.code):
			t, f := a.pos[in.jt]-(i+1), a.pos[in.jf]-(i+1)
			if t < 0 || f < 0 || t > 255 || f > 255 {
				return nil, fmt.Errorf("instruction %d: jump offsets %d, %d out of range", i, t, f)
			}
			out[i].Jt, out[i].Jf = uint8(t), uint8(f)
		}
	}
	return out, nil
}

// insertTrampoline finds the first conditional jump too far for its
// 8-bit offset and routes it through an unconditional jump placed right
// after it. It reports whether it inserted one.
func (a *assembler) insertTrampoline() bool {
	for i, in := range a.insns {
		if in.code == opJa || !isJump(in.code) {
			continue
		}
		for b, l := range []label{in.jt, in.jf} {
			if a.pos[l]-(i+1) <= 255 {
				continue
			}
			at := i + 1
			for j := range a.pos {
				if a.pos[j] >= at {
					a.pos[j]++
				}
			}
			a.insns = append(a.insns[:at], append([]insn{{code: opJa, ja: l}}, a.insns[at:]...)...)
			t := a.label()
			a.pos[t] = at
			if b == 0 {
				a.insns[i].jt = t
			} else {
				a.insns[i].jf = t
			}
			return true
		}
	}
	return false
}

func isJump(code uint16) bool { return code&0x07 == unix.BPF_JMP }
