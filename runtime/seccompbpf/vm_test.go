package seccompbpf

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// seccompData is struct seccomp_data, the input of a filter.
type seccompData struct {
	nr   uint32
	arch uint32
	ip   uint64
	args [6]uint64
	// argsRead records that a filter looked at an argument: where it
	// did not, its decision cannot depend on them.
	argsRead bool
}

// word reads the 32-bit word at off, as a little-endian kernel lays the
// structure out (nr, arch, ip, args; 64-bit values low word first).
func (d *seccompData) word(off uint32) (uint32, error) {
	if off%4 != 0 || off >= 64 {
		return 0, fmt.Errorf("load at offset %d", off)
	}
	var v uint64
	switch {
	case off == 0:
		return d.nr, nil
	case off == 4:
		return d.arch, nil
	case off < 16:
		v = d.ip
	default:
		v = d.args[(off-16)/8]
		d.argsRead = true
	}
	if off%8 == 4 {
		return uint32(v >> 32), nil
	}
	return uint32(v), nil
}

// run interprets a filter as the kernel does, for the instructions
// seccomp filters use (libseccomp's and this package's); anything else,
// a jump out of the program or running off its end is an error.
func run(prog []unix.SockFilter, d *seccompData) (uint32, error) {
	var acc uint32
	for pc, steps := 0, 0; ; steps++ {
		if pc < 0 || pc >= len(prog) {
			return 0, fmt.Errorf("pc %d outside the program (%d instructions)", pc, len(prog))
		}
		if steps > len(prog) {
			return 0, fmt.Errorf("more steps than instructions: a loop")
		}
		in := prog[pc]
		pc++
		switch in.Code {
		case opLoadWord:
			w, err := d.word(in.K)
			if err != nil {
				return 0, fmt.Errorf("instruction %d: %w", pc-1, err)
			}
			acc = w
		case opAnd:
			acc &= in.K
		case opRet:
			return in.K, nil
		case opJa:
			pc += int(in.K)
		case opJeq, opJgt, opJge, unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K:
			var taken bool
			switch in.Code {
			case opJeq:
				taken = acc == in.K
			case opJgt:
				taken = acc > in.K
			case opJge:
				taken = acc >= in.K
			default:
				taken = acc&in.K != 0
			}
			if taken {
				pc += int(in.Jt)
			} else {
				pc += int(in.Jf)
			}
		default:
			return 0, fmt.Errorf("instruction %d: opcode %#x not interpreted", pc-1, in.Code)
		}
	}
}

// decode reads a filter laid out as struct sock_filter array
// (little-endian), as libseccomp exports it.
func decode(raw []byte) ([]unix.SockFilter, error) {
	if len(raw)%8 != 0 {
		return nil, fmt.Errorf("%d bytes is not a whole number of instructions", len(raw))
	}
	prog := make([]unix.SockFilter, len(raw)/8)
	for i := range prog {
		b := raw[8*i:]
		prog[i] = unix.SockFilter{Code: binary.LittleEndian.Uint16(b), Jt: b[2], Jf: b[3], K: binary.LittleEndian.Uint32(b[4:])}
	}
	return prog, nil
}
