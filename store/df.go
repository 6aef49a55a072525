package store

import (
	"io/fs"
	"path/filepath"
)

// Usage is what `ocid store df` reports.
type Usage struct {
	Images int `json:"images"`
	// LogicalBytes is what the images' files add up to, each image
	// counted whole, as a layer store would hold them.
	LogicalBytes int64 `json:"logicalBytes"`
	// DiskBytes is what the store occupies, each inode counted once.
	DiskBytes int64 `json:"diskBytes"`
	Objects   int   `json:"objects"`
	// DedupRatio is LogicalBytes / the bytes of the objects.
	DedupRatio  float64 `json:"dedupRatio"`
	ObjectBytes int64   `json:"objectBytes"`
}

// DiskUsage measures this store (not the additional ones).
func (s *Store) DiskUsage() (*Usage, error) {
	imgs, err := s.imagesHere()
	if err != nil {
		return nil, err
	}
	u := &Usage{Images: len(imgs)}
	for _, img := range imgs {
		u.LogicalBytes += img.Size
	}
	seen := map[[2]uint64]bool{}
	err = filepath.WalkDir(s.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // a file removed while walking
		}
		info, err := e.Info()
		if err != nil {
			return nil
		}
		if dev, ino, ok := inode(info); ok {
			if seen[[2]uint64{dev, ino}] {
				return nil
			}
			seen[[2]uint64{dev, ino}] = true
		}
		u.DiskBytes += blocks(info)
		return nil
	})
	if err != nil {
		return nil, err
	}
	u.Objects, u.ObjectBytes, err = s.objs.Count()
	if err != nil {
		return nil, err
	}
	if u.ObjectBytes > 0 {
		u.DedupRatio = float64(u.LogicalBytes) / float64(u.ObjectBytes)
	}
	return u, nil
}
