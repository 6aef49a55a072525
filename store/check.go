package store

import (
	"context"
	"fmt"
	"os"
	"slices"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/store/objects"
)

// Problem is damage check found.
type Problem struct {
	Image  digest.Digest `json:"image,omitempty"`
	Layer  digest.Digest `json:"layer,omitempty"`
	Object string        `json:"object,omitempty"`
	What   string        `json:"what"`
}

// Report is the result of Check.
type Report struct {
	Images   int       `json:"images"`
	Layers   int       `json:"layers"`
	Objects  int       `json:"objectsChecked"`
	Problems []Problem `json:"problems"`
	// Reclaimable counts unreferenced files a crash or a removal left;
	// they are not damage, and `ocid store gc` removes them.
	Reclaimable GCStats `json:"reclaimable"`
}

// Clean reports whether no damage was found.
func (r *Report) Clean() bool { return len(r.Problems) == 0 }

// Check verifies the store: every image's manifest and config blobs hash
// to their digests, its layers are recorded and readable, its checkout
// exists, every file object its layers need exists and (unless quick)
// still hashes to its key, so a byte changed on disk is found.
func (s *Store) Check(ctx context.Context, quick bool) (*Report, error) {
	imgs, err := s.imagesHere()
	if err != nil {
		return nil, err
	}
	r := &Report{Images: len(imgs), Problems: []Problem{}}
	layerImages := map[digest.Digest][]digest.Digest{}
	for _, img := range imgs {
		for _, d := range []digest.Digest{img.Manifest, img.ID} {
			if _, err := s.ReadBlob(d); err != nil {
				r.Problems = append(r.Problems, Problem{Image: img.ID, What: fmt.Sprintf("blob %s: %v", d, err)})
			}
		}
		if _, err := os.Stat(s.checkoutDir(img.ID)); err != nil {
			r.Problems = append(r.Problems, Problem{Image: img.ID, What: "checkout missing: " + err.Error()})
		}
		for _, l := range img.Layers {
			layerImages[l] = append(layerImages[l], img.ID)
		}
	}
	checked := map[objects.Key]bool{}
	for diffID, users := range layerImages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r.Layers++
		l, err := s.loadLayer(diffID)
		if err != nil {
			for _, u := range users {
				r.Problems = append(r.Problems, Problem{Image: u, Layer: diffID, What: err.Error()})
			}
			continue
		}
		for _, key := range l.ObjectKeys() {
			if checked[key] {
				continue
			}
			checked[key] = true
			r.Objects++
			var err error
			if quick {
				err = s.objs.Exists(key)
			} else {
				err = s.objs.Verify(key)
			}
			if err != nil {
				for _, u := range users {
					r.Problems = append(r.Problems, Problem{Image: u, Layer: diffID, Object: key.String(), What: err.Error()})
				}
			}
		}
	}
	reclaim, err := s.reclaimable()
	if err != nil {
		return nil, err
	}
	r.Reclaimable = *reclaim
	return r, nil
}

// reclaimable counts what GC would remove, without removing it.
func (s *Store) reclaimable() (*GCStats, error) {
	refs, err := s.references()
	if err != nil {
		return nil, err
	}
	count := func(dir string, keep map[string]bool) int {
		entries, _ := os.ReadDir(s.path(dir))
		n := 0
		for _, e := range entries {
			if !keep[e.Name()] {
				n++
			}
		}
		return n
	}
	st := &GCStats{
		Checkouts: count("checkouts", refs.checkouts),
		Layers:    count("layers", refs.layers),
		Blobs:     count("blobs/sha256", refs.blobs),
	}
	entries, _ := os.ReadDir(s.path("tmp"))
	st.Temp = len(entries)
	keep := map[objects.Key]bool{}
	for hex := range refs.layers {
		l, err := s.loadLayer(digest.NewDigestFromEncoded(digest.SHA256, hex))
		if err != nil {
			continue
		}
		for _, k := range l.ObjectKeys() {
			keep[k] = true
		}
	}
	n, err := s.objs.CountUnreferenced(func(key objects.Key) bool { return keep[key] })
	st.Objects = n
	return st, err
}

// Repair removes what Check found damaged: the damaged images (to be
// pulled again), the objects that no longer match their key and the
// layers that need them; then collects garbage. It returns the images it
// removed.
func (s *Store) Repair(ctx context.Context) ([]digest.Digest, error) {
	r, err := s.Check(ctx, false)
	if err != nil {
		return nil, err
	}
	var removed []digest.Digest
	for _, p := range r.Problems {
		if key, err := objects.ParseKey(p.Object); p.Object != "" && err == nil {
			s.objs.Remove(key)
		}
		if p.Layer != "" {
			os.RemoveAll(s.layerDir(p.Layer))
		}
		if p.Image != "" && !slices.Contains(removed, p.Image) {
			if _, err := s.Remove(p.Image.String()); err != nil && !isNotFound(err) {
				return removed, fmt.Errorf("removing damaged image %s: %w", p.Image, err)
			}
			removed = append(removed, p.Image)
		}
	}
	if _, err := s.GC(ctx); err != nil {
		return removed, err
	}
	return removed, nil
}
