package seccompbpf

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

const childEnv = "OCID_SECCOMPBPF_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		if err := childUnderFilter(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Println("filter holds")
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// The kernel takes the default profile's program (its own checks of a
// filter are stricter than the interpreter's), and a process under it
// meets what the profile says.
func TestKernelRunsFilter(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "filter holds") {
		t.Fatalf("child under the filter: %v\n%s", err, out)
	}
}

// childUnderFilter loads the default profile's program into this process
// (every thread) and checks a few calls.
func childUnderFilter() error {
	prog, err := Compile(defaultProfile(criCaps))
	if err != nil {
		return err
	}
	fprog := unix.SockFprog{Len: uint16(len(prog)), Filter: &prog[0]}
	if _, _, e := unix.Syscall(unix.SYS_SECCOMP, unix.SECCOMP_SET_MODE_FILTER, unix.SECCOMP_FILTER_FLAG_TSYNC,
		uintptr(unsafe.Pointer(&fprog))); e != 0 {
		return fmt.Errorf("seccomp(SET_MODE_FILTER): %w", e)
	}
	if unix.Getpid() <= 0 {
		return errors.New("getpid")
	}
	checks := []struct {
		what string
		err  error
		want error
	}{
		{"unshare(CLONE_NEWNS)", unix.Unshare(unix.CLONE_NEWNS), unix.EPERM},
		{"mount", unix.Mount("none", "/", "", unix.MS_REMOUNT, ""), unix.EPERM},
		{"clone3", errnoOf(unix.Syscall(unix.SYS_CLONE3, 0, 0, 0)), unix.ENOSYS},
		{"personality(0xffffffff)", errnoOf(unix.Syscall(unix.SYS_PERSONALITY, 0xffffffff, 0, 0)), nil},
		{"personality(0x0040000)", errnoOf(unix.Syscall(unix.SYS_PERSONALITY, 0x0040000, 0, 0)), unix.EPERM},
		{"socket(AF_UNIX)", closeSocket(unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)), nil},
		{"socket(AF_VSOCK)", closeSocket(unix.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0)), unix.EPERM},
	}
	for _, c := range checks {
		if !errors.Is(c.err, c.want) {
			return fmt.Errorf("%s: got %v, want %v", c.what, c.err, c.want)
		}
	}
	return nil
}

func errnoOf(_, _ uintptr, e unix.Errno) error {
	if e != 0 {
		return e
	}
	return nil
}

func closeSocket(fd int, err error) error {
	if err == nil {
		unix.Close(fd)
	}
	return err
}
