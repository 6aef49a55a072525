package objects

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// TestCrashHelper is the child of TestKillDuringPut: it puts objects until
// killed, printing a line after each.
func TestCrashHelper(t *testing.T) {
	root := os.Getenv("OCID_OBJECTS_CRASH_ROOT")
	if root == "" {
		return // not the child
	}
	s, err := Open(root)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	s.noTmpfile = os.Getenv("OCID_OBJECTS_CRASH_FALLBACK") == "1"
	for i := 0; ; i++ {
		size := (i%5)*(1<<20) + i
		m := FileMeta{Mode: 0o4755, UID: uint32(i), Mtime: time.Unix(int64(i), 0),
			Xattrs: []Xattr{{Name: "user.i", Value: []byte(strconv.Itoa(i))}}}
		if _, err := s.Put(context.Background(), m, bytes.NewReader(bytes.Repeat([]byte{byte(i)}, size))); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// TestKillDuringPut kills a writer with SIGKILL at arbitrary moments:
// every object then present must verify, and CleanTemp must leave tmp/
// empty (in O_TMPFILE mode nothing is left to clean at all).
func TestKillDuringPut(t *testing.T) {
	for _, fallback := range []string{"0", "1"} {
		root := t.TempDir()
		for round := range 8 {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
			cmd.Env = append(os.Environ(), "OCID_OBJECTS_CRASH_ROOT="+root, "OCID_OBJECTS_CRASH_FALLBACK="+fallback)
			out, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(out)
			for range 3 + round {
				if !sc.Scan() {
					t.Fatalf("helper ended early: %v", sc.Err())
				}
				if line := sc.Text(); len(line) > 5 && line[:5] == "error" {
					t.Fatal(line)
				}
			}
			cmd.Process.Kill()
			cmd.Wait()
		}
		s, err := Open(root)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		if err := s.Walk(func(i Info) error {
			n++
			return s.Verify(i.Key)
		}); err != nil {
			t.Fatalf("fallback=%s: %v", fallback, err)
		}
		if n == 0 {
			t.Fatal("no objects written")
		}
		left := tmpEntries(t, s)
		if fallback == "0" && len(left) != 0 {
			t.Errorf("O_TMPFILE mode left temp files: %v", left)
		}
		if err := s.CleanTemp(); err != nil {
			t.Fatal(err)
		}
		if left := tmpEntries(t, s); len(left) != 0 {
			t.Errorf("fallback=%s: CleanTemp left %v", fallback, left)
		}
		s.Close()
	}
}

// TestCleanTempKeepsLiveWriters: a temp file under a live writer's lock
// is not removed.
func TestCleanTempKeepsLiveWriters(t *testing.T) {
	s := newStore(t)
	s.noTmpfile = true
	tf, err := s.newTemp()
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(s.Dir()+"/tmp/put-dead", []byte("x"), 0o600)
	if err := s.CleanTemp(); err != nil {
		t.Fatal(err)
	}
	if left := tmpEntries(t, s); len(left) != 1 || left[0] != tf.name {
		t.Fatalf("after CleanTemp: %v (live %s)", left, tf.name)
	}
	tf.discard(s)
	if left := tmpEntries(t, s); len(left) != 0 {
		t.Fatalf("discard left %v", left)
	}
}
