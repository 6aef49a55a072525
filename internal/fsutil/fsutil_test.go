package fsutil

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// Both writers replace the file whole, with the permissions asked for,
// and leave no temporary file, also when the write fails.
func TestWriteFileAtomic(t *testing.T) {
	for name, write := range map[string]func(string, []byte, os.FileMode) error{
		"durable": WriteFileAtomic, "volatile": WriteFileAtomicVolatile,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "f.json")
			for _, content := range []string{"first", "second, longer"} {
				if err := write(p, []byte(content), 0o640); err != nil {
					t.Fatal(err)
				}
				got, err := os.ReadFile(p)
				if err != nil || string(got) != content {
					t.Fatalf("read back %q, %v; want %q", got, err, content)
				}
			}
			fi, err := os.Stat(p)
			if err != nil || fi.Mode().Perm() != 0o640 {
				t.Fatalf("mode %v, %v", fi.Mode(), err)
			}
			if err := write(filepath.Join(dir, "missing", "f"), []byte("x"), 0o600); err == nil {
				t.Fatal("writing into a missing directory succeeded")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Fatalf("directory holds %d entries, want only the file", len(entries))
			}
		})
	}
}

func TestWriteAtomicFailedWriteKeepsOld(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := WriteFileAtomic(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := WriteAtomic(p, 0o600, func(w io.Writer) error {
		w.Write([]byte("half"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("error %v", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("after a failed write the file holds %q", got)
	}
	entries, _ := os.ReadDir(filepath.Dir(p))
	if len(entries) != 1 {
		t.Fatalf("temporary file left: %d entries", len(entries))
	}
}
