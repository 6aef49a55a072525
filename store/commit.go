package store

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/internal/crashpoint"
	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/store/checkout"
	"github.com/ocid-project/ocid/store/layer"
)

// Commit publishes the staged image under names (normalised; may be
// empty). Files first — objects, layer metadata, the checkout, the
// manifest, flushed to disk — then one database transaction that makes
// the image visible.
func (p *Pull) Commit(ctx context.Context, names []string) (*Image, error) {
	defer p.Abort()
	if p.raw == nil {
		return nil, fmt.Errorf("nothing to commit: no manifest was stored: %w", errdefs.ErrInvalidArgument)
	}
	for i, n := range names {
		norm, err := NormalizeName(n)
		if err != nil {
			return nil, err
		}
		names[i] = norm
	}
	s := p.s
	id := digest.FromBytes(p.config)
	manifestDigest := digest.FromBytes(p.raw)

	if err := s.syncfs(); err != nil {
		return nil, err
	}
	crashpoint.Hit("store.before-publish")
	if err := p.publishLayers(); err != nil {
		return nil, err
	}
	crashpoint.Hit("store.layers-published")
	size, err := p.ensureCheckout(ctx, id)
	if err != nil {
		return nil, err
	}
	crashpoint.Hit("store.checkout-built")
	if _, err := s.writeBlob(bytesReader(p.raw), descriptorOf(p.raw, p.mt)); err != nil {
		return nil, err
	}
	if err := s.writeSignatures(manifestDigest, p.sigs); err != nil {
		return nil, err
	}
	if err := s.syncfs(); err != nil {
		return nil, err
	}
	crashpoint.Hit("store.before-db")
	img := &Image{
		ID: id, Digests: []digest.Digest{manifestDigest}, Manifest: manifestDigest, ManifestType: p.mt,
		Layers: p.cfg.RootFS.DiffIDs, Size: size, Stored: time.Now().UTC(),
	}
	if p.cfg.Created != nil {
		img.Created = *p.cfg.Created
	}
	err = s.db.update(func(tx *bolt.Tx) error {
		if err := p.recordLayers(tx); err != nil {
			return err
		}
		if old, err := getImage(tx, id); err == nil {
			img.Names = old.Names
			img.Digests = append(old.Digests, manifestDigest)
			slices.Sort(img.Digests)
			img.Digests = slices.Compact(img.Digests)
		}
		if err := putJSON(tx.Bucket(bucketImages), []byte(id), img); err != nil {
			return err
		}
		if err := tx.Bucket(bucketDigests).Put([]byte(manifestDigest), []byte(id)); err != nil {
			return err
		}
		for _, n := range names {
			if err := setName(tx, id, n); err != nil {
				return err
			}
		}
		got, err := getImage(tx, id)
		if err == nil {
			img = got
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	crashpoint.Hit("store.after-db")
	s.log.Debug("image stored", "image", id, "manifest", manifestDigest, "names", img.Names)
	return img, nil
}

// publishLayers moves staged layer metadata to layers/<diffid>. A layer
// another pull published first is kept (it is the same content).
func (p *Pull) publishLayers() error {
	for _, st := range p.layers {
		if st.dir == "" {
			continue
		}
		dst := p.s.layerDir(st.diffID)
		if err := os.Rename(st.dir, dst); err != nil {
			if _, statErr := os.Stat(dst); statErr != nil {
				return fmt.Errorf("publishing layer %s: %w", st.diffID, err)
			}
		}
		st.dir = ""
	}
	return fsutil.SyncDir(p.s.path("layers"))
}

func (s *Store) layerDir(diffID digest.Digest) string {
	return s.path("layers", diffID.Encoded())
}

func (s *Store) checkoutDir(id digest.Digest) string {
	return s.path("checkouts", id.Encoded())
}

// loadLayer reads a committed layer's metadata.
func (s *Store) loadLayer(diffID digest.Digest) (*layer.Layer, error) {
	l, err := layer.ReadLayer(s.layerDir(diffID))
	if err != nil {
		return nil, fmt.Errorf("layer %s: %w", diffID, err)
	}
	return l, nil
}

// ensureCheckout builds the image's checkout unless it exists, and
// returns the checkout's logical size.
func (p *Pull) ensureCheckout(ctx context.Context, id digest.Digest) (int64, error) {
	s := p.s
	dst := s.checkoutDir(id)
	if _, err := os.Stat(dst); err == nil {
		return treeSize(dst)
	}
	var layers []*layer.Layer
	for _, diffID := range p.cfg.RootFS.DiffIDs {
		l := p.stagedByDiffID(diffID)
		if l == nil {
			var err error
			if l, err = s.loadLayer(diffID); err != nil {
				return 0, err
			}
		}
		layers = append(layers, l)
	}
	tmp := filepath.Join(p.tmp, "checkout")
	if err := checkout.Build(ctx, tmp, layers, s.objs); err != nil {
		return 0, fmt.Errorf("building the checkout of %s: %w", id, err)
	}
	if err := s.syncfs(); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		if _, statErr := os.Stat(dst); statErr != nil {
			return 0, fmt.Errorf("publishing the checkout of %s: %w", id, err)
		}
	}
	return treeSize(dst)
}

func (p *Pull) stagedByDiffID(diffID digest.Digest) *layer.Layer {
	for _, st := range p.layers {
		if st.diffID == diffID && st.layer != nil {
			return st.layer
		}
	}
	return nil
}

// recordLayers writes the layer records and the blob → layer map.
func (p *Pull) recordLayers(tx *bolt.Tx) error {
	lb, bb := tx.Bucket(bucketLayers), tx.Bucket(bucketBlobLayers)
	for blob, st := range p.layers {
		var rec layerRecord
		if _, err := getJSON(lb, []byte(st.diffID), &rec); err != nil {
			return err
		}
		rec.DiffID = st.diffID
		if st.layer != nil {
			rec.Size, rec.Files = st.layer.Size(), st.layer.Files()
		}
		if !slices.Contains(rec.Blobs, blob) {
			rec.Blobs = append(rec.Blobs, blob)
			sort.Slice(rec.Blobs, func(i, j int) bool { return rec.Blobs[i] < rec.Blobs[j] })
		}
		if err := putJSON(lb, []byte(st.diffID), &rec); err != nil {
			return err
		}
		if err := bb.Put([]byte(blob), []byte(st.diffID)); err != nil {
			return err
		}
	}
	return nil
}

// committedLayerForBlob returns the diffID of a committed layer that
// arrived as blob, or "".
func (s *Store) committedLayerForBlob(blob digest.Digest) (digest.Digest, error) {
	var diffID digest.Digest
	err := s.db.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketBlobLayers).Get([]byte(blob)); v != nil {
			diffID = digest.Digest(v)
		}
		return nil
	})
	if err != nil || diffID == "" {
		return "", err
	}
	if _, err := os.Stat(s.layerDir(diffID)); err != nil {
		return "", nil
	}
	return diffID, nil
}

