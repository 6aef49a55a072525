// Command mincore reports how much of a set of files is in the page cache.
//
//	go run ./bench/cmd/mincore PATH...
//
// Each PATH is a regular file or a directory, walked without following
// symlinks (so a directory given twice through two bind mounts of the same
// tree is seen twice, but its files are counted once). Every inode is
// counted once, by device and inode number: ten hardlinks to one file are
// one file in the page cache, and are reported as one. For each inode the
// file is mapped read-only and mincore(2) says which of its pages are
// resident; nothing is read, so measuring does not change the page cache.
//
// It prints one JSON object:
//
//	paths          regular files found (hardlinks and repeats included)
//	inodes         distinct inodes among them
//	bytes          their sizes added up (each inode once)
//	pageBytes      the same, each file rounded up to whole pages
//	residentBytes  resident pages × page size (each inode once)
//	residentInodes inodes with at least one resident page
//	pageSize       the page size used
//
// mincore on a file mapping reports the file's page cache only to a caller
// that owns the file or may write it (Linux ≥ 5.0); run it as root.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"unsafe"

	"golang.org/x/sys/unix"
)

type report struct {
	Paths          int   `json:"paths"`
	Inodes         int   `json:"inodes"`
	Bytes          int64 `json:"bytes"`
	PageBytes      int64 `json:"pageBytes"`
	ResidentBytes  int64 `json:"residentBytes"`
	ResidentInodes int   `json:"residentInodes"`
	PageSize       int   `json:"pageSize"`
}

type fileID struct{ dev, ino uint64 }

func main() {
	if len(os.Args) < 2 || os.Args[1] == "-h" || os.Args[1] == "--help" {
		fmt.Fprintln(os.Stderr, "usage: mincore PATH...  (files or directories; prints JSON)")
		os.Exit(2)
	}
	r := report{PageSize: os.Getpagesize()}
	seen := map[fileID]bool{}
	for _, root := range os.Args[1:] {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.Type().IsRegular() {
				return nil
			}
			r.Paths++
			var st unix.Stat_t
			if err := unix.Lstat(p, &st); err != nil {
				return err
			}
			id := fileID{uint64(st.Dev), st.Ino}
			if seen[id] {
				return nil
			}
			seen[id] = true
			r.Inodes++
			r.Bytes += st.Size
			pages := (st.Size + int64(r.PageSize) - 1) / int64(r.PageSize)
			r.PageBytes += pages * int64(r.PageSize)
			resident, err := residentPages(p, st.Size)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			if resident > 0 {
				r.ResidentInodes++
			}
			r.ResidentBytes += resident * int64(r.PageSize)
			return nil
		})
		if err != nil {
			fmt.Fprintln(os.Stderr, "mincore:", err)
			os.Exit(1)
		}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// residentPages maps the file and counts its pages that are in the page
// cache.
func residentPages(path string, size int64) (int64, error) {
	if size == 0 {
		return 0, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if int64(int(size)) != size {
		return 0, errors.New("file too large to map")
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(size), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return 0, fmt.Errorf("mmap: %w", err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (size+int64(os.Getpagesize())-1)/int64(os.Getpagesize()))
	// x/sys/unix has no Mincore wrapper for Linux.
	if _, _, e := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); e != 0 {
		return 0, fmt.Errorf("mincore: %w", e)
	}
	var n int64
	for _, v := range vec {
		n += int64(v & 1)
	}
	return n, nil
}
