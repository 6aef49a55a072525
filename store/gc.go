package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/ocid-project/ocid/store/objects"
)

// GCStats says what a collection removed.
type GCStats struct {
	Layers, Checkouts, Blobs, Objects, Temp int
	Bytes                                   int64
}

// GC removes what no image or container references: checkouts, layer
// metadata, blobs, signatures, file objects and stale temporary files. It
// waits for pulls in progress to end (they hold gc.lock shared), so it
// never removes what a pull has written but not yet committed.
func (s *Store) GC(ctx context.Context) (*GCStats, error) {
	lock, err := lockFile(s.path("gc.lock"), true, true)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	return s.collect(ctx)
}

// refs is what the database references.
type refs struct {
	layers, checkouts, blobs, sigs map[string]bool // hex names
}

func (s *Store) references() (*refs, error) {
	r := &refs{layers: map[string]bool{}, checkouts: map[string]bool{}, blobs: map[string]bool{}, sigs: map[string]bool{}}
	err := s.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, _ []byte) error {
			img, err := getImage(tx, digest.Digest(k))
			if err != nil {
				return err
			}
			r.checkouts[img.ID.Encoded()] = true
			r.blobs[img.ID.Encoded()] = true
			for _, d := range img.Digests {
				r.blobs[d.Encoded()] = true
				r.sigs[d.Encoded()] = true
			}
			for _, l := range img.Layers {
				r.layers[l.Encoded()] = true
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	// Layer blobs kept on disk (keep_layer_blobs) stay with their layer.
	err = s.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketBlobLayers).ForEach(func(blob, diffID []byte) error {
			if r.layers[digest.Digest(diffID).Encoded()] {
				r.blobs[digest.Digest(blob).Encoded()] = true
			}
			return nil
		})
	})
	return r, err
}

func (s *Store) collect(ctx context.Context) (*GCStats, error) {
	st := &GCStats{}
	st.Temp = s.cleanStaleTemp()
	s.objs.CleanTemp() // only under the exclusive lock: pulls stage objects there
	r, err := s.references()
	if err != nil {
		return nil, err
	}
	st.Checkouts = s.removeUnlisted("checkouts", r.checkouts, &st.Bytes)
	st.Layers = s.removeUnlisted("layers", r.layers, &st.Bytes)
	st.Blobs = s.removeUnlisted("blobs/sha256", r.blobs, &st.Bytes)
	s.removeUnlisted("signatures", r.sigs, &st.Bytes)
	if err := s.forgetLayers(r.layers); err != nil {
		return nil, err
	}
	keep := map[objects.Key]bool{}
	for hex := range r.layers {
		l, err := s.loadLayer(digest.NewDigestFromEncoded(digest.SHA256, hex))
		if err != nil {
			return nil, fmt.Errorf("gc: an image's layer is unreadable (run ocid store check): %w", err)
		}
		for _, k := range l.ObjectKeys() {
			keep[k] = true
		}
	}
	n, b, err := s.objs.RemoveUnreferenced(func(key objects.Key) bool { return keep[key] })
	if err != nil {
		return nil, err
	}
	st.Objects, st.Bytes = n, st.Bytes+b
	return st, s.syncfs()
}

// removeUnlisted removes the entries of a directory whose names are not
// in keep (a temporary name from a crashed writer included).
func (s *Store) removeUnlisted(dir string, keep map[string]bool, bytes *int64) int {
	entries, err := os.ReadDir(s.path(dir))
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if keep[e.Name()] {
			continue
		}
		p := s.path(dir, e.Name())
		*bytes += duBytes(p)
		if err := os.RemoveAll(p); err == nil {
			n++
		} else {
			s.log.Warn("gc: cannot remove", "path", p, "error", err)
		}
	}
	return n
}

// forgetLayers drops database records of layers no image uses.
func (s *Store) forgetLayers(keep map[string]bool) error {
	return s.db.update(func(tx *bolt.Tx) error {
		lb, bb := tx.Bucket(bucketLayers), tx.Bucket(bucketBlobLayers)
		var drop [][]byte
		lb.ForEach(func(k, _ []byte) error {
			if !keep[digest.Digest(k).Encoded()] {
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		for _, k := range drop {
			if err := lb.Delete(k); err != nil {
				return err
			}
		}
		var dropBlobs [][]byte
		bb.ForEach(func(blob, diffID []byte) error {
			if !keep[digest.Digest(diffID).Encoded()] {
				dropBlobs = append(dropBlobs, append([]byte(nil), blob...))
			}
			return nil
		})
		for _, k := range dropBlobs {
			if err := bb.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// cleanStaleTemp removes temporary directories whose owner died: each
// live pull holds an exclusive lock on its directory's .lock file.
func (s *Store) cleanStaleTemp() int {
	entries, err := os.ReadDir(s.path("tmp"))
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		p := s.path("tmp", e.Name())
		if e.IsDir() && strings.HasPrefix(e.Name(), "pull-") {
			l, err := lockFile(filepath.Join(p, ".lock"), true, false)
			if err != nil {
				continue // alive
			}
			os.RemoveAll(p)
			l.unlock()
			n++
			continue
		}
		os.RemoveAll(p)
		n++
	}
	return n
}

// afterBoot runs once per boot (a marker in the volatile runroot says it
// ran): objects written by a pull that died in a machine crash may be
// incomplete on disk, and a later pull would reuse them; so the first
// store user after boot removes everything unreferenced first.
func (s *Store) afterBoot() error {
	if s.runroot == "" {
		return nil
	}
	marker := filepath.Join(s.runroot, "store-swept")
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	lock, err := lockFile(s.path("gc.lock"), true, true)
	if err != nil {
		return err
	}
	defer lock.unlock()
	if _, err := os.Stat(marker); err == nil {
		return nil
	}
	if _, err := s.collect(context.Background()); err != nil {
		return fmt.Errorf("post-boot sweep of %s: %w", s.root, err)
	}
	return os.WriteFile(marker, nil, 0o600)
}

// duBytes is the disk usage of a path (blocks, not apparent size).
func duBytes(p string) int64 {
	var total int64
	filepath.Walk(p, func(_ string, info os.FileInfo, err error) error {
		if err == nil {
			total += blocks(info)
		}
		return nil
	})
	return total
}
