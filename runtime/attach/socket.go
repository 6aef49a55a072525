package attach

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// sunPathMax is the size of sockaddr_un.sun_path on Linux, its NUL included.
const sunPathMax = 108

// maxSocketName bounds the socket's file name so that
// "/proc/self/fd/<fd>/.<name>.<pid>.tmp" still fits sun_path.
const maxSocketName = 64

// socket is a listening unix socket and the directory that holds it.
type socket struct {
	ln       *net.UnixListener
	dirfd    int // O_PATH descriptor of the directory
	name     string
	dev, ino uint64 // of the socket file, so Close removes only its own
}

// splitSocketPath splits path into its directory and a file name that the
// short address form can hold.
func splitSocketPath(path string) (dir, name string, err error) {
	dir, name = filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if name == "" || len(name) > maxSocketName {
		return "", "", fmt.Errorf("attach: socket name %q must be 1 to %d bytes: %w",
			name, maxSocketName, errdefs.ErrInvalidArgument)
	}
	return dir, name, nil
}

// address is the path to give bind or connect for name in dir: the plain
// path when it fits sun_path, else the same file reached through the
// directory's descriptor.
func address(dir string, dirfd int, name string) string {
	if p := filepath.Join(dir, name); len(p) < sunPathMax {
		return p
	}
	return fmt.Sprintf("/proc/self/fd/%d/%s", dirfd, name)
}

func openDir(dir string) (int, error) {
	fd, err := unix.Open(dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return -1, fmt.Errorf("attach: socket directory %s: %w", dir, errdefs.ErrNotFound)
		}
		return -1, fmt.Errorf("attach: open socket directory %s: %w", dir, err)
	}
	return fd, nil
}

// listen creates the socket at path with mode 0600. It binds under a
// temporary name, sets the mode, then renames it into place, so the socket
// is never reachable with the umask's mode, and without touching the
// process-wide umask.
func listen(path string) (_ *socket, err error) {
	dir, name, err := splitSocketPath(path)
	if err != nil {
		return nil, err
	}
	dirfd, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			unix.Close(dirfd)
		}
	}()
	if err := clearStale(dir, dirfd, name); err != nil {
		return nil, err
	}

	tmp := fmt.Sprintf(".%s.%d.tmp", name, os.Getpid())
	_ = unix.Unlinkat(dirfd, tmp, 0) // left by a crashed monitor of this pid
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: address(dir, dirfd, tmp), Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("attach: listen on %s: %w", path, err)
	}
	// The file moves; this package removes it (by its final name) itself.
	ln.SetUnlinkOnClose(false)
	fail := func(what string, err error) (*socket, error) {
		ln.Close()
		_ = unix.Unlinkat(dirfd, tmp, 0)
		return nil, fmt.Errorf("attach: %s socket %s: %w", what, path, err)
	}
	if err := unix.Fchmodat(dirfd, tmp, 0o600, 0); err != nil {
		return fail("chmod", err)
	}
	if err := unix.Renameat(dirfd, tmp, dirfd, name); err != nil {
		return fail("rename", err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return fail("stat", err)
	}
	return &socket{ln: ln, dirfd: dirfd, name: name, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// clearStale removes a socket left at name by a monitor that died. A
// socket someone still listens on, or a file that is not a socket, is left
// alone and reported.
func clearStale(dir string, dirfd int, name string) error {
	var st unix.Stat_t
	err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("attach: stat %s: %w", filepath.Join(dir, name), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFSOCK {
		return fmt.Errorf("attach: %s exists and is not a socket: %w",
			filepath.Join(dir, name), errdefs.ErrAlreadyExists)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: address(dir, dirfd, name), Net: "unix"})
	if err == nil {
		conn.Close()
		return fmt.Errorf("attach: socket %s is in use: %w", filepath.Join(dir, name), errdefs.ErrAlreadyExists)
	}
	if err := unix.Unlinkat(dirfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("attach: remove stale socket %s: %w", filepath.Join(dir, name), err)
	}
	return nil
}

// close stops listening and removes the socket file if it is still ours.
func (s *socket) close() error {
	err := s.ln.Close()
	var st unix.Stat_t
	if unix.Fstatat(s.dirfd, s.name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && uint64(st.Dev) == s.dev && uint64(st.Ino) == s.ino {
		if uerr := unix.Unlinkat(s.dirfd, s.name, 0); uerr != nil && !errors.Is(uerr, unix.ENOENT) {
			err = errors.Join(err, uerr)
		}
	}
	unix.Close(s.dirfd)
	if err != nil {
		return fmt.Errorf("attach: close socket %s: %w", s.name, err)
	}
	return nil
}

// dial connects to the socket at path, however long the path.
func dial(path string) (*net.UnixConn, error) {
	addr := path
	if len(path) >= sunPathMax {
		dir, name, err := splitSocketPath(path)
		if err != nil {
			return nil, err
		}
		dirfd, err := openDir(dir)
		if err != nil {
			return nil, err
		}
		// connect(2) resolves the path; the descriptor is not needed after.
		defer unix.Close(dirfd)
		addr = address(dir, dirfd, name)
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: addr, Net: "unix"})
	switch {
	case err == nil:
		return conn, nil
	case errors.Is(err, syscall.ENOENT):
		return nil, fmt.Errorf("attach: dial %s: %w", path, errdefs.ErrNotFound)
	case errors.Is(err, syscall.ECONNREFUSED):
		// The file is there but nobody listens: the monitor is gone.
		return nil, fmt.Errorf("attach: dial %s: no monitor listening: %w", path, errdefs.ErrUnavailable)
	}
	return nil, fmt.Errorf("attach: dial %s: %w", path, err)
}
