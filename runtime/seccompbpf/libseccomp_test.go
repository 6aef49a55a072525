package seccompbpf

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/fixtures"
)

// The compiler is checked against libseccomp itself: crun compiles the
// same profile with it when it creates a container and keeps the program
// in its state directory (seccomp.bpf). Both programs are then run on the
// same inputs — every call number of each architecture, the x32 range,
// odd numbers, an architecture neither admits, and argument values around
// every value the profile compares with — and must decide alike.
func TestSameDecisionsAsLibseccomp(t *testing.T) {
	for _, tc := range profiles(t) {
		t.Run(tc.name, func(t *testing.T) {
			ours, err := Compile(tc.profile)
			if err != nil {
				t.Fatal(err)
			}
			theirs, unknown := libseccompProgram(t, tc.profile)
			// Names this libseccomp does not know (newer calls) are
			// skipped by crun, with a warning; compare without them,
			// and check that they are what differs.
			trimmed := withoutNames(tc.profile, unknown)
			oursTrimmed, err := Compile(trimmed)
			if err != nil {
				t.Fatal(err)
			}
			n := compareDecisions(t, oursTrimmed, theirs, tc.profile)
			t.Logf("%d inputs decided alike; ours %d instructions, libseccomp's %d; names libseccomp lacks: %v",
				n, len(oursTrimmed), len(theirs), unknown)
			// Those we know, we filter as the profile says.
			known := slices.DeleteFunc(slices.Clone(unknown), func(n string) bool { _, ok := archX86_64.syscalls[n]; return !ok })
			if len(known) > 0 && slices.Equal(Encode(ours), Encode(oursTrimmed)) {
				t.Errorf("names %v change nothing in our program", known)
			}
		})
	}
}

type profileCase struct {
	name    string
	profile *specs.LinuxSeccomp
}

var (
	criCaps = []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID",
		"CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_KILL"}
	manyCaps = append(slices.Clone(criCaps), "CAP_SYS_ADMIN", "CAP_SYS_PTRACE", "CAP_SYS_BOOT",
		"CAP_SYS_MODULE", "CAP_SYS_TIME", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_PACCT",
		"CAP_SYS_RAWIO", "CAP_SYSLOG", "CAP_BPF", "CAP_PERFMON", "CAP_DAC_READ_SEARCH", "CAP_SYS_CHROOT")
)

// defaultProfile is moby's default profile for a container with caps,
// as ocid sends it on a kernel without x32 (runtime/spec).
func defaultProfile(caps []string) *specs.LinuxSeccomp {
	p, err := seccomp.GetDefaultProfile(&specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}})
	if err != nil {
		panic(err)
	}
	p.Architectures = slices.DeleteFunc(p.Architectures, func(a specs.Arch) bool { return a == specs.ArchX32 })
	return p
}

func profiles(t *testing.T) []profileCase {
	t.Helper()
	return []profileCase{
		{"default profile, CRI capabilities", defaultProfile(criCaps)},
		{"default profile, many capabilities", defaultProfile(manyCaps)},
		{"every comparison and action", customProfile()},
		{"deny list, x86 listed only", denyList()},
	}
}

func errno(n uint) *uint { return &n }

