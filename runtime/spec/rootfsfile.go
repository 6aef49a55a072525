package spec

import (
	"errors"
	"fmt"
	"io"
	"os"

	pathrs "github.com/cyphar/filepath-securejoin/pathrs-lite"
	"golang.org/x/sys/unix"
)

// maxDBFileSize bounds what is read of an image's passwd or group file: a
// real one is kilobytes, and an image must not make the runtime allocate
// gigabytes.
const maxDBFileSize = 16 << 20

// readRootfsFile reads name inside rootfs as if rootfs were "/": every
// symlink, absolute or with "..", resolves within rootfs, so an image whose
// /etc/passwd points at /etc/shadow gets its own shadow file, never the
// host's. A missing file is (nil, nil); anything but a regular file (a
// FIFO that would block, a device) is refused.
func readRootfsFile(rootfs, name string) ([]byte, error) {
	root, err := os.OpenFile(rootfs, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open rootfs: %w", err)
	}
	defer root.Close()

	handle, err := pathrs.OpenatInRoot(root, name)
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENOTDIR) {
		return nil, nil
	}
	if errors.Is(err, unix.ELOOP) {
		return nil, invalidf("image %s: too many levels of symlinks", name)
	}
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", name, err)
	}
	defer handle.Close()

	// O_PATH handles can be fstat'ed: check the type before any open()
	// that could block or have side effects.
	var st unix.Stat_t
	if err := unix.Fstat(int(handle.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat image %s: %w", name, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFREG {
		return nil, invalidf("image %s is not a regular file", name)
	}
	if st.Size > maxDBFileSize {
		return nil, invalidf("image %s is %d bytes, more than %d", name, st.Size, maxDBFileSize)
	}

	f, err := pathrs.Reopen(handle, unix.O_RDONLY|unix.O_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("open image %s: %w", name, err)
	}
	defer f.Close()
	// The size check above may race with a writer; the limit still holds.
	data, err := io.ReadAll(io.LimitReader(f, maxDBFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", name, err)
	}
	if len(data) > maxDBFileSize {
		return nil, invalidf("image %s is more than %d bytes", name, maxDBFileSize)
	}
	return data, nil
}
