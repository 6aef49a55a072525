package checkout_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ocid-project/ocid/store/checkout"
	"github.com/ocid-project/ocid/store/layer"
	lt "github.com/ocid-project/ocid/store/layer/layertest"
	"github.com/ocid-project/ocid/store/objects"
)

// fuzzPaths are the paths fuzzed layers use: nested ones, ones under
// likely symlinks, the root, and invalid ones the builder must refuse.
var fuzzPaths = []string{
	".", "a", "a/b", "a/b/c", "s", "s/x", "s/tmp/ocid-fuzz-pwned", "s/canary/victim", "t", "t/sub/victim2",
	"etc", "etc/passwd", "d/e/f", "ocid-fuzz-pwned", "../escape", "a/../../escape", "/abs",
}

// fuzzLayers decodes data into layers: each 3 bytes are (operation, path,
// argument); operation 0 starts a new layer.
func fuzzLayers(data []byte, canary string, keys []objects.Key) []*layer.Layer {
	targets := []string{"/", "..", "../..", "../../../../..", canary, canary + "/sub", "../../canary", "/etc", "a", "missing", "/tmp"}
	l := &layer.Layer{}
	ls := []*layer.Layer{l}
	for i := 0; i+2 < len(data) && i < 3*64; i += 3 {
		op, p, arg := data[i]%10, fuzzPaths[int(data[i+1])%len(fuzzPaths)], int(data[i+2])
		e := layer.Entry{Path: p, Mode: uint32(arg) * 0o21 & 0o7777, UID: uint32(arg % 3), Mtime: time.Unix(int64(arg), 0)}
		switch op {
		case 0:
			l = &layer.Layer{}
			ls = append(ls, l)
			continue
		case 1:
			e.Type = layer.TypeDir
			if arg%2 == 0 {
				e.Xattrs = []objects.Xattr{{Name: "user.f", Value: []byte{byte(arg)}}}
			}
		case 2:
			e.Type, e.Object = layer.TypeReg, keys[arg%len(keys)]
		case 3:
			e.Type, e.Linkname = layer.TypeHardlink, fuzzPaths[arg%len(fuzzPaths)]
			if arg%4 == 0 {
				e.Object = keys[arg%len(keys)]
			}
		case 4:
			e.Type, e.Linkname = layer.TypeSymlink, targets[arg%len(targets)]
		case 5:
			e.Type = layer.TypeFifo
		case 6:
			e.Type, e.Devmajor, e.Devminor = layer.TypeChar, 1, uint32(arg%8)
		case 7:
			e.Type = layer.TypeWhiteout
		case 8:
			e.Type = layer.TypeOpaque
		default:
			e.Type = layer.TypeIgnored
		}
		l.Entries = append(l.Entries, e)
	}
	return ls
}

// FuzzBuild: whatever the layers hold (including paths Unpack would have
// refused), Build never panics and never creates, changes or removes
// anything outside its directory, nor changes an object.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{4, 4, 0, 2, 6, 1})                   // s -> /, s/tmp/pwned
	f.Add([]byte{1, 4, 0, 2, 5, 0, 0, 0, 0, 4, 4, 4}) // dir s, s/x; then s -> canary
	f.Add([]byte{4, 4, 4, 0, 0, 0, 7, 7, 0, 8, 8, 0}) // s -> canary; whiteout / opaque through it
	f.Add([]byte{4, 4, 7, 3, 13, 11})                 // s -> /etc; hardlink to etc/passwd
	f.Add([]byte{2, 14, 0, 2, 15, 0, 3, 1, 14})       // invalid paths
	f.Add([]byte{4, 8, 5, 1, 9, 2, 0, 0, 0, 8, 0, 0}) // t -> canary/sub, dir t/sub; opaque root
	f.Add([]byte{1, 1, 0, 2, 2, 1, 0, 0, 0, 4, 1, 3, 2, 2, 2})

	e := newEnv(f)
	var keys []objects.Key
	for i := range 3 {
		o, err := e.objs.Put(context.Background(), objects.FileMeta{Mode: 0o644 | uint32(i)<<9, Mtime: lt.T0}, bytes.NewReader([]byte(fmt.Sprint("object ", i))))
		if err != nil {
			f.Fatal(err)
		}
		keys = append(keys, o.Key)
	}
	n := 0
	f.Fuzz(func(t *testing.T, data []byte) {
		n++
		dir := filepath.Join(e.base, "co", fmt.Sprint(n))
		ls := fuzzLayers(data, e.canary, keys)
		err := checkout.Build(context.Background(), dir, ls, e.objs)
		if err != nil && fileExists(dir) {
			t.Fatalf("failed build left %s: %v", dir, err)
		}
		for _, d := range lt.Diff(e.before, lt.Walk(t, e.canary)) {
			t.Fatalf("canary changed: %s (layers %v)", d, ls)
		}
		for _, p := range []string{"/tmp/ocid-fuzz-pwned", "/ocid-fuzz-pwned", filepath.Join(e.base, "escape"), filepath.Join(e.base, "co", "escape")} {
			if fileExists(p) {
				t.Fatalf("%s created outside the checkout", p)
			}
		}
		if es, _ := os.ReadDir(e.base); len(es) != 3 {
			t.Fatalf("base holds %d entries", len(es))
		}
		for _, k := range keys {
			if err := e.objs.Verify(k); err != nil {
				t.Fatalf("object changed: %v", err)
			}
		}
		os.RemoveAll(dir)
	})
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}
