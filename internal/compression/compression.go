// Package compression detects, removes and applies the layer
// compressions ocid supports (gzip, zstd), using klauspost/compress,
// which is several times faster than the standard library's gzip.
package compression

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/ocid-project/ocid/image"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Detect peeks at r and tells its compression; the returned reader
// yields all of r's bytes.
func Detect(r io.Reader) (image.Compression, io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && err != io.EOF {
		return image.Uncompressed, nil, err
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return image.Gzip, br, nil
	case bytes.HasPrefix(head, zstdMagic):
		return image.Zstd, br, nil
	}
	return image.Uncompressed, br, nil
}

// Decompress returns the uncompressed stream of r, whatever its
// compression (detected from its first bytes, not from a media type).
func Decompress(r io.Reader) (io.ReadCloser, error) {
	c, br, err := Detect(r)
	if err != nil {
		return nil, err
	}
	switch c {
	case image.Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return zr, nil
	case image.Zstd:
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(false))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zstdReadCloser{zr}, nil
	}
	return io.NopCloser(br), nil
}

type zstdReadCloser struct{ *zstd.Decoder }

func (z zstdReadCloser) Close() error { z.Decoder.Close(); return nil }

// Compress returns a writer that compresses into w with c.
func Compress(w io.Writer, c image.Compression) (io.WriteCloser, error) {
	switch c {
	case image.Gzip:
		return gzip.NewWriterLevel(w, gzip.DefaultCompression)
	case image.Zstd:
		return zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedDefault))
	}
	return nopWriteCloser{w}, nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// Recompress copies r, in whatever compression, to w compressed with to.
func Recompress(w io.Writer, r io.Reader, to image.Compression) error {
	plain, err := Decompress(r)
	if err != nil {
		return err
	}
	defer plain.Close()
	cw, err := Compress(w, to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(cw, plain); err != nil {
		cw.Close()
		return err
	}
	return cw.Close()
}
