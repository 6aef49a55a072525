// Package undo is the stack of steps that take back a multi-step
// operation done so far: each step registers its undo as it succeeds,
// and a failure runs them in reverse order.
package undo

// Stack collects undo steps.
type Stack struct{ steps []func() }

// Add registers the undo of a step that just succeeded.
func (u *Stack) Add(f func()) { u.steps = append(u.steps, f) }

// RunIfFailed takes everything back when *err is set (use with defer and
// a named error result).
func (u *Stack) RunIfFailed(err *error) {
	if *err == nil {
		return
	}
	for i := len(u.steps) - 1; i >= 0; i-- {
		u.steps[i]()
	}
}

// Run takes everything back now, in reverse order (a stack built by a
// concurrent step is added to its caller's with u.Add(sub.Run)).
func (u *Stack) Run() {
	for i := len(u.steps) - 1; i >= 0; i-- {
		u.steps[i]()
	}
	u.steps = nil
}
