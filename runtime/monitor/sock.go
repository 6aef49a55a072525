package monitor

import (
	"fmt"
	"net"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Unix socket paths are limited to 108 bytes and run directories can be
// deeper. The socket is reached through /proc/self/fd/N/NAME, N an open
// descriptor of its directory, which is short and names the same file.

func shortPath(path string) (string, func(), error) {
	if len(path) < 100 {
		return path, func() {}, nil
	}
	fd, err := unix.Open(filepath.Dir(path), unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("/proc/self/fd/%d/%s", fd, filepath.Base(path)), func() { unix.Close(fd) }, nil
}

func listenUnix(path string) (net.Listener, error) {
	os.Remove(path)
	p, done, err := shortPath(path)
	if err != nil {
		return nil, err
	}
	defer done()
	l, err := net.Listen("unix", p)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		l.Close()
		return nil, err
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	return &unlinkListener{Listener: l, path: path}, nil
}

// unlinkListener removes its socket file by its real path on Close.
type unlinkListener struct {
	net.Listener
	path string
}

func (u *unlinkListener) Close() error {
	err := u.Listener.Close()
	os.Remove(u.path)
	return err
}

func dialUnix(path string) (net.Conn, error) {
	p, done, err := shortPath(path)
	if err != nil {
		return nil, err
	}
	defer done()
	return net.Dial("unix", p)
}
