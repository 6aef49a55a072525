package crilog

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var zone = time.FixedZone("CEST", 2*3600)

// fixedClock returns a Now that starts at a known instant and moves one
// nanosecond per record, so expected files can be spelled out.
func fixedClock(loc *time.Location) func() time.Time {
	var mu sync.Mutex
	t := time.Date(2024, 5, 1, 12, 0, 0, 0, loc)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Nanosecond)
		return t
	}
}

func newTestWriter(t *testing.T, opts Options) (*Writer, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "0.log")
	if opts.Now == nil {
		opts.Now = fixedClock(zone)
	}
	w, err := NewWriter(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w, path
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func write(t *testing.T, w *Writer, s Stream, chunks ...string) {
	t.Helper()
	for _, c := range chunks {
		if n, err := w.Stream(s).Write([]byte(c)); err != nil || n != len(c) {
			t.Fatalf("write %q: n=%d err=%v", c, n, err)
		}
	}
}

func TestWriterExactFormat(t *testing.T) {
	w, path := newTestWriter(t, Options{})
	write(t, w, Stdout, "hello world\n")
	write(t, w, Stderr, "oops\r\n", "\n")
	write(t, w, Stdout, "a\nb\n")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"2024-05-01T12:00:00.000000001+02:00 stdout F hello world\n" +
		"2024-05-01T12:00:00.000000002+02:00 stderr F oops\r\n" +
		"2024-05-01T12:00:00.000000003+02:00 stderr F \n" +
		"2024-05-01T12:00:00.000000004+02:00 stdout F a\n" +
		"2024-05-01T12:00:00.000000005+02:00 stdout F b\n"
	if got := readFile(t, path); got != want {
		t.Fatalf("file:\n%s\nwant:\n%s", got, want)
	}
}

func TestWriterUTCAndRealClock(t *testing.T) {
	w, path := newTestWriter(t, Options{Now: fixedClock(time.UTC)})
	write(t, w, Stdout, "x\n")
	w.Close()
	if got, want := readFile(t, path), "2024-05-01T12:00:00.000000001Z stdout F x\n"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}

	// The default clock is the local zone, with all nine digits.
	w2, path2 := newTestWriter(t, Options{Now: time.Now})
	before := time.Now()
	write(t, w2, Stdout, "y\n")
	w2.Close()
	line := readFile(t, path2)
	ts, _, _ := strings.Cut(line, " ")
	if len(ts) != len(before.Format(TimeLayout)) {
		t.Fatalf("timestamp %q does not have the fixed layout", ts)
	}
	if _, offset := before.Zone(); !strings.HasSuffix(ts, before.Format("Z07:00")) {
		t.Fatalf("timestamp %q not in the local zone (offset %d)", ts, offset)
	}
}

