package cri

import (
	"context"
	"errors"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/runtime/monitor"
)

// exitWatcher notices containers exiting by themselves, so that NRI
// plugins are told they stopped without a CRI StopContainer. Each
// container's monitor writes its exit file into the container's run
// directory (by rename); one inotify descriptor, read through Go's poller
// by one goroutine, watches those directories: no thread or timer per
// container.
type exitWatcher struct {
	f      *os.File
	onExit func(id string)

	mu  sync.Mutex
	wds map[int32]string // watch descriptor → container ID
}

func newExitWatcher(onExit func(id string)) (*exitWatcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("inotify_init1", err)
	}
	return &exitWatcher{f: os.NewFile(uintptr(fd), "exit-inotify"), onExit: onExit, wds: map[int32]string{}}, nil
}

// watch reports id's exit once the file dir/exit.json appears; if it is
// there already, at once. A directory watched twice keeps one watch.
func (w *exitWatcher) watch(id, dir string) error {
	raw, err := w.f.SyscallConn()
	if err != nil {
		return err
	}
	var wd int
	var addErr error
	if err := raw.Control(func(fd uintptr) {
		wd, addErr = unix.InotifyAddWatch(int(fd), dir, unix.IN_MOVED_TO|unix.IN_CLOSE_WRITE|unix.IN_ONLYDIR)
	}); err != nil {
		return err
	}
	if addErr != nil {
		return os.NewSyscallError("inotify_add_watch", addErr)
	}
	w.mu.Lock()
	w.wds[int32(wd)] = id
	w.mu.Unlock()
	// It may have exited before the watch was added.
	if e, _ := monitor.ReadExit(dir); e != nil {
		w.exited(int32(wd))
	}
	return nil
}

// exited reports the container of wd, once: its watch goes.
func (w *exitWatcher) exited(wd int32) {
	w.mu.Lock()
	id, ok := w.wds[wd]
	delete(w.wds, wd)
	w.mu.Unlock()
	if !ok {
		return
	}
	if raw, err := w.f.SyscallConn(); err == nil {
		raw.Control(func(fd uintptr) { unix.InotifyRmWatch(int(fd), uint32(wd)) })
	}
	w.onExit(id)
}

// run reads events until close.
func (w *exitWatcher) run() {
	buf := make([]byte, 64*(unix.SizeofInotifyEvent+unix.PathMax))
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrClosed) {
				// Nothing reads exits any more: StopContainer events then
				// come with CRI calls only.
				os.Stderr.WriteString("ocid: NRI exit watcher: " + err.Error() + "\n")
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			name := buf[off+unix.SizeofInotifyEvent : off+unix.SizeofInotifyEvent+int(ev.Len)]
			off += unix.SizeofInotifyEvent + int(ev.Len)
			switch {
			case ev.Mask&unix.IN_IGNORED != 0: // the directory went (container removed)
				w.mu.Lock()
				delete(w.wds, ev.Wd)
				w.mu.Unlock()
			case cString(name) == monitor.ExitFile:
				w.exited(ev.Wd)
			}
		}
	}
}

func (w *exitWatcher) close() { w.f.Close() }

// cString is the NUL-padded name of an inotify event.
func cString(b []byte) string {
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

// watchExit watches c's exit (for NRI).
func (s *Server) watchExit(c *container) error {
	if s.exits == nil {
		return nil
	}
	return s.exits.watch(c.ID, s.rt.RunDir(c.ID))
}

// containerExited tells plugins that a container stopped by itself.
func (s *Server) containerExited(id string) {
	c, err := s.findCtr(id)
	if err != nil {
		return // removed meanwhile: removal told them
	}
	// Off the watcher's goroutine: plugins may take their time.
	go s.nriStopped(context.Background(), c, nil)
}
