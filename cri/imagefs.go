package cri

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/ocid-project/ocid/store"
)

// The image file system's usage takes a walk of the whole store (each
// inode counted once), tens of milliseconds with a few images and more
// with many. Clients ask for it far more often than it changes: the
// kubelet's image and eviction managers every few seconds, and every
// crictl image command once to check the connection. So ImageFsInfo
// answers from the last measurement, and a measurement older than
// usageMaxAge, or one a pull or removal made stale and older than
// usageMinAge, is redone in the background (one at a time) while the old
// one is served: a burst of pulls and removals costs one walk a second at
// most. Only the very
// first request waits for a walk; the daemon starts one when it starts.
const (
	usageMaxAge = 10 * time.Second
	usageMinAge = time.Second
)

// gcDelay is how long removals must pause before the store is collected.
const gcDelay = time.Second

type usageCache struct {
	measure func() (*store.Usage, error)
	log     *slog.Logger

	mu      sync.Mutex
	last    *store.Usage
	at      time.Time
	stale   bool
	running bool // a background measurement
	// minAge is usageMinAge (tests set 0).
	minAge time.Duration
	// refreshed, when set, is called after each background measurement.
	refreshed func()
}

// get returns the last measurement and when it was made; only when there
// is none yet does the request measure (a failure is then its error).
func (c *usageCache) get() (*store.Usage, time.Time, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last != nil {
		if age := time.Since(c.at); (c.stale && age > c.minAge) || age > usageMaxAge {
			c.startLocked()
		}
		return c.last, c.at, nil
	}
	c.mu.Unlock()
	u, err := c.measure()
	c.mu.Lock()
	if err != nil {
		return nil, time.Time{}, err
	}
	if c.last == nil {
		c.last, c.at = u, time.Now()
	}
	return c.last, c.at, nil
}

// invalidate marks the measurement stale: the next request starts a new
// one (and is still answered with this one).
func (c *usageCache) invalidate() {
	c.mu.Lock()
	c.stale = true
	c.mu.Unlock()
}

// refresh starts a measurement in the background (at daemon start).
func (c *usageCache) refresh() {
	c.mu.Lock()
	c.startLocked()
	c.mu.Unlock()
}

func (c *usageCache) startLocked() {
	if c.running {
		return
	}
	c.running, c.stale = true, false
	go func() {
		u, err := c.measure()
		c.mu.Lock()
		c.running = false
		if err != nil {
			c.log.Warn("measuring the image store's usage failed", "error", err)
		} else {
			c.last, c.at = u, time.Now()
		}
		c.mu.Unlock()
		if c.refreshed != nil {
			c.refreshed()
		}
	}()
}

// collectStore runs the store's garbage collection (debounced by s.gc:
// the kubelet's image GC removes several images in a row, and a
// collection takes the store's exclusive lock, so pulls wait for it, and
// walks every file object; one collection after the last removal does
// the work of all of them).
func (s *Server) collectStore() {
	st, err := s.st.GC(context.Background())
	if err != nil {
		s.log.Warn("image store garbage collection failed", "error", err)
	} else {
		s.log.Debug("image store garbage collected", "objects", st.Objects, "layers", st.Layers, "bytes", st.Bytes)
	}
	s.usage.invalidate()
}