// customProfile uses every comparison with values that need both words,
// every action but notify, an argument compared twice and rules with two
// arguments.
func customProfile() *specs.LinuxSeccomp {
	arg := func(i uint, op specs.LinuxSeccompOperator, v, v2 uint64) specs.LinuxSeccompArg {
		return specs.LinuxSeccompArg{Index: i, Op: op, Value: v, ValueTwo: v2}
	}
	return &specs.LinuxSeccomp{
		DefaultAction:   specs.ActErrno,
		DefaultErrnoRet: errno(38),
		Architectures:   []specs.Arch{specs.ArchX86_64, specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"read", "write", "exit_group", "futex", "socketcall", "ipc"}, Action: specs.ActAllow},
			{Names: []string{"openat"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(2, specs.OpLessThan, 0x1_0000_0004, 0)}},
			{Names: []string{"close"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpLessEqual, 0x2_0000_0000, 0)}},
			{Names: []string{"dup"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpGreaterThan, 0x1_ffff_ffff, 0)}},
			{Names: []string{"dup2"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(1, specs.OpGreaterEqual, 7, 0)}},
			{Names: []string{"lseek"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(2, specs.OpNotEqual, 0x3_0000_0001, 0)}},
			{Names: []string{"mmap"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(3, specs.OpMaskedEqual, 0xffff_0000_0000_00f0, 0x1234_0000_0000_0020)}},
			{Names: []string{"kill"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 1, 0), arg(1, specs.OpEqualTo, 15, 0)}},
			{Names: []string{"tgkill"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(2, specs.OpEqualTo, 9, 0), arg(2, specs.OpEqualTo, 15, 0)}},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 0xffffffff, 0)}},
			{Names: []string{"personality"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{arg(0, specs.OpEqualTo, 8, 0)}},
			{Names: []string{"mount"}, Action: specs.ActErrno, ErrnoRet: errno(1)},
			{Names: []string{"umount2"}, Action: specs.ActErrno},
			{Names: []string{"reboot"}, Action: specs.ActKillProcess},
			{Names: []string{"kexec_load"}, Action: specs.ActKill},
			{Names: []string{"init_module"}, Action: specs.ActKillThread},
			{Names: []string{"delete_module"}, Action: specs.ActTrap},
			{Names: []string{"ptrace"}, Action: specs.ActTrace, ErrnoRet: errno(7)},
			{Names: []string{"syslog"}, Action: specs.ActLog},
			{Names: []string{"getpid"}, Action: specs.ActErrno, ErrnoRet: errno(38)}, // the default: dropped
			{Names: []string{"no_such_call"}, Action: specs.ActAllow},
		},
	}
}

// denyList allows by default and lists x86 alone (libseccomp adds the
// native x86-64 regardless).
func denyList() *specs.LinuxSeccomp {
	return &specs.LinuxSeccomp{
		DefaultAction: specs.ActAllow,
		Architectures: []specs.Arch{specs.ArchX86},
		Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mount", "umount2", "pivot_root", "_llseek", "waitpid"}, Action: specs.ActErrno},
			{Names: []string{"unshare"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpMaskedEqual, Value: 0x10000000, ValueTwo: 0x10000000}}},
		},
	}
}

// withoutNames copies p without the given call names.
func withoutNames(p *specs.LinuxSeccomp, names []string) *specs.LinuxSeccomp {
	q := *p
	q.Syscalls = nil
	for _, sc := range p.Syscalls {
		sc.Names = slices.DeleteFunc(slices.Clone(sc.Names), func(n string) bool { return slices.Contains(names, n) })
		if len(sc.Names) > 0 {
			q.Syscalls = append(q.Syscalls, sc)
		}
	}
	return &q
}

