package objects

import (
	"errors"
	"fmt"

	"github.com/ocid-project/ocid/errdefs"
)

// Count returns the number of objects and the bytes of their content
// (overflow copies counted once: they are the same object).
func (s *Store) Count() (n int, bytes int64, err error) {
	err = s.Walk(func(i Info) error {
		n++
		bytes += i.Size
		return nil
	})
	return n, bytes, err
}

// CountUnreferenced returns how many objects RemoveUnreferenced would
// remove.
func (s *Store) CountUnreferenced(keep func(Key) bool) (int, error) {
	n := 0
	err := s.Walk(func(i Info) error {
		if !keep(i.Key) {
			n++
		}
		return nil
	})
	return n, err
}

// RemoveUnreferenced removes every object for which keep returns false and
// returns how many it removed and the bytes their content took (once per
// object; checkouts still linking one keep its inode alive). Run it under
// the store's exclusive lock: a Put racing with it could lose its object.
func (s *Store) RemoveUnreferenced(keep func(Key) bool) (n int, bytes int64, err error) {
	var errs []error
	werr := s.Walk(func(i Info) error {
		if keep(i.Key) {
			return nil
		}
		if err := s.Remove(i.Key); err != nil && !errors.Is(err, errdefs.ErrNotFound) {
			errs = append(errs, err)
			return nil
		}
		n++
		bytes += i.Size
		return nil
	})
	if werr != nil {
		errs = append(errs, werr)
	}
	if err := errors.Join(errs...); err != nil {
		return n, bytes, fmt.Errorf("remove unreferenced objects: %w", err)
	}
	return n, bytes, nil
}