func TestWriterCutsLongLines(t *testing.T) {
	w, path := newTestWriter(t, Options{MaxLineSize: 8})
	write(t, w, Stdout, "abcdefghijklmnopqrst\n") // 20 bytes: P 8, P 8, F 4
	write(t, w, Stdout, "12345678\n")             // exactly the limit: one F
	write(t, w, Stdout, "abc", "defgh", "ij\n")   // across writes: P 8, F 2
	write(t, w, Stdout, "ABCDEFGH", "\n")         // limit reached, newline next: F 8
	write(t, w, Stdout, "abcdefghijklmnop\n")     // twice the limit: P 8, F 8
	w.Close()
	got := contents(t, readFile(t, path))
	want := []string{
		"P abcdefgh", "P ijklmnop", "F qrst",
		"F 12345678",
		"P abcdefgh", "F ij",
		"F ABCDEFGH",
		"P abcdefgh", "F ijklmnop",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

// contents turns a log into "TAG CONTENT" strings, checking every record
// parses.
func contents(t *testing.T, log string) []string {
	t.Helper()
	entries, err := ReadAll(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		tag := "F"
		if e.Partial {
			tag = "P"
		}
		out = append(out, tag+" "+string(e.Content))
	}
	return out
}

func TestWriterEndWithoutNewlineIsPartial(t *testing.T) {
	w, path := newTestWriter(t, Options{})
	write(t, w, Stdout, "done\nno newline")
	write(t, w, Stderr, "err tail")
	if err := w.Stream(Stdout).Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Stream(Stdout).Write([]byte("late\n")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after stream close: %v", err)
	}
	if err := w.Close(); err != nil { // ends stderr too
		t.Fatal(err)
	}
	got := contents(t, readFile(t, path))
	want := []string{"F done", "P no newline", "P err tail"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
	if _, err := w.Stream(Stderr).Write([]byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
	if err := w.Reopen(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("reopen after close: %v", err)
	}
}

func TestWriterFlush(t *testing.T) {
	w, path := newTestWriter(t, Options{})
	write(t, w, Stdout, "password: ")
	if err := w.Stream(Stdout).Flush(); err != nil {
		t.Fatal(err)
	}
	if err := w.Stream(Stdout).Flush(); err != nil { // nothing held: no record
		t.Fatal(err)
	}
	write(t, w, Stdout, "\n")
	w.Close()
	got := contents(t, readFile(t, path))
	if want := []string{"P password: ", "F "}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (f *fakeTimer) Stop() bool { f.stopped = true; return true }

func TestWriterPartialFlushTimer(t *testing.T) {
	w, path := newTestWriter(t, Options{PartialFlush: 200 * time.Millisecond})
	var timers []*fakeTimer
	w.afterFunc = func(d time.Duration, f func()) stopper {
		ft := &fakeTimer{d: d, f: f}
		timers = append(timers, ft)
		return ft
	}
	write(t, w, Stdout, "whole line\n") // nothing held: no timer
	if len(timers) != 0 {
		t.Fatalf("timer armed for a finished line")
	}
	write(t, w, Stdout, "prompt> ")
	write(t, w, Stdout, "more") // already armed: no second timer
	if len(timers) != 1 || timers[0].d != 200*time.Millisecond {
		t.Fatalf("timers %+v", timers)
	}
	timers[0].f() // the pause is over
	write(t, w, Stdout, "typed\n")
	write(t, w, Stdout, "left")
	if len(timers) != 2 {
		t.Fatalf("want a new timer, got %d", len(timers))
	}
	w.Close()
	if !timers[1].stopped {
		t.Fatal("close did not stop the timer")
	}
	timers[1].f() // firing after close is harmless
	got := contents(t, readFile(t, path))
	want := []string{"F whole line", "P prompt> more", "F typed", "P left"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q want %q", got, want)
	}
}

func TestWriterPartialFlushRealTimer(t *testing.T) {
	w, path := newTestWriter(t, Options{PartialFlush: time.Millisecond})
	write(t, w, Stdout, "prompt> ")
	// Follow wakes on the write the timer makes: no sleeping here.
	ctx := t.Context()
	got := make(chan Entry, 1)
	go Follow(ctx, path, 0, FollowOptions{}, func(e Entry) error {
		e.Content = bytes.Clone(e.Content)
		select {
		case got <- e:
		case <-ctx.Done():
		}
		return nil
	})
	select {
	case e := <-got:
		if !e.Partial || string(e.Content) != "prompt> " {
			t.Fatalf("got %+v", e)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("idle partial line never flushed")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestWriterFileMode(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	_, path := newTestWriter(t, Options{})
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", st.Mode().Perm())
	}
}

func TestWriterAppendsToExistingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	if err := os.WriteFile(path, []byte("2024-05-01T12:00:00Z stdout F before\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	w, err := NewWriter(path, Options{Now: fixedClock(time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, Stdout, "after\n")
	w.Close()
	got := contents(t, readFile(t, path))
	if want := []string{"F before", "F after"}; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode of an existing file changed to %v", st.Mode().Perm())
	}
}

func TestNewWriterErrors(t *testing.T) {
	if _, err := NewWriter(filepath.Join(t.TempDir(), "nodir", "0.log"), Options{}); err == nil {
		t.Fatal("want error for a missing directory")
	}
	if _, err := NewWriter(filepath.Join(t.TempDir(), "0.log"), Options{MaxLineSize: -1}); err == nil {
		t.Fatal("want error for a negative line size")
	}
}

// Two streams written at once, in random chunks: every record must parse
// and each stream must come back byte for byte.
func TestWriterConcurrentStreams(t *testing.T) {
	w, path := newTestWriter(t, Options{MaxLineSize: 64, Now: time.Now})
	streams := map[Stream]*bytes.Buffer{Stdout: {}, Stderr: {}}
	for s, buf := range streams {
		r := rand.New(rand.NewPCG(uint64(len(s)), 7))
		for i := range 2000 {
			fmt.Fprintf(buf, "%s line %d %s\n", s, i, strings.Repeat(string(rune('a'+i%26)), r.IntN(150)))
		}
	}
	var wg sync.WaitGroup
	for s, buf := range streams {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(len(s)), 9))
			data := buf.Bytes()
			for len(data) > 0 {
				n := min(len(data), 1+r.IntN(300))
				if _, err := w.Stream(s).Write(data[:n]); err != nil {
					t.Error(err)
					return
				}
				data = data[n:]
			}
		})
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	entries, err := ReadAll(strings.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[Stream]*bytes.Buffer{Stdout: {}, Stderr: {}}
	for _, e := range entries {
		if len(e.Content) > 64 {
			t.Fatalf("record of %d bytes over the limit", len(e.Content))
		}
		got[e.Stream].Write(e.Line())
	}
	for s := range streams {
		if !bytes.Equal(got[s].Bytes(), streams[s].Bytes()) {
			t.Fatalf("%s differs after the round trip", s)
		}
	}
}

func TestWriterMemoryBounded(t *testing.T) {
	w, _ := newTestWriter(t, Options{MaxLineSize: 1024})
	huge := bytes.Repeat([]byte("x"), 10<<20) // 10 MiB without a newline
	write(t, w, Stdout, string(huge))
	sw := w.Stream(Stdout)
	if len(sw.buf) > 1024 || cap(sw.buf) > 4096 {
		t.Fatalf("stream holds %d bytes (cap %d)", len(sw.buf), cap(sw.buf))
	}
	if cap(w.rec) > 2*(1024+maxHeader) {
		t.Fatalf("record buffer grew to %d", cap(w.rec))
	}
}

// Rotation as the kubelet does it, with a writer busy all along: every
// record lands in exactly one file, in order, none torn.
func TestWriterReopenUnderLoad(t *testing.T) {
	w, path := newTestWriter(t, Options{Now: time.Now})
	const n = 5000
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range n {
			if _, err := fmt.Fprintf(w.Stream(Stdout), "line %d\n", i); err != nil {
				t.Error(err)
				return
			}
		}
	})
	var rotated []string
	for i := range 20 {
		old := fmt.Sprintf("%s.%d", path, i)
		if err := os.Rename(path, old); err != nil {
			t.Fatal(err)
		}
		rotated = append(rotated, old)
		if err := w.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var all []Entry
	for _, p := range append(rotated, path) {
		entries, err := ReadAll(strings.NewReader(readFile(t, p)))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		all = append(all, entries...)
	}
	if len(all) != n {
		t.Fatalf("%d records, want %d", len(all), n)
	}
	for i, e := range all {
		if want := fmt.Sprintf("line %d", i); string(e.Content) != want {
			t.Fatalf("record %d is %q", i, e.Content)
		}
	}
}

func TestWriterReopenFailureKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "0.log")
	w, err := NewWriter(path, Options{Now: fixedClock(time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// A directory where the new file would go makes the reopen fail.
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err == nil {
		t.Fatal("reopen onto a directory succeeded")
	}
	write(t, w, Stdout, "still logged\n")
	w.Close()
	if got := contents(t, readFile(t, path+".1")); len(got) != 1 || got[0] != "F still logged" {
		t.Fatalf("got %q", got)
	}
}

// A full disk drops records without failing the copy from the container,
// logs it once, and Close reports it.
func TestWriterFullDisk(t *testing.T) {
	var logBuf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logBuf, nil))
	w, err := NewWriter("/dev/full", Options{Log: log})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := w.Stream(Stdout).Write([]byte("lost\n")); err != nil {
			t.Fatalf("write error leaked to the copier: %v", err)
		}
	}
	if err := w.Close(); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("close: %v, want ENOSPC", err)
	}
	if c := strings.Count(logBuf.String(), "container log write failed"); c != 1 {
		t.Fatalf("logged %d times:\n%s", c, logBuf.String())
	}
}

func TestStreamPanicsOnUnknownName(t *testing.T) {
	w, _ := newTestWriter(t, Options{})
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	w.Stream("stdin")
}
