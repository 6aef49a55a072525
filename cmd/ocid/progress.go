package main

import (
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/image"
)

// newProgress shows one bar per blob on a terminal, and one log line per
// finished blob otherwise (CI logs, pipes).
func newProgress(tty bool, log *slog.Logger) copy.Progress {
	if tty {
		return &barProgress{p: mpb.New(mpb.WithOutput(os.Stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))}
	}
	return &lineProgress{log: log}
}

// finishProgress waits for bars to render their final state.
func finishProgress(p copy.Progress) {
	if bp, ok := p.(*barProgress); ok {
		bp.p.Wait()
	}
}

type barProgress struct {
	p  *mpb.Progress
	mu sync.Mutex
}

func shortDigest(d image.Descriptor) string {
	s := d.Digest.Encoded()
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

func (b *barProgress) Blob(desc image.Descriptor, what string) copy.BlobTracker {
	b.mu.Lock()
	defer b.mu.Unlock()
	total := desc.Size
	if total <= 0 {
		total = 1
	}
	bar := b.p.AddBar(total,
		mpb.PrependDecorators(decor.Name(fmt.Sprintf("%-6s %s ", what, shortDigest(desc))), decor.CountersKibiByte("% .1f / % .1f")),
		mpb.AppendDecorators(decor.OnComplete(decor.EwmaSpeed(decor.SizeB1024(0), "% .1f", 30), "done")),
	)
	return &barTracker{bar: bar, total: total}
}

func (b *barProgress) Note(msg string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintln(os.Stderr, msg)
}

type barTracker struct {
	bar   *mpb.Bar
	total int64
	start time.Time
}

func (t *barTracker) Add(n int64) {
	if t.start.IsZero() {
		t.start = time.Now()
	}
	t.bar.EwmaIncrInt64(n, time.Since(t.start))
	t.start = time.Now()
}

func (t *barTracker) Done(status string, err error) {
	if err != nil {
		t.bar.Abort(false)
		return
	}
	t.bar.SetCurrent(t.total)
}

type lineProgress struct{ log *slog.Logger }

func (l *lineProgress) Blob(desc image.Descriptor, what string) copy.BlobTracker {
	return &lineTracker{log: l.log, desc: desc, what: what, start: time.Now()}
}

func (l *lineProgress) Note(msg string) { l.log.Info(msg) }

type lineTracker struct {
	log   *slog.Logger
	desc  image.Descriptor
	what  string
	start time.Time
	n     int64
	mu    sync.Mutex
}

func (t *lineTracker) Add(n int64) {
	t.mu.Lock()
	t.n += n
	t.mu.Unlock()
}

func (t *lineTracker) Done(status string, err error) {
	if err != nil {
		t.log.Error("blob failed", t.what, t.desc.Digest, "error", err)
		return
	}
	t.log.Info("blob "+status, t.what, t.desc.Digest, "bytes", t.n, "duration", time.Since(t.start).Round(time.Millisecond))
}
