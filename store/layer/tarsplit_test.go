package layer_test

import (
	"compress/gzip"
	"io"
	"os"
	"testing"

	"github.com/vbatts/tar-split/tar/storage"
)

// tarSplitNames reads a tar-split file with tar-split's own unpacker.
func tarSplitNames(t testing.TB, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	up := storage.NewJSONUnpacker(gz)
	var names []string
	for {
		e, err := up.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Type == storage.FileType {
			names = append(names, e.GetName())
		}
	}
}
