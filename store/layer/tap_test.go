package layer

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/vbatts/tar-split/tar/storage"
)

// FuzzSplitLine: the fast parsers of tar-split lines agree with
// encoding/json whenever they accept a line.
func FuzzSplitLine(f *testing.F) {
	p := newPacker()
	for _, name := range []string{"a", "dir/file name", "quote\"d", "back\\slash", "\xff\xfe", "ünï", "<&>"} {
		p.file(name, 5, []byte{1, 2, 3, 4, 5, 6, 7, 8})
		p.file(name, 0, nil)
	}
	p.segment([]byte("header bytes\x00\x01"))
	p.segment(nil)
	gz, _ := p.close()
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		f.Fatal(err)
	}
	sr := newSplitReader(zr)
	for {
		l, err := sr.readLine()
		if err != nil {
			break
		}
		f.Add(bytes.Clone(l))
	}
	f.Add([]byte(`{"type":1,"name":"x","size":-1,"payload":null,"position":-3}`))
	f.Add([]byte(`{"type":2,"payload":"!!","position":1}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		for _, parse := range []func([]byte) (*storage.Entry, bool){parseSegment, parseFile} {
			got, ok := parse(line)
			if !ok {
				continue
			}
			var want storage.Entry
			if err := json.Unmarshal(line, &want); err != nil {
				t.Fatalf("fast parser accepted %q, json did not: %v", line, err)
			}
			if len(want.Payload) == 0 && len(got.Payload) == 0 {
				want.Payload, got.Payload = nil, nil
			}
			if !reflect.DeepEqual(*got, want) {
				t.Fatalf("%q: fast %+v, json %+v", line, *got, want)
			}
		}
	})
}
