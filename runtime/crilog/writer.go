package crilog

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// DefaultMaxLineSize is containerd's default max_container_log_line_size.
const DefaultMaxLineSize = 16 << 10

// fileMode is the mode of a log file the Writer creates; containerd uses the
// same (openLogFile in its CRI plugin): the kubelet runs as root, and a
// group may be given read access for log shippers.
const fileMode fs.FileMode = 0o640

// Options tune a Writer. The zero value is ready to use.
type Options struct {
	// MaxLineSize is the largest CONTENT of one record; longer lines are cut
	// into P records. 0 means DefaultMaxLineSize.
	MaxLineSize int
	// PartialFlush, when positive, writes the buffered start of an unfinished
	// line as a P record once it has waited that long, so prompts and progress
	// output without a newline reach a followed log. 0 keeps it until the
	// newline, the line limit or the end of the stream (containerd's way).
	PartialFlush time.Duration
	// Now gives record timestamps; nil means time.Now (the local zone).
	Now func() time.Time
	// Log receives write failures; nil discards them.
	Log *slog.Logger
}

// Writer appends CRI log records of a container's streams to one file.
// Its methods and its streams' methods are safe for concurrent use.
type Writer struct {
	path    string
	maxLine int
	flush   time.Duration
	now     func() time.Time
	log     *slog.Logger
	// afterFunc arms PartialFlush timers; tests replace it to fire them by
	// hand instead of waiting.
	afterFunc func(time.Duration, func()) stopper

	mu      sync.Mutex // guards everything below; held for each record write
	f       *os.File
	rec     []byte // scratch record, reused so a record costs no allocation
	failing bool   // the last write failed; log only the first of a run
	err     error  // first write error, for Close
	closed  bool
	streams map[Stream]*StreamWriter
}

// stopper is the part of *time.Timer the Writer uses.
type stopper interface{ Stop() bool }

// NewWriter opens (creating it with mode 0640 if needed) the log file at
// path for appending. The directory must exist.
func NewWriter(path string, opts Options) (*Writer, error) {
	if opts.MaxLineSize < 0 || opts.MaxLineSize > MaxRecordSize-maxHeader {
		return nil, fmt.Errorf("crilog: max line size %d out of range 1..%d: %w",
			opts.MaxLineSize, MaxRecordSize-maxHeader, errdefs.ErrInvalidArgument)
	}
	w := &Writer{
		path:    path,
		maxLine: opts.MaxLineSize,
		flush:   opts.PartialFlush,
		now:     opts.Now,
		log:     opts.Log,
		streams: make(map[Stream]*StreamWriter, 2),
		afterFunc: func(d time.Duration, f func()) stopper {
			return time.AfterFunc(d, f)
		},
	}
	if w.maxLine == 0 {
		w.maxLine = DefaultMaxLineSize
	}
	if w.now == nil {
		w.now = time.Now
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	f, err := openLog(path)
	if err != nil {
		return nil, err
	}
	w.f = f
	return w, nil
}

// openLog opens path for appending. It creates the file exclusively first so
// that only a file it made gets its mode set, whatever the umask.
func openLog(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_EXCL, fileMode)
	if err == nil {
		if err := f.Chmod(fileMode); err != nil {
			f.Close()
			return nil, fmt.Errorf("crilog: set mode of %s: %w", path, err)
		}
		return f, nil
	}
	if !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("crilog: create %s: %w", path, err)
	}
	f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("crilog: open %s: %w", path, err)
	}
	return f, nil
}

// Path is the log file's path.
func (w *Writer) Path() string { return w.path }

// Stream returns the writer of stream s; every call for the same stream
// returns the same StreamWriter. It panics when s is not Stdout or Stderr:
// that is a bug in the caller, not a condition to handle.
func (w *Writer) Stream(s Stream) *StreamWriter {
	if !s.Valid() {
		panic(fmt.Sprintf("crilog: unknown stream %q", s))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	sw := w.streams[s]
	if sw == nil {
		sw = &StreamWriter{w: w, stream: s, buf: make([]byte, 0, min(w.maxLine, 4096))}
		w.streams[s] = sw
	}
	return sw
}

// writeRecord writes one record with a single write(2), so records of the
// two streams (and of other appenders of the file) never interleave.
func (w *Writer) writeRecord(s Stream, partial bool, a, b []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return fmt.Errorf("crilog: write %s: %w", w.path, os.ErrClosed)
	}
	w.rec = appendRecord(w.rec[:0], w.now(), s, partial, a, b)
	if _, err := w.f.Write(w.rec); err != nil {
		// The caller keeps draining the container's pipe whatever happens
		// here (a full disk must not block the container), so the record is
		// dropped; say so once per run of failures.
		if !w.failing {
			w.log.Error("container log write failed; dropping records until it works again",
				"path", w.path, "err", err)
		}
		w.failing = true
		if w.err == nil {
			w.err = fmt.Errorf("crilog: write %s: %w", w.path, err)
		}
		return nil
	}
	if w.failing {
		w.log.Info("container log writes work again", "path", w.path)
		w.failing = false
	}
	return nil
}

// Reopen closes the log file and opens the one at the same path, creating
// it. The kubelet rotates a log by renaming the file and then asking the
// runtime to reopen (ReopenContainerLog). Records written meanwhile wait
// for the lock and go to the new file; none is lost. If the new file cannot
// be opened the Writer keeps the old one and returns the error, so the
// kubelet can rename the file back.
func (w *Writer) Reopen() error {
	f, err := openLog(w.path)
	if err != nil {
		return fmt.Errorf("crilog: reopen: %w", err)
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		f.Close()
		return fmt.Errorf("crilog: reopen %s: %w", w.path, os.ErrClosed)
	}
	old := w.f
	w.f = f
	w.mu.Unlock()
	// Every record for the old file was written under the lock before the
	// swap; sync and close it without making writers wait on the disk.
	serr := old.Sync()
	cerr := old.Close()
	if err := errors.Join(serr, cerr); err != nil {
		return fmt.Errorf("crilog: close rotated log %s: %w", w.path, err)
	}
	return nil
}

// Close ends both streams (writing their unfinished lines as P records),
// syncs and closes the file. It returns the first write error seen, if any.
func (w *Writer) Close() error {
	w.mu.Lock()
	streams := make([]*StreamWriter, 0, len(w.streams))
	for _, s := range []Stream{Stdout, Stderr} {
		if sw := w.streams[s]; sw != nil {
			streams = append(streams, sw)
		}
	}
	w.mu.Unlock()
	for _, sw := range streams {
		sw.Close()
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	serr := w.f.Sync()
	cerr := w.f.Close()
	if err := errors.Join(w.err, serr, cerr); err != nil {
		return fmt.Errorf("crilog: close %s: %w", w.path, err)
	}
	return nil
}
