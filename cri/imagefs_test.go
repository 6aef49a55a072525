package cri

import (
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
