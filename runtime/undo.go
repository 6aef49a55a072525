package runtime

// undo is the stack of steps that take back a multi-step operation done
// so far: each step registers its undo as it succeeds, and a failure runs
// them in reverse order.
type undo struct{ steps []func() }

func (u *undo) add(f func()) { u.steps = append(u.steps, f) }

// run takes everything back (when err is set).
func (u *undo) run(err *error) {
	if *err == nil {
		return
	}
	for i := len(u.steps) - 1; i >= 0; i-- {
		u.steps[i]()
	}
}
