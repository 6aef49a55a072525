package seccompbpf

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func allow(names ...string) specs.LinuxSyscall {
	return specs.LinuxSyscall{Names: names, Action: specs.ActAllow}
}

func TestUnsupportedLeftToRuntime(t *testing.T) {
	base := func() *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{allow("read")}}
	}
	cases := map[string]func(p *specs.LinuxSeccomp){
		"x32 listed":    func(p *specs.LinuxSeccomp) { p.Architectures = []specs.Arch{specs.ArchX86_64, specs.ArchX32} },
		"arm listed":    func(p *specs.LinuxSeccomp) { p.Architectures = []specs.Arch{specs.ArchARM} },
		"notify action": func(p *specs.LinuxSeccomp) { p.Syscalls[0].Action = specs.ActNotify },
		"listener path": func(p *specs.LinuxSeccomp) { p.ListenerPath = "/run/agent.sock" },
		"mixed actions": func(p *specs.LinuxSeccomp) {
			p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"read"}, Action: specs.ActLog})
		},
		"x86 socket alone": func(p *specs.LinuxSeccomp) {
			p.Architectures = []specs.Arch{specs.ArchX86}
			p.Syscalls = append(p.Syscalls, allow("socket"))
		},
		"too long": func(p *specs.LinuxSeccomp) {
			for i := range 2000 {
				p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow,
					Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: uint64(i)}}})
			}
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p := base()
			change(p)
			if _, err := Compile(p); !errors.Is(err, ErrUnsupported) {
				t.Fatalf("got %v, want ErrUnsupported", err)
			}
		})
	}
	// With socketcall allowed alike, x86 socket rules compile.
	p := base()
	p.Architectures = []specs.Arch{specs.ArchX86}
	p.Syscalls = append(p.Syscalls, allow("socket", "socketcall"))
	if _, err := Compile(p); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidProfiles(t *testing.T) {
	cases := map[string]*specs.LinuxSeccomp{
		"no default action": {Syscalls: []specs.LinuxSyscall{allow("read")}},
		"unknown action":    {DefaultAction: "SCMP_ACT_MAYBE"},
		"errno on allow":    {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow, ErrnoRet: errno(5)}}},
		"argument 6": {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 6, Op: specs.OpEqualTo}}}}},
		"unknown comparison": {DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{{Names: []string{"read"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: "SCMP_CMP_ROUGHLY"}}}}},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Compile(p)
			if err == nil || errors.Is(err, ErrUnsupported) {
				t.Fatalf("got %v, want an error naming the fault", err)
			}
		})
	}
	if _, err := Compile(nil); err == nil {
		t.Fatal("nil profile compiled")
	}
}

// A call with hundreds of conditional rules needs jumps farther than a
// conditional jump's 255 instructions: trampolines carry them, and every
// value still gets its own decision.
func TestLongJumps(t *testing.T) {
	p := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{allow("read", "write")}}
	for i := range 400 {
		p.Syscalls = append(p.Syscalls, specs.LinuxSyscall{Names: []string{"personality"}, Action: specs.ActAllow,
			Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpEqualTo, Value: uint64(3 * i)}}})
	}
	prog, err := Compile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(prog) < 400*3 {
		t.Fatalf("only %d instructions", len(prog))
	}
	nrPersonality := archX86_64.syscalls["personality"]
	for v := range uint64(1205) {
		want := uint32(retErrno | 1)
		if v%3 == 0 && v < 1200 {
			want = retAllow
		}
		d := &seccompData{nr: nrPersonality, arch: auditArchX86_64, args: [6]uint64{v}}
		if got, err := run(prog, d); err != nil || got != want {
			t.Fatalf("personality(%d): %#x %v, want %#x", v, got, err, want)
		}
	}
	for _, name := range []string{"read", "write"} {
		d := &seccompData{nr: archX86_64.syscalls[name], arch: auditArchX86_64}
		if got, err := run(prog, d); err != nil || got != retAllow {
			t.Fatalf("%s: %#x %v", name, got, err)
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	prog, err := Compile(customProfile())
	if err != nil {
		t.Fatal(err)
	}
	back, err := decode(Encode(prog))
	if err != nil || !slices.Equal(back, prog) {
		t.Fatalf("round trip: %v", err)
	}
}

// FuzzCompile: any profile that compiles gives a program the kernel's
// rules allow (forward jumps within it, ends in returns, within the
// length limit), whatever the call and arguments.
func FuzzCompile(f *testing.F) {
	for _, p := range []*specs.LinuxSeccomp{customProfile(), denyList()} {
		raw, err := json.Marshal(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":1,"value":5,"op":"SCMP_CMP_GT"},{"index":1,"value":9,"op":"SCMP_CMP_LT"}]}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var p specs.LinuxSeccomp
		if json.Unmarshal(raw, &p) != nil {
			return
		}
		prog, err := Compile(&p)
		if err != nil {
			return
		}
		if len(prog) == 0 || len(prog) > maxInstructions {
			t.Fatalf("%d instructions", len(prog))
		}
		for _, arch := range []uint32{auditArchX86_64, auditArchI386, 1} {
			for nr := uint32(0); nr < 470; nr++ {
				for _, v := range []uint64{0, 5, 9, 1 << 32, ^uint64(0)} {
					d := &seccompData{nr: nr, arch: arch, args: [6]uint64{v, v, v, v, v, v}}
					if _, err := run(prog, d); err != nil {
						t.Fatal(fmt.Errorf("nr %d: %w", nr, err))
					}
				}
			}
		}
	})
}

func BenchmarkCompileDefault(b *testing.B) {
	p := defaultProfile(criCaps)
	for b.Loop() {
		if _, err := Compile(p); err != nil {
			b.Fatal(err)
		}
	}
}
