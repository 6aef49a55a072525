package runtime

import (
	"errors"
	"os"
	"os/exec"

	"golang.org/x/sys/unix"
)

// reapLater reaps a child that lives long (a container's monitor lives
// as long as its container) without holding an OS thread for it: the
// exit is awaited through a pidfd in Go's poller, where cmd.Wait would
// block one thread in waitid per running container (a daemon with 500
// pods would keep 500 threads). Kernels without pollable pidfds get
// cmd.Wait. The returned channel is closed once the child is reaped.
func reapLater(cmd *exec.Cmd) <-chan struct{} {
	done := make(chan struct{})
	fd, err := unix.PidfdOpen(cmd.Process.Pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		go func() { cmd.Wait(); close(done) }()
		return done
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	go func() {
		defer close(done)
		defer f.Close()
		raw, err := f.SyscallConn()
		if err == nil {
			// A pidfd polls readable once its process has exited.
			err = raw.Read(func(pfd uintptr) bool {
				var info unix.Siginfo
				err := unix.Waitid(unix.P_PIDFD, int(pfd), &info, unix.WEXITED|unix.WNOHANG, nil)
				return !errors.Is(err, unix.EAGAIN) && (err != nil || info.Signo != 0)
			})
		}
		if err != nil {
			cmd.Wait() // not pollable after all: a thread it is
		}
	}()
	return done
}
