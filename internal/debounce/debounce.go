// Package debounce runs a function once a burst of triggers is over:
// the daemon collects the image store after the last of several
// removals, and returns free heap after the last of several requests.
package debounce

import (
	"sync"
	"time"
)

// Func calls Fn Delay after the last Trigger, once per burst, never two
// calls at a time. The zero value is not usable: set Fn and Delay.
type Func struct {
	Fn    func()
	Delay time.Duration

	mu      sync.Mutex
	timer   *time.Timer
	pending bool // triggered since the last call
	stopped bool
	running sync.Mutex // held by a call
}

// Trigger (re)starts the quiet period; after Stop it does nothing.
func (d *Func) Trigger() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stopped {
		return
	}
	d.pending = true
	if d.timer != nil {
		d.timer.Reset(d.Delay)
		return
	}
	d.timer = time.AfterFunc(d.Delay, d.run)
}

// Stop ends the debouncing and waits for a call in progress. With flush,
// a pending burst gets its call now; without, it is dropped.
func (d *Func) Stop(flush bool) {
	d.mu.Lock()
	d.stopped = true
	if d.timer != nil {
		d.timer.Stop()
	}
	if !flush {
		d.pending = false
	}
	d.mu.Unlock()
	d.run()
}

// run calls Fn if a trigger is pending.
func (d *Func) run() {
	d.running.Lock()
	defer d.running.Unlock()
	d.mu.Lock()
	pending := d.pending
	d.pending = false
	d.mu.Unlock()
	if pending {
		d.Fn()
	}
}
