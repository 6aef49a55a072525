package spec

import (
	"bytes"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// x32SyscallBit marks a system call of the x32 ABI on x86-64.
const x32SyscallBit = 0x40000000

// kernelRunsX32 reports whether this kernel serves x32 system calls. It
// asks with getpid through the x32 ABI: a kernel built without x32 (or
// booted with it off) answers ENOSYS. If this process is itself under a
// seccomp filter (which might kill it for the probe), it does not ask and
// answers yes, the conservative side.
var kernelRunsX32 = sync.OnceValue(func() bool {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil || !bytes.Contains(status, []byte("\nSeccomp:\t0\n")) {
		return true
	}
	_, _, errno := unix.RawSyscall(x32SyscallBit|unix.SYS_GETPID, 0, 0, 0)
	return errno != unix.ENOSYS
})
