package debounce

import (
	"sync/atomic"
	"testing"
	"time"
)

// A burst of triggers is followed by one call, after the last.
func TestBurstCallsOnce(t *testing.T) {
	called := make(chan struct{}, 10)
	var n atomic.Int64
	d := &Func{Delay: time.Millisecond, Fn: func() { n.Add(1); called <- struct{}{} }}
	d.Trigger()
	<-called
	if n.Load() != 1 {
		t.Fatalf("%d calls", n.Load())
	}
	d.Stop(true) // nothing pending: no call
	if n.Load() != 1 || len(called) != 0 {
		t.Fatalf("%d calls after stop with nothing pending", n.Load())
	}
}

// Stop with flush calls once for a pending burst; none after.
func TestStopFlush(t *testing.T) {
	var n atomic.Int64
	d := &Func{Delay: time.Hour, Fn: func() { n.Add(1) }}
	d.Trigger()
	d.Trigger()
	d.Trigger()
	d.Stop(true)
	if n.Load() != 1 {
		t.Fatalf("%d calls at stop, want 1", n.Load())
	}
	d.Trigger()
	d.run() // a timer that fired just as Stop ran
	if n.Load() != 1 {
		t.Fatalf("%d calls after stop", n.Load())
	}
}

// Stop without flush drops a pending burst.
func TestStopDrop(t *testing.T) {
	var n atomic.Int64
	d := &Func{Delay: time.Hour, Fn: func() { n.Add(1) }}
	d.Trigger()
	d.Stop(false)
	d.run()
	if n.Load() != 0 {
		t.Fatalf("%d calls after a dropped burst", n.Load())
	}
}
