package crilog

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// dirWatcher wakes Follow when anything changes in the log's directory.
// Watching the directory rather than the file sees writes to the file, the
// rename that rotates it and the creation of its successor with one watch,
// and keeps working across the swap. The kubelet gives each container its
// own log directory, so other files rarely cause a wake-up, and a spurious
// one costs a stat.
type dirWatcher struct {
	f      *os.File
	events chan struct{}
	done   chan struct{}
}

const watchMask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_MOVED_TO |
	unix.IN_MOVED_FROM | unix.IN_DELETE | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB

func watchDir(dir string) (*dirWatcher, error) {
	// Non-blocking, so that os.NewFile hands it to the runtime poller and
	// Close wakes the goroutine blocked reading it.
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("crilog: inotify: %w", err)
	}
	if _, err := unix.InotifyAddWatch(fd, dir, watchMask); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("crilog: watch %s: %w", dir, err)
	}
	w := &dirWatcher{
		f:      os.NewFile(uintptr(fd), "inotify"),
		events: make(chan struct{}, 1),
		done:   make(chan struct{}),
	}
	go w.run()
	return w, nil
}

func (w *dirWatcher) run() {
	defer close(w.done)
	buf := make([]byte, 4096)
	for {
		if _, err := w.f.Read(buf); err != nil {
			return // closed
		}
		// Only "something changed" matters; Follow re-reads and re-stats.
		select {
		case w.events <- struct{}{}:
		default:
		}
	}
}

func (w *dirWatcher) close() {
	w.f.Close()
	<-w.done
}