// libseccompProgram creates (not starts) a container with crun whose
// spec carries p, and returns the program crun's libseccomp made and the
// names crun warned (--debug) it does not know.
func libseccompProgram(t *testing.T, p *specs.LinuxSeccomp) ([]unix.SockFilter, []string) {
	t.Helper()
	crun := fixtures.Crun(t)
	dir := t.TempDir()
	bundle, state := filepath.Join(dir, "bundle"), filepath.Join(dir, "state")
	for _, d := range []string{"proc", "dev"} {
		if err := os.MkdirAll(filepath.Join(bundle, "rootfs", d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Never run: the container is created, not started.
	if err := os.WriteFile(filepath.Join(bundle, "rootfs", "true"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	sp := specs.Spec{
		Version: "1.0.2",
		// no_new_privs: crun then loads the filter just before it
		// runs the process, at start, so creating needs no system
		// call the profile might deny.
		Process: &specs.Process{Args: []string{"/true"}, Cwd: "/", NoNewPrivileges: true},
		Root:    &specs.Root{Path: "rootfs"},
		Mounts:  []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
		Linux: &specs.Linux{
			Namespaces: []specs.LinuxNamespace{{Type: specs.MountNamespace}, {Type: specs.PIDNamespace}},
			Seccomp:    p,
		},
	}
	raw, err := json.Marshal(sp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bundle, "config.json"), raw, 0o600); err != nil {
		t.Fatal(err)
	}
	id := fmt.Sprintf("ocid-seccompbpf-%d", os.Getpid())
	t.Cleanup(func() {
		if out, err := exec.Command(crun, "--root", state, "delete", "--force", id).CombinedOutput(); err != nil {
			t.Errorf("crun delete: %v: %s", err, out)
		}
	})
	// The container's init keeps crun's stdio until it is deleted: a
	// file, not a pipe, so that waiting for crun does not wait for it.
	outFile, err := os.Create(filepath.Join(dir, "create.out"))
	if err != nil {
		t.Fatal(err)
	}
	defer outFile.Close()
	create := exec.Command(crun, "--debug", "--root", state, "create", "--bundle", bundle, id)
	create.Stdout, create.Stderr = outFile, outFile
	err = create.Run()
	out, _ := os.ReadFile(outFile.Name())
	if err != nil {
		t.Fatalf("crun create: %v: %s", err, out)
	}
	raw, err = os.ReadFile(filepath.Join(state, id, "seccomp.bpf"))
	if err != nil {
		t.Fatal(err)
	}
	prog, err := decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	var unknown []string
	for _, line := range strings.Split(string(out), "\n") {
		if _, rest, ok := strings.Cut(line, "unknown seccomp syscall `"); ok {
			name, _, _ := strings.Cut(rest, "`")
			unknown = append(unknown, name)
		}
	}
	return prog, unknown
}

// compareDecisions runs both programs on the same inputs and reports how
// many it tried.
func compareDecisions(t *testing.T, ours, theirs []unix.SockFilter, p *specs.LinuxSeccomp) int {
	t.Helper()
	values := interestingValues(p)
	rng := rand.New(rand.NewPCG(1, 2))
	var nrs []uint32
	for nr := uint32(0); nr < 1100; nr++ {
		nrs = append(nrs, nr)
	}
	nrs = append(nrs, x32SyscallBit, x32SyscallBit|1, x32SyscallBit|39, x32SyscallBit|512, 0x3fffffff,
		0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x000f0002)
	n, failures := 0, 0
	check := func(d *seccompData) {
		n++
		a, errA := run(ours, d)
		b, errB := run(theirs, d)
		if errA != nil || errB != nil || a != b {
			failures++
			if failures <= 10 {
				t.Errorf("arch %#x nr %d args %#x: ours %#x (%v), libseccomp %#x (%v)", d.arch, d.nr, d.args, a, errA, b, errB)
			}
		}
	}
	for _, arch := range []uint32{auditArchX86_64, auditArchI386, 0xc00000b7 /* aarch64 */, 0} {
		for _, nr := range nrs {
			d := &seccompData{nr: nr, arch: arch}
			check(d)
			if !d.argsRead {
				continue // neither program looks at the arguments
			}
			for i := range 6 {
				for _, v := range values {
					d := &seccompData{nr: nr, arch: arch}
					d.args[i] = v
					check(d)
				}
			}
			for range 20 {
				d := &seccompData{nr: nr, arch: arch}
				for i := range d.args {
					d.args[i] = values[rng.IntN(len(values))]
				}
				check(d)
			}
		}
	}
	if failures > 10 {
		t.Errorf("... %d differences in all", failures)
	}
	return n
}

// interestingValues are argument values at and around every value the
// profile compares with, in each word.
func interestingValues(p *specs.LinuxSeccomp) []uint64 {
	set := map[uint64]bool{0: true, 1: true, 0xffffffff: true, 1 << 32: true, ^uint64(0): true}
	for _, sc := range p.Syscalls {
		for _, a := range sc.Args {
			for _, v := range []uint64{a.Value, a.ValueTwo, a.Value & a.ValueTwo, a.ValueTwo | ^a.Value} {
				for _, w := range []uint64{v, v - 1, v + 1, v | 1<<32, v &^ (1 << 32), v ^ 0xffffffff00000000, v & 0xffffffff} {
					set[w] = true
				}
			}
		}
	}
	out := make([]uint64, 0, len(set))
	for v := range set {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}
