package objects

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

func openDir(t testing.TB, dir string) int {
	t.Helper()
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

func TestLinkInto(t *testing.T) {
	s := newStore(t)
	m := FileMeta{Mode: 0o755, Mtime: time.Unix(5, 0)}
	o := put(t, s, m, []byte("#!/bin/sh\n"))
	dir := t.TempDir()
	dfd := openDir(t, dir)
	if err := s.LinkInto(o.Key, dfd, "sh"); err != nil {
		t.Fatal(err)
	}
	if stat(t, dir+"/sh").Ino != stat(t, o.Path).Ino {
		t.Fatal("not a hardlink of the object")
	}
	if err := s.LinkInto(o.Key, dfd, "sh"); !errors.Is(err, unix.EEXIST) || !errors.Is(err, os.ErrExist) {
		t.Fatalf("existing name: %v", err)
	}
	if err := s.LinkInto(Key{1}, dfd, "x"); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
}

// limitLinks makes s behave as if its filesystem allowed only max links
// per inode, so EMLINK handling is tested without 65000 real links.
func limitLinks(s *Store, max uint64) {
	var mu sync.Mutex // the kernel checks and links atomically; so must the fake
	s.linkat = func(olddirfd int, oldpath string, newdirfd int, newpath string, flags int) error {
		mu.Lock()
		defer mu.Unlock()
		var st unix.Stat_t
		if err := unix.Fstatat(olddirfd, oldpath, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil && st.Nlink >= max {
			return unix.EMLINK
		}
		return unix.Linkat(olddirfd, oldpath, newdirfd, newpath, flags)
	}
}

func TestLinkIntoOverflow(t *testing.T) {
	s := newStore(t)
	limitLinks(s, 4)
	m := FileMeta{Mode: 0o4711, UID: 3, GID: 4, Mtime: time.Unix(1234, 5678),
		Xattrs: []Xattr{{Name: "security.capability", Value: capNetRaw}, {Name: "user.k", Value: []byte("v")}}}
	content := []byte("shared file")
	o := put(t, s, m, content)
	dir := t.TempDir()
	dfd := openDir(t, dir)

	// 10 links: the object takes 3, copies .1 and .2 take 3 each, .3 one.
	var wg sync.WaitGroup
	var mu sync.Mutex
	for i := range 10 {
		wg.Go(func() {
			if err := s.LinkInto(o.Key, dfd, "f"+strconv.Itoa(i)); err != nil {
				mu.Lock()
				t.Error(err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	inodes := map[uint64]int{}
	for i := range 10 {
		p := fmt.Sprintf("%s/f%d", dir, i)
		checkFile(t, p, m, content)
		inodes[stat(t, p).Ino]++
	}
	if len(inodes) != 4 {
		t.Fatalf("links spread over %d inodes, want 4: %v", len(inodes), inodes)
	}
	for n := 1; n <= 3; n++ {
		checkFile(t, fmt.Sprintf("%s.%d", o.Path, n), m, content)
	}
	if err := s.Verify(o.Key); err != nil {
		t.Fatal(err)
	}
	var infos []Info
	if err := s.Walk(func(i Info) error { infos = append(infos, i); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].Key != o.Key || infos[0].Copies != 4 || infos[0].Nlink != 4 || infos[0].Size != int64(len(content)) {
		t.Fatalf("Walk = %+v", infos)
	}
	if err := s.Remove(o.Key); err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 3; n++ {
		p := o.Path
		if n > 0 {
			p += "." + strconv.Itoa(n)
		}
		if _, err := os.Lstat(p); !os.IsNotExist(err) {
			t.Errorf("%s survived Remove: %v", p, err)
		}
	}
	checkFile(t, dir+"/f0", m, content) // checkouts keep their links
	if err := s.Remove(o.Key); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("second Remove: %v", err)
	}
}

// TestLinkIntoOverflowRefusesCorruptObject: a damaged object is not copied.
func TestLinkIntoOverflowRefusesCorruptObject(t *testing.T) {
	s := newStore(t)
	limitLinks(s, 2)
	o := put(t, s, FileMeta{Mode: 0o644}, []byte("good"))
	if err := os.WriteFile(o.Path, []byte("evil"), 0o644); err != nil {
		t.Fatal(err)
	}
	dfd := openDir(t, t.TempDir())
	if err := s.LinkInto(o.Key, dfd, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.LinkInto(o.Key, dfd, "b"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("overflow of a corrupt object: %v", err)
	}
}

// TestLinkIntoRealLimit hits the real ext4 limit (65000 links per inode).
// It needs the test's temp dir on ext4, which is what the store runs on.
func TestLinkIntoRealLimit(t *testing.T) {
	s := newStore(t)
	var sfs unix.Statfs_t
	if err := unix.Statfs(s.Dir(), &sfs); err != nil {
		t.Fatal(err)
	}
	if sfs.Type != unix.EXT4_SUPER_MAGIC {
		t.Logf("temp dir is not on ext4 (f_type %#x): no small link limit to hit; the injected test covers EMLINK", sfs.Type)
		return
	}
	o := put(t, s, FileMeta{Mode: 0o644}, nil)
	dir := t.TempDir()
	dfd := openDir(t, dir)
	const n = 65000 + 10
	for i := range n {
		if err := s.LinkInto(o.Key, dfd, strconv.Itoa(i)); err != nil {
			t.Fatalf("link %d: %v", i, err)
		}
	}
	if nl := stat(t, o.Path).Nlink; nl != 65000 {
		t.Fatalf("object has %d links", nl)
	}
	if nl := stat(t, o.Path+".1").Nlink; nl != 12 { // 11 links + the copy's own name
		t.Fatalf("copy has %d links", nl)
	}
	if err := s.Verify(o.Key); err != nil {
		t.Fatal(err)
	}
}
