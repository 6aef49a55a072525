package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/blobfile"
	"github.com/ocid-project/ocid/internal/compression"
	"github.com/ocid-project/ocid/internal/crashpoint"
	"github.com/ocid-project/ocid/internal/verify"
	"github.com/ocid-project/ocid/store/layer"
)

// Pull stages one image: blobs, unpacked layers, manifest, signatures.
// Nothing is visible until Commit; Abort (or a crash) leaves only
// unreferenced files that gc removes.
type Pull struct {
	s       *Store
	tmp     string    // ROOT/tmp/pull-*: staged layer metadata
	tmpLock *fileLock // held while the pull lives, so cleanup skips it
	gcLock  *fileLock // shared: gc waits until this pull ends

	mu     sync.Mutex
	layers map[digest.Digest]*stagedLayer // by compressed digest
	config []byte
	cfg    *image.Config
	raw    []byte
	mt     string
	sigs   [][]byte
	done   bool
}

type stagedLayer struct {
	diffID digest.Digest
	layer  *layer.Layer
	dir    string // staged metadata dir, or "" if already committed
}

// BeginPull starts staging an image.
func (s *Store) BeginPull(ctx context.Context) (*Pull, error) {
	if s.readOnly {
		return nil, fmt.Errorf("store %s is read-only: %w", s.root, errdefs.ErrPrecondition)
	}
	gc, err := lockFile(s.path("gc.lock"), false, true)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(s.path("tmp"), "pull-")
	if err != nil {
		gc.unlock()
		return nil, err
	}
	tl, err := lockFile(filepath.Join(tmp, ".lock"), true, false)
	if err != nil {
		gc.unlock()
		os.RemoveAll(tmp)
		return nil, err
	}
	return &Pull{s: s, tmp: tmp, tmpLock: tl, gcLock: gc, layers: map[digest.Digest]*stagedLayer{}}, nil
}

// HasBlob reports whether the store already has desc: a config or
// manifest blob on disk, or a layer committed from this compressed blob,
// whose download can then be skipped.
func (p *Pull) HasBlob(desc image.Descriptor) (bool, error) {
	if image.IsLayer(desc.MediaType) {
		diffID, err := p.s.committedLayerForBlob(desc.Digest)
		if err != nil || diffID == "" {
			return false, err
		}
		p.mu.Lock()
		p.layers[desc.Digest] = &stagedLayer{diffID: diffID}
		p.mu.Unlock()
		return true, nil
	}
	st, err := os.Stat(p.s.blobPath(desc.Digest))
	return err == nil && (desc.Size < 0 || st.Size() == desc.Size), nil
}

