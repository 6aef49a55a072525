package layer_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/store/layer"
	"github.com/ocid-project/ocid/store/objects"
)

func newObjects(t testing.TB) *objects.Store {
	t.Helper()
	s, err := objects.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func export(t testing.TB, l *layer.Layer, objs *objects.Store) []byte {
	t.Helper()
	rc, err := layer.Export(context.Background(), l, objs)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("export: %v", err)
	}
	return b
}

// roundTrip unpacks tb, checks the diffID, exports and compares bytes,
// saves and reloads the layer and exports again.
func roundTrip(t testing.TB, objs *objects.Store, tb []byte) *layer.Layer {
	t.Helper()
	l, err := layer.Unpack(context.Background(), bytes.NewReader(tb), objs, layer.Options{})
	if err != nil {
		t.Fatalf("unpack: %v", err)
	}
	if want := digest.FromBytes(tb); l.DiffID() != want || l.Size() != int64(len(tb)) {
		t.Fatalf("diffID %s size %d, want %s %d", l.DiffID(), l.Size(), want, len(tb))
	}
	sameBytes(t, "export", export(t, l, objs), tb)
	dir := t.TempDir()
	if err := l.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	l2, err := layer.ReadLayer(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l2.DiffID() != l.DiffID() || l2.Size() != l.Size() || len(l2.Entries) != len(l.Entries) {
		t.Fatalf("reloaded layer differs: %s %d %d", l2.DiffID(), l2.Size(), len(l2.Entries))
	}
	for i := range l.Entries {
		if !entriesEqual(&l.Entries[i], &l2.Entries[i]) {
			t.Fatalf("entry %d reloaded as %+v, was %+v", i, l2.Entries[i], l.Entries[i])
		}
	}
	sameBytes(t, "export after reload", export(t, l2, objs), tb)
	return l
}

func entriesEqual(a, b *layer.Entry) bool {
	if a.Path != b.Path || a.Type != b.Type || a.Mode != b.Mode || a.UID != b.UID || a.GID != b.GID ||
		!a.Mtime.Equal(b.Mtime) || a.Linkname != b.Linkname || a.Devmajor != b.Devmajor ||
		a.Devminor != b.Devminor || a.Size != b.Size || a.Object != b.Object || a.Payload != b.Payload ||
		len(a.Xattrs) != len(b.Xattrs) {
		return false
	}
	for i := range a.Xattrs {
		if a.Xattrs[i].Name != b.Xattrs[i].Name || !bytes.Equal(a.Xattrs[i].Value, b.Xattrs[i].Value) {
			return false
		}
	}
	return true
}

func sameBytes(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		i := 0
		for i < len(got) && i < len(want) && got[i] == want[i] {
			i++
		}
		t.Fatalf("%s: %d bytes (sha256 %x), want %d (sha256 %x); first difference at offset %d",
			what, len(got), sha256.Sum256(got), len(want), sha256.Sum256(want), i)
	}
}

func find(l *layer.Layer, p string) *layer.Entry {
	for i := len(l.Entries) - 1; i >= 0; i-- {
		if l.Entries[i].Path == p {
			return &l.Entries[i]
		}
	}
	return nil
}
