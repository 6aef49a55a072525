package seccompbpf

import (
	goruntime "runtime"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

//go:generate go run mktables.go

// arch is one architecture a filter can admit: the value the kernel puts
// in seccomp_data.arch for it, the width of its system call arguments and
// its system call numbers by name.
type arch struct {
	name     specs.Arch
	audit    uint32
	is64     bool
	syscalls map[string]uint32
	// x32Region: on x86-64, numbers with this bit set are x32 system
	// calls, which share x86-64's audit value.
	x32Region bool
}

// AUDIT_ARCH_* values (linux/audit.h).
const (
	auditArchX86_64 = 0xc000003e
	auditArchI386   = 0x40000003
)

var (
	archX86_64 = &arch{name: specs.ArchX86_64, audit: auditArchX86_64, is64: true, syscalls: syscallsX86_64, x32Region: true}
	archX86    = &arch{name: specs.ArchX86, audit: auditArchI386, syscalls: syscallsX86}
)

// nativeArch is the architecture of this build: libseccomp (and so runc
// and crun) always admits it, listed or not. The compiler builds filters
// only where it has been checked against libseccomp: on x86-64.
func nativeArch() *arch {
	if goruntime.GOARCH == "amd64" {
		return archX86_64
	}
	return nil
}

// archByName resolves a profile's architecture among those the compiler
// knows.
func archByName(a specs.Arch) *arch {
	switch a {
	case specs.ArchX86_64:
		return archX86_64
	case specs.ArchX86:
		return archX86
	}
	return nil
}

// x32SyscallBit marks x32 system calls on x86-64.
const x32SyscallBit = 0x40000000

// On 32-bit x86, the socket and System V IPC calls can also be made
// through one multiplexing call each (socketcall, ipc), whose first
// argument names the call. libseccomp adds a rule for the multiplexer
// beside each rule for such a call; the compiler does not, and instead
// builds a filter only where that extra rule changes nothing: where the
// multiplexer itself has the same action unconditionally (buildRules).
var multiplexed = map[string]string{
	"socket": "socketcall", "bind": "socketcall", "connect": "socketcall", "listen": "socketcall",
	"accept": "socketcall", "getsockname": "socketcall", "getpeername": "socketcall",
	"socketpair": "socketcall", "send": "socketcall", "recv": "socketcall", "sendto": "socketcall",
	"recvfrom": "socketcall", "shutdown": "socketcall", "setsockopt": "socketcall",
	"getsockopt": "socketcall", "sendmsg": "socketcall", "recvmsg": "socketcall",
	"accept4": "socketcall", "recvmmsg": "socketcall", "sendmmsg": "socketcall",
	"semop": "ipc", "semget": "ipc", "semctl": "ipc", "semtimedop": "ipc", "msgsnd": "ipc",
	"msgrcv": "ipc", "msgget": "ipc", "msgctl": "ipc", "shmat": "ipc", "shmdt": "ipc",
	"shmget": "ipc", "shmctl": "ipc",
}
