package crilog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// DefaultFollowInterval is how often Follow looks at the file without being
// woken, in case a change notification was missed or is not available (as
// the kubelet does every second).
const DefaultFollowInterval = time.Second

// FollowOptions tune Follow. The zero value follows until ctx is done.
type FollowOptions struct {
	// Done, when closed, tells Follow that the writer has finished (the
	// container exited): Follow reads what is left and returns nil.
	Done <-chan struct{}
	// Interval is the fallback re-check period; 0 means
	// DefaultFollowInterval.
	Interval time.Duration
	// OnInvalid is told of each malformed record, which is then skipped as
	// the kubelet does. Nil skips them silently.
	OnInvalid func(record []byte, err error)
}

// Follow calls fn for each record of the log at path, starting at byte
// offset from of the file now at path, then waits for more until ctx is
// done (returning ctx.Err()), opts.Done is closed (returning nil once the
// rest is read), or fn returns an error (returned as is). An offset past the
// end of the file means the file was replaced since it was taken, and Follow
// starts at 0.
//
// Follow survives rotation: when the file at path is replaced (the kubelet
// renames it and the Writer reopens), Follow reads the old file to its end,
// then the new one from its start. It only hands out records whose newline
// is written, so a record being written is never seen torn. The Content of
// the Entry fn gets is valid only until fn returns.
func Follow(ctx context.Context, path string, from int64, opts FollowOptions, fn func(Entry) error) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("crilog: follow %s: %w", path, errdefs.ErrNotFound)
		}
		return fmt.Errorf("crilog: follow: %w", err)
	}
	fl := &follower{path: path, opts: opts, fn: fn}
	if err := fl.use(f, from); err != nil {
		f.Close()
		return err
	}
	defer func() { fl.f.Close() }() // fl.f changes with rotation

	interval := opts.Interval
	if interval <= 0 {
		interval = DefaultFollowInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	// Without inotify (a full watch table, say) the ticker alone paces us.
	var wake <-chan struct{}
	if w, err := watchDir(filepath.Dir(path)); err == nil {
		defer w.close()
		wake = w.events
	}

	for {
		if err := fl.catchUp(); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-opts.Done:
			// The writer is gone: whatever it wrote is in the file now.
			return fl.catchUp()
		case <-wake:
		case <-tick.C:
		}
	}
}

// follower is Follow's state: the file being read and what is left of its
// last, unfinished record.
type follower struct {
	path string
	opts FollowOptions
	fn   func(Entry) error

	f        *os.File
	ino, dev uint64
	buf      []byte // read bytes not handed out yet: an unfinished record
	skipping bool   // discarding an over-long record up to its newline
}

func (fl *follower) use(f *os.File, from int64) error {
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("crilog: follow %s: %w", fl.path, err)
	}
	if from > st.Size() || from < 0 {
		from = 0
	}
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return fmt.Errorf("crilog: follow %s: %w", fl.path, err)
	}
	if fl.f != nil {
		fl.f.Close() // the file f replaces, read to its end
	}
	fl.f, fl.buf, fl.skipping = f, fl.buf[:0], false
	fl.ino, fl.dev = fileID(st)
	return nil
}

func fileID(st fs.FileInfo) (ino, dev uint64) {
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return sys.Ino, uint64(sys.Dev)
	}
	return 0, 0
}

// catchUp reads the current file to its end, and on to the file that
// replaced it, if any.
func (fl *follower) catchUp() error {
	for {
		// Look for a replacement before reading: once a new file is at the
		// path the Writer has stopped writing the old one (it swaps files
		// under the lock it writes under), so reading the old one after
		// this check gets all of it.
		next := fl.replacement()
		if err := fl.drain(); err != nil {
			if next != nil {
				next.Close()
			}
			return err
		}
		if next == nil {
			return nil
		}
		if err := fl.use(next, 0); err != nil {
			next.Close()
			return err
		}
	}
}

// replacement opens the file now at the path if it is not the one being
// read. A missing file (renamed away, not yet reopened) is no replacement.
func (fl *follower) replacement() *os.File {
	st, err := os.Stat(fl.path)
	if err != nil {
		return nil
	}
	if ino, dev := fileID(st); ino == fl.ino && dev == fl.dev {
		return nil
	}
	f, err := os.Open(fl.path)
	if err != nil {
		return nil
	}
	return f
}

// drain hands out every complete record up to the end of the file.
func (fl *follower) drain() error {
	for {
		if err := fl.handOut(); err != nil {
			return err
		}
		if len(fl.buf) == cap(fl.buf) {
			fl.buf = append(fl.buf, make([]byte, 64<<10)...)[:len(fl.buf)]
		}
		n, err := fl.f.Read(fl.buf[len(fl.buf):cap(fl.buf)])
		fl.buf = fl.buf[:len(fl.buf)+n]
		if n == 0 || errors.Is(err, io.EOF) {
			return fl.handOut()
		}
		if err != nil {
			return fmt.Errorf("crilog: follow %s: %w", fl.path, err)
		}
	}
}

// handOut parses and passes on the complete records in buf, keeping the
// unfinished one, and drops a record that grows past MaxRecordSize.
func (fl *follower) handOut() error {
	rest := fl.buf
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		rec := rest[:i+1]
		rest = rest[i+1:]
		if fl.skipping {
			fl.skipping = false
			continue
		}
		e, err := Parse(rec)
		if err != nil {
			if fl.opts.OnInvalid != nil {
				fl.opts.OnInvalid(rec, err)
			}
			continue
		}
		if err := fl.fn(e); err != nil {
			fl.buf = append(fl.buf[:0], rest...)
			return err
		}
	}
	if len(rest) > MaxRecordSize {
		if fl.opts.OnInvalid != nil && !fl.skipping {
			fl.opts.OnInvalid(rest[:64], errTooLong)
		}
		fl.skipping, rest = true, rest[:0]
	}
	fl.buf = append(fl.buf[:0], rest...)
	return nil
}
