package store

import (
	"fmt"
	"os"
	"slices"

	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/ocid-project/ocid/errdefs"
)

// Untag removes one name; the image stays (possibly with no name).
func (s *Store) Untag(name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return err
	}
	return s.db.update(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketNames).Get([]byte(norm))
		if id == nil {
			return fmt.Errorf("no image named %s: %w", norm, errdefs.ErrNotFound)
		}
		img, err := getImage(tx, digest.Digest(id))
		if err != nil {
			return err
		}
		img.Names = slices.DeleteFunc(img.Names, func(n string) bool { return n == norm })
		if err := putJSON(tx.Bucket(bucketImages), []byte(img.ID), img); err != nil {
			return err
		}
		return tx.Bucket(bucketNames).Delete([]byte(norm))
	})
}

// Remove deletes an image: given by name, only that name goes unless it
// was the last one; given by ID or digest, the image goes with all its
// names. An image a container uses is kept (ErrPrecondition). Its files
// are freed by GC.
func (s *Store) Remove(ref string) (removed *Image, err error) {
	err = s.db.update(func(tx *bolt.Tx) error {
		id, err := resolveID(tx, trimAt(ref))
		if err != nil {
			return err
		}
		img, err := getImage(tx, id)
		if err != nil {
			return err
		}
		if norm, nerr := NormalizeName(ref); nerr == nil && slices.Contains(img.Names, norm) {
			if len(img.Names) > 1 {
				img.Names = slices.DeleteFunc(img.Names, func(n string) bool { return n == norm })
				if err := tx.Bucket(bucketNames).Delete([]byte(norm)); err != nil {
					return err
				}
				return putJSON(tx.Bucket(bucketImages), []byte(id), img)
			}
		}
		if user := containerUsing(tx, id); user != "" {
			return fmt.Errorf("image %s is used by container %s: %w", id, user, errdefs.ErrPrecondition)
		}
		for _, n := range img.Names {
			if err := tx.Bucket(bucketNames).Delete([]byte(n)); err != nil {
				return err
			}
		}
		for _, d := range img.Digests {
			if err := tx.Bucket(bucketDigests).Delete([]byte(d)); err != nil {
				return err
			}
		}
		removed = img
		return tx.Bucket(bucketImages).Delete([]byte(id))
	})
	if err != nil || removed == nil {
		return nil, err
	}
	// The checkout is only this image's; removing it now frees its
	// directories at once (objects and layers wait for GC).
	os.RemoveAll(s.checkoutDir(removed.ID))
	return removed, nil
}

func trimAt(s string) string {
	if len(s) > 0 && s[0] == '@' {
		return s[1:]
	}
	return s
}

func containerUsing(tx *bolt.Tx, id digest.Digest) string {
	var user string
	tx.Bucket(bucketContainers).ForEach(func(k, v []byte) error {
		var c Container
		if _, err := getJSON(tx.Bucket(bucketContainers), k, &c); err == nil && c.ImageID == id && c.ImageStore == "" {
			user = c.ID
		}
		return nil
	})
	return user
}
