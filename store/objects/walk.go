package objects

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

// Info describes a stored object for the garbage collector.
type Info struct {
	Key    Key
	Size   int64  // content length
	Nlink  uint64 // links of the main copy: 1 means no checkout links it
	Copies int    // 1 + the number of overflow copies
}

// ErrStopWalk may be returned by a Walk callback to end the walk early
// without an error.
var ErrStopWalk = errors.New("stop walk")

// Walk calls fn for every object, in no particular order. Names in the
// fan-out directories that are not objects are ignored. Objects put while
// Walk runs may or may not be seen.
func (s *Store) Walk(fn func(Info) error) error {
	const digits = "0123456789abcdef"
	for i := range 256 {
		fan := string([]byte{digits[i>>4], digits[i&0xf]})
		d, err := os.Open(s.dir + "/" + fan)
		if err != nil {
			return fmt.Errorf("walk objects: %w", err)
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return fmt.Errorf("walk objects: %s: %w", fan, err)
		}
		copies := make(map[Key]int)
		var order []Key
		for _, name := range names {
			base, suffix, overflow := strings.Cut(name, ".")
			var k Key
			if len(base) != 2*len(k)-2 || strings.ToLower(base) != base {
				continue
			}
			if _, err := hex.Decode(k[1:], []byte(base)); err != nil {
				continue
			}
			k[0] = byte(i)
			if overflow {
				if n, err := strconv.Atoi(suffix); err != nil || n < 1 {
					continue
				}
			}
			if _, seen := copies[k]; !seen {
				order = append(order, k)
			}
			copies[k]++
		}
		for _, k := range order {
			info := Info{Key: k, Copies: copies[k]}
			var buf [65]byte
			var st unix.Stat_t
			err := unix.Fstatat(s.dirfd, string(k.relPath(&buf)), &st, unix.AT_SYMLINK_NOFOLLOW)
			if err == nil {
				info.Size, info.Nlink = st.Size, st.Nlink
			} else if !errors.Is(err, unix.ENOENT) {
				return fmt.Errorf("walk objects: %s: %w", k, err)
			}
			if err := fn(info); err != nil {
				if errors.Is(err, ErrStopWalk) {
					return nil
				}
				return err
			}
		}
	}
	return nil
}

// Remove deletes the object and its overflow copies. Checkouts that link it
// keep their links. It fails with errdefs.ErrNotFound when nothing was
// there. The caller (GC) must make sure no Put or LinkInto of this key runs
// at the same time.
func (s *Store) Remove(key Key) error {
	s.overflow.Delete(key)
	var buf [65]byte
	found := false
	rel := string(key.relPath(&buf))
	for n := 0; n <= maxCopies; n++ {
		name := rel
		if n > 0 {
			name = overflowRel(key, n)
		}
		err := unix.Unlinkat(s.dirfd, name, 0)
		if errors.Is(err, unix.ENOENT) {
			if n == 0 {
				continue // copies may outlive a main copy removed by hand
			}
			break
		}
		if err != nil {
			return fmt.Errorf("remove object %s: %w", name, err)
		}
		found = true
	}
	if !found {
		return fmt.Errorf("remove object %s: %w", key, errdefs.ErrNotFound)
	}
	return nil
}
