// Package fsutil has the small file-system moves ocid uses to make
// outputs appear whole or not at all: write-then-rename files and
// directories, swapped into place atomically.
package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// WriteFileAtomic writes data to path through a temporary file in the
// same directory, fsyncs it and renames it over path.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	return WriteAtomic(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteFileAtomicVolatile writes data to path through a temporary file
// renamed over path, without fsync: for state under the runroot, which
// describes processes and mounts that do not survive a reboot. A process
// killed at any point leaves the old file or the new one (rename is
// atomic and the page cache outlives the process); only a power loss
// could leave less, and after one the state is stale anyway. Where the
// runroot is on a disk (no tmpfs /run), the flushes cost a few tenths of a
// millisecond each, several times per container start.
func WriteFileAtomicVolatile(path string, data []byte, perm os.FileMode) error {
	return writeAtomic(path, perm, false, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic writes path with write, through a temporary file in the
// same directory that is fsynced and renamed over path: path is the old
// file or the complete new one, never a part.
func WriteAtomic(path string, perm os.FileMode, write func(io.Writer) error) error {
	return writeAtomic(path, perm, true, write)
}

func writeAtomic(path string, perm os.FileMode, durable bool, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f); err != nil {
		return err
	}
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			return err
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	if !durable {
		return nil
	}
	return SyncDir(filepath.Dir(path))
}

// SyncDir fsyncs a directory so a rename in it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// ReplaceDir makes the complete directory tmp appear at target. If target
// does not exist, tmp is renamed to it. If it exists, the two are swapped
// with one atomic renameat2(RENAME_EXCHANGE) and the old content, now at
// tmp, is removed: a reader sees the old tree or the new one, never a mix.
func ReplaceDir(tmp, target string) error {
	err := os.Rename(tmp, target)
	if err == nil {
		return SyncDir(filepath.Dir(target))
	}
	if _, statErr := os.Lstat(target); statErr != nil {
		return err
	}
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, target, unix.RENAME_EXCHANGE); err != nil {
		return fmt.Errorf("replacing %s: %w", target, err)
	}
	if err := SyncDir(filepath.Dir(target)); err != nil {
		return err
	}
	return os.RemoveAll(tmp)
}

// TempDirBeside creates a hidden temporary directory next to target, on
// the same file system, so it can later be renamed onto target.
func TempDirBeside(target string) (string, error) {
	parent := filepath.Dir(filepath.Clean(target))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, "."+filepath.Base(target)+".ocid-tmp-")
}

// IsEmptyDir reports whether dir exists and has no entries.
func IsEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// Exists reports whether path exists (without following a final symlink).
func Exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}
