package store

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"
	bolt "go.etcd.io/bbolt"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
)

// NormalizeName turns a name as people write it (busybox, quay.io/x:1)
// into the form the store records (docker.io/library/busybox:latest).
func NormalizeName(s string) (string, error) {
	named, err := image.ParseDockerReference(s)
	if err != nil {
		return "", err
	}
	if _, ok := named.(reference.Digested); ok {
		return "", fmt.Errorf("image name %q: a stored image is named by tag, not digest: %w", s, errdefs.ErrInvalidArgument)
	}
	return image.WithDefaultTag(named).String(), nil
}

var shortID = regexp.MustCompile(`^[a-f0-9]{3,64}$`)

// Lookup finds an image by name (normalised), by ID or manifest digest
// (sha256:…), or by an unambiguous prefix of its ID's hex (as docker
// accepts), in this store first, then the additional stores.
func (s *Store) Lookup(ref string) (*Image, error) {
	img, err := s.lookupHere(ref)
	if err == nil || !errdefs.IsNotFound(err) {
		return img, err
	}
	for _, add := range s.additional {
		if img, err := add.lookupHere(ref); err == nil {
			img.ReadOnlyStore = add.root
			return img, nil
		} else if !errdefs.IsNotFound(err) {
			return nil, err
		}
	}
	return nil, err
}

func (s *Store) lookupHere(ref string) (*Image, error) {
	ref = strings.TrimPrefix(ref, "@")
	var img *Image
	err := s.db.view(func(tx *bolt.Tx) error {
		id, err := resolveID(tx, ref)
		if err != nil {
			return err
		}
		img, err = getImage(tx, id)
		return err
	})
	return img, err
}

// resolveID maps a name, digest or ID prefix to an image ID.
func resolveID(tx *bolt.Tx, ref string) (digest.Digest, error) {
	if d, err := digest.Parse(ref); err == nil {
		if tx.Bucket(bucketImages).Get([]byte(d)) != nil {
			return d, nil
		}
		if id := tx.Bucket(bucketDigests).Get([]byte(d)); id != nil {
			return digest.Digest(id), nil
		}
		return "", fmt.Errorf("no image with ID or digest %s: %w", d, errdefs.ErrNotFound)
	}
	if shortID.MatchString(ref) {
		var found []digest.Digest
		c := tx.Bucket(bucketImages).Cursor()
		prefix := []byte("sha256:" + ref)
		for k, _ := c.Seek(prefix); k != nil && strings.HasPrefix(string(k), string(prefix)); k, _ = c.Next() {
			found = append(found, digest.Digest(k))
		}
		if len(found) == 1 {
			return found[0], nil
		}
		if len(found) > 1 {
			return "", fmt.Errorf("image ID prefix %q is ambiguous (%d images): %w", ref, len(found), errdefs.ErrInvalidArgument)
		}
	}
	if named, err := image.ParseDockerReference(ref); err == nil {
		if d, ok := named.(reference.Digested); ok {
			// name@digest: the manifest digest decides.
			if id := tx.Bucket(bucketDigests).Get([]byte(d.Digest())); id != nil {
				return digest.Digest(id), nil
			}
			return "", fmt.Errorf("no image %s: %w", ref, errdefs.ErrNotFound)
		}
	}
	name, err := NormalizeName(ref)
	if err != nil {
		return "", fmt.Errorf("no image %q: %w", ref, errdefs.ErrNotFound)
	}
	id := tx.Bucket(bucketNames).Get([]byte(name))
	if id == nil {
		return "", fmt.Errorf("no image named %s: %w", name, errdefs.ErrNotFound)
	}
	return digest.Digest(id), nil
}

func getImage(tx *bolt.Tx, id digest.Digest) (*Image, error) {
	var img Image
	ok, err := getJSON(tx.Bucket(bucketImages), []byte(id), &img)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("no image %s: %w", id, errdefs.ErrNotFound)
	}
	return &img, nil
}

// Images lists every image, this store's first, then each additional
// store's (an image present in both is listed once, from this store).
func (s *Store) Images() ([]Image, error) {
	imgs, err := s.imagesHere()
	if err != nil {
		return nil, err
	}
	seen := map[digest.Digest]bool{}
	for _, img := range imgs {
		seen[img.ID] = true
	}
	for _, add := range s.additional {
		more, err := add.imagesHere()
		if err != nil {
			return nil, fmt.Errorf("additional store %s: %w", add.root, err)
		}
		for _, img := range more {
			if !seen[img.ID] {
				img.ReadOnlyStore = add.root
				imgs = append(imgs, img)
				seen[img.ID] = true
			}
		}
	}
	return imgs, nil
}

func (s *Store) imagesHere() ([]Image, error) {
	var imgs []Image
	err := s.db.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketImages).ForEach(func(k, v []byte) error {
			var img Image
			if _, err := getJSON(tx.Bucket(bucketImages), k, &img); err != nil {
				return err
			}
			imgs = append(imgs, img)
			return nil
		})
	})
	sort.Slice(imgs, func(i, j int) bool { return imgs[i].Stored.After(imgs[j].Stored) })
	return imgs, err
}

// Tag adds a name to an image (taking it from any image that had it).
func (s *Store) Tag(ref, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return err
	}
	return s.db.update(func(tx *bolt.Tx) error {
		id, err := resolveID(tx, ref)
		if err != nil {
			return err
		}
		return setName(tx, id, norm)
	})
}

// setName points name at id, removing it from its previous image.
func setName(tx *bolt.Tx, id digest.Digest, name string) error {
	names := tx.Bucket(bucketNames)
	if old := names.Get([]byte(name)); old != nil && digest.Digest(old) != id {
		prev, err := getImage(tx, digest.Digest(old))
		if err == nil {
			prev.Names = slices.DeleteFunc(prev.Names, func(n string) bool { return n == name })
			if err := putJSON(tx.Bucket(bucketImages), []byte(prev.ID), prev); err != nil {
				return err
			}
		}
	}
	img, err := getImage(tx, id)
	if err != nil {
		return err
	}
	if !slices.Contains(img.Names, name) {
		img.Names = append(img.Names, name)
		sort.Strings(img.Names)
	}
	if err := putJSON(tx.Bucket(bucketImages), []byte(id), img); err != nil {
		return err
	}
	return names.Put([]byte(name), []byte(id))
}
