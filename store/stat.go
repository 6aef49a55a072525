package store

import (
	"os"
	"syscall"
)

// blocks is the bytes a file occupies on disk.
func blocks(info os.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}

// inode identifies a file, to count hardlinked files once.
func inode(info os.FileInfo) (uint64, uint64, bool) {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Dev, st.Ino, true
	}
	return 0, 0, false
}
