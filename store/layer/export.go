package layer

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/vbatts/tar-split/tar/asm"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/store/objects"
)

// Export rebuilds the layer's uncompressed tar exactly as Unpack read it
// (its SHA-256 is the DiffID) from the tar-split data and the objects.
// File contents are served in entry order, not by name: names may repeat
// in a tar. A damaged object makes the stream fail (tar-split checks each
// payload's CRC-64), so a consumer that reads to EOF without error got
// the right bytes. Close the reader to stop early.
func Export(ctx context.Context, l *Layer, objs *objects.Store) (io.ReadCloser, error) {
	if len(l.tarSplit) == 0 {
		return nil, fmt.Errorf("layer %s has no tar-split data: %w", l.diffID, errdefs.ErrInvalidArgument)
	}
	gz, err := gzip.NewReader(bytes.NewReader(l.tarSplit))
	if err != nil {
		return nil, fmt.Errorf("layer %s: tar-split data: %w", l.diffID, err)
	}
	fg := &payloads{ctx: ctx, objs: objs, entries: l.Entries}
	pr, pw := io.Pipe()
	go func() {
		err := asm.WriteOutputTarStream(fg, newSplitReader(gz), pw)
		if err == nil {
			err = fg.done()
		}
		if err != nil {
			err = fmt.Errorf("exporting layer %s: %w", l.diffID, err)
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// payloads serves, to tar-split's assembler, the content of the layer's
// payload entries one after the other.
type payloads struct {
	ctx     context.Context
	objs    *objects.Store
	entries []Entry
	next    int
}

func (p *payloads) Get(name string) (io.ReadCloser, error) {
	if err := p.ctx.Err(); err != nil {
		return nil, err
	}
	for ; p.next < len(p.entries); p.next++ {
		e := &p.entries[p.next]
		if !e.Payload {
			continue
		}
		p.next++
		f, err := p.objs.OpenFile(e.Object)
		if err != nil {
			return nil, fmt.Errorf("content of %q: %w", name, err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("tar-split data asks for the content of %q, but the layer has no more file contents: %w", name, errdefs.ErrInvalidArgument)
}

// done checks that every payload was asked for.
func (p *payloads) done() error {
	for ; p.next < len(p.entries); p.next++ {
		if p.entries[p.next].Payload {
			return fmt.Errorf("entry %q has content the tar-split data never asks for: %w", p.entries[p.next].Path, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}