// writeSignatures replaces the stored signatures of a manifest.
func (s *Store) writeSignatures(manifest digest.Digest, sigs [][]byte) error {
	if len(sigs) == 0 {
		return nil
	}
	tmp, err := os.MkdirTemp(s.path("tmp"), "sigs-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for i, sig := range sigs {
		if err := os.WriteFile(filepath.Join(tmp, "signature-"+strconv.Itoa(i+1)), sig, 0o600); err != nil {
			return err
		}
	}
	return fsutil.ReplaceDir(tmp, s.path("signatures", manifest.Encoded()))
}

// Signatures returns the stored signatures of a manifest.
func (s *Store) Signatures(manifest digest.Digest) ([][]byte, error) {
	var sigs [][]byte
	for n := 1; ; n++ {
		b, err := os.ReadFile(s.path("signatures", manifest.Encoded(), "signature-"+strconv.Itoa(n)))
		if err != nil {
			if os.IsNotExist(err) {
				return sigs, nil
			}
			return nil, err
		}
		sigs = append(sigs, b)
	}
}

// syncfs flushes the store's file system once: cheaper than an fsync per
// object, and it covers every object and directory written so far.
func (s *Store) syncfs() error {
	f, err := os.Open(s.root)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", s.root, err)
	}
	return nil
}

// treeSize sums the sizes of the regular files under dir.
func treeSize(dir string) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}

// SetSignatures replaces the stored signatures of img's manifest.
func (s *Store) SetSignatures(img *Image, sigs [][]byte) error {
	if img.ReadOnlyStore != "" {
		return fmt.Errorf("image %s is in the read-only store %s: %w", img.ID, img.ReadOnlyStore, errdefs.ErrPrecondition)
	}
	if len(sigs) == 0 {
		return os.RemoveAll(s.path("signatures", img.Manifest.Encoded()))
	}
	return s.writeSignatures(img.Manifest, sigs)
}
