package cri

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ocid-project/ocid/store"
)

// fakeMeasure counts measurements and reports each on a channel; the
// usage it returns is the measurement's number.
type fakeMeasure struct {
	n    atomic.Int64
	fail atomic.Bool
}

func (f *fakeMeasure) measure() (*store.Usage, error) {
	n := f.n.Add(1)
	if f.fail.Load() {
		return nil, errors.New("walk failed")
	}
	return &store.Usage{Images: int(n)}, nil
}

func TestUsageCache(t *testing.T) {
	f := &fakeMeasure{}
	refreshed := make(chan struct{}, 10)
	c := &usageCache{measure: f.measure, log: slog.New(slog.DiscardHandler), refreshed: func() { refreshed <- struct{}{} }}

	// The first request measures itself.
	u, at, err := c.get()
	if err != nil || u.Images != 1 || at.IsZero() {
		t.Fatalf("first get: %v %v %v", u, at, err)
	}
	// Fresh: answered from the cache.
	if u, at2, _ := c.get(); u.Images != 1 || at2 != at || f.n.Load() != 1 {
		t.Fatalf("cached get measured again: %v, %d measurements", u, f.n.Load())
	}
	// Stale but younger than the minimum age: still served.
	c.minAge = time.Hour
	c.invalidate()
	if u, _, _ := c.get(); u.Images != 1 || f.n.Load() != 1 {
		t.Fatalf("a young stale measurement was redone: %v, %d measurements", u, f.n.Load())
	}
	c.minAge = 0
	// Stale: the old measurement is served while a new one runs.
	c.invalidate()
	if u, _, _ := c.get(); u.Images != 1 {
		t.Fatalf("stale get: %v", u)
	}
	<-refreshed
	if u, _, _ := c.get(); u.Images != 2 || f.n.Load() != 2 {
		t.Fatalf("after refresh: %v, %d measurements", u, f.n.Load())
	}
	// A failed background measurement keeps the last good one.
	f.fail.Store(true)
	c.invalidate()
	c.get()
	<-refreshed
	if u, _, err := c.get(); err != nil || u.Images != 2 {
		t.Fatalf("after a failed refresh: %v %v", u, err)
	}
}

func TestUsageCacheFirstError(t *testing.T) {
	f := &fakeMeasure{}
	f.fail.Store(true)
	c := &usageCache{measure: f.measure, log: slog.New(slog.DiscardHandler)}
	if _, _, err := c.get(); err == nil {
		t.Fatal("no measurement and no error")
	}
}

func TestGCDebounce(t *testing.T) {
	ran := make(chan struct{}, 10)
	var n atomic.Int64
	collect := func(context.Context) (*store.GCStats, error) { n.Add(1); return &store.GCStats{}, nil }

	// Removals in a row: one collection, after the last.
	g := &gcDebounce{collect: collect, delay: time.Millisecond, log: slog.New(slog.DiscardHandler), done: func() { ran <- struct{}{} }}
	g.schedule()
	<-ran
	if n.Load() != 1 {
		t.Fatalf("%d collections", n.Load())
	}
	g.stop()

	// Removals pending when the daemon stops are collected then, once;
	// none is scheduled after.
	n.Store(0)
	g = &gcDebounce{collect: collect, delay: time.Hour, log: slog.New(slog.DiscardHandler), done: func() { ran <- struct{}{} }}
	g.schedule()
	g.schedule()
	g.schedule()
	g.stop()
	if n.Load() != 1 || len(ran) != 1 {
		t.Fatalf("%d collections at stop, want 1", n.Load())
	}
	<-ran
	g.schedule()
	g.run() // a timer that fired just as stop ran
	if n.Load() != 1 || len(ran) != 0 {
		t.Fatalf("%d collections after stop", n.Load())
	}
	// Nothing pending: stop collects nothing.
	n.Store(0)
	g = &gcDebounce{collect: collect, delay: time.Hour, log: slog.New(slog.DiscardHandler), done: func() { ran <- struct{}{} }}
	g.stop()
	if n.Load() != 0 {
		t.Fatalf("%d collections with nothing removed", n.Load())
	}
}