// PutBlob stores a config or manifest blob, or unpacks a layer blob as it
// streams in (decompressing it on the way; nothing is buffered whole).
func (p *Pull) PutBlob(ctx context.Context, r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	if !image.IsLayer(desc.MediaType) {
		return p.s.writeBlob(r, desc)
	}
	vr := verify.NewReader(r, desc.Digest, desc.Size)
	var tee io.Reader = vr
	var kept *os.File
	if p.s.keepBlobs {
		f, err := os.CreateTemp(p.tmp, "blob-")
		if err != nil {
			return image.Descriptor{}, err
		}
		defer f.Close()
		kept, tee = f, io.TeeReader(vr, f)
	}
	plain, err := compression.Decompress(tee)
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	if crashpoint.Enabled() {
		plain = crashMidway(plain, desc.Size)
	}
	l, err := layer.Unpack(ctx, plain, p.s.objs, layer.Options{})
	plain.Close()
	crashpoint.Hit("store.layer-unpacked")
	if err != nil {
		return image.Descriptor{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	// The compressed stream may have bytes after the tar's end; they are
	// part of the blob, so read them for the digest check.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		return image.Descriptor{}, fmt.Errorf("layer %s: %w", desc.Digest, err)
	}
	if !vr.Verified() {
		return image.Descriptor{}, fmt.Errorf("layer %s: content does not match its digest: %w", desc.Digest, errdefs.ErrInvalidArgument)
	}
	out := desc
	out.Digest, out.Size = vr.Digest(), vr.N()
	dir := filepath.Join(p.tmp, "layer-"+out.Digest.Encoded())
	if err := l.WriteDir(dir); err != nil {
		return image.Descriptor{}, err
	}
	if kept != nil {
		if err := os.Rename(kept.Name(), p.s.blobPath(out.Digest)); err != nil {
			return image.Descriptor{}, err
		}
	}
	p.mu.Lock()
	p.layers[out.Digest] = &stagedLayer{diffID: l.DiffID(), layer: l, dir: dir}
	p.mu.Unlock()
	return out, nil
}

// SetManifest checks the manifest against its config and the layers
// staged for it: every layer's uncompressed digest must be the config's
// diffID at its position. Only single-image manifests are stored.
func (p *Pull) SetManifest(raw []byte, mediaType string) error {
	if !image.IsManifest(mediaType) {
		return fmt.Errorf("the store holds single images, not %s (copy one platform): %w", mediaType, errdefs.ErrInvalidArgument)
	}
	m, err := image.ParseManifest(raw, mediaType)
	if err != nil {
		return err
	}
	cfgRaw, err := os.ReadFile(p.s.blobPath(m.Config.Digest))
	if err != nil {
		return fmt.Errorf("config %s was not stored: %w", m.Config.Digest, notFound(err))
	}
	cfg, err := image.ParseConfig(cfgRaw)
	if err != nil {
		return err
	}
	if err := cfg.CheckLayers(m); err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, l := range m.Layers {
		st := p.layers[l.Digest]
		if st == nil {
			return fmt.Errorf("layer %d (%s) was not stored: %w", i, l.Digest, errdefs.ErrInvalidArgument)
		}
		if st.diffID != cfg.RootFS.DiffIDs[i] {
			return fmt.Errorf("layer %d (%s) unpacks to %s but the config says %s: %w", i, l.Digest, st.diffID, cfg.RootFS.DiffIDs[i], errdefs.ErrInvalidArgument)
		}
	}
	p.raw, p.mt, p.config, p.cfg = raw, mediaType, cfgRaw, cfg
	return nil
}

// SetSignatures records the manifest's signatures.
func (p *Pull) SetSignatures(sigs [][]byte) {
	p.mu.Lock()
	p.sigs = append([][]byte(nil), sigs...)
	p.mu.Unlock()
}

// Abort drops the staged data.
func (p *Pull) Abort() {
	if p.done {
		return
	}
	p.done = true
	os.RemoveAll(p.tmp)
	p.tmpLock.unlock()
	p.gcLock.unlock()
}

func (s *Store) blobPath(d digest.Digest) string {
	return s.path("blobs", d.Algorithm().String(), d.Encoded())
}

// writeBlob stores a verified blob under blobs/.
func (s *Store) writeBlob(r io.Reader, desc image.Descriptor) (image.Descriptor, error) {
	dir := s.path("blobs", "sha256")
	if desc.Digest != "" && desc.Digest.Algorithm() != digest.SHA256 {
		dir = s.path("blobs", desc.Digest.Algorithm().String())
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return image.Descriptor{}, err
		}
	}
	return blobfile.Write(dir, r, desc, func(d digest.Digest) string { return d.Encoded() }, blobfile.Options{Perm: 0o600})
}

// ReadBlob returns a stored manifest or config blob.
func (s *Store) ReadBlob(d digest.Digest) ([]byte, error) {
	raw, err := os.ReadFile(s.blobPath(d))
	if err != nil {
		return nil, notFound(err)
	}
	if d.Algorithm().FromBytes(raw) != d {
		return nil, fmt.Errorf("stored blob %s is corrupted (run ocid store check): %w", d, errdefs.ErrInvalidArgument)
	}
	return raw, nil
}

// crashMidway hits "store.layer-midway" once half a layer's compressed
// size worth of uncompressed bytes has been unpacked: a kill in the
// middle of writing objects.
func crashMidway(r io.ReadCloser, size int64) io.ReadCloser {
	return &midway{ReadCloser: r, at: max(size/2, 1)}
}

type midway struct {
	io.ReadCloser
	n, at int64
}

func (m *midway) Read(p []byte) (int, error) {
	n, err := m.ReadCloser.Read(p)
	m.n += int64(n)
	if m.n >= m.at {
		crashpoint.Hit("store.layer-midway")
	}
	return n, err
}
