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

// gcDebounce runs the store's garbage collection once removals have
// paused for a moment: the kubelet's image GC removes several images in a
// row, and a collection takes the store's exclusive lock (pulls wait for
// it) and walks every file object, so one collection after the last
// removal does the work of all of them.
type gcDebounce struct {
	collect func(context.Context) (*store.GCStats, error)
	delay   time.Duration
	log     *slog.Logger
	done    func() // after each collection (the usage is stale)

	mu      sync.Mutex
	timer   *time.Timer
	pending bool // a removal since the last collection
	stopped bool
	running sync.Mutex // held by a collection
}

func (g *gcDebounce) schedule() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return
	}
	g.pending = true
	if g.timer != nil {
		g.timer.Reset(g.delay)
		return
	}
	g.timer = time.AfterFunc(g.delay, g.run)
}

// stop collects now what removals left pending (the daemon is going
// away; the next one would not know) and waits for a running collection.
func (g *gcDebounce) stop() {
	g.mu.Lock()
	g.stopped = true
	if g.timer != nil {
		g.timer.Stop()
	}
	g.mu.Unlock()
	g.run()
}

// run collects if a removal is pending; one collection at a time.
func (g *gcDebounce) run() {
	g.running.Lock()
	defer g.running.Unlock()
	g.mu.Lock()
	pending := g.pending
	g.pending = false
	g.mu.Unlock()
	if !pending {
		return
	}
	st, err := g.collect(context.Background())
	if err != nil {
		g.log.Warn("image store garbage collection failed", "error", err)
	} else {
		g.log.Debug("image store garbage collected", "objects", st.Objects, "layers", st.Layers, "bytes", st.Bytes)
	}
	g.done()
}
