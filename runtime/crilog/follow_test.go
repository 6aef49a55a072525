package crilog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// failAfter bounds a wait that should end quickly; it is a test timeout,
// not a synchronisation.
const failAfter = 10 * time.Second

type followRun struct {
	entries chan Entry
	done    chan error
}

func startFollow(ctx context.Context, path string, from int64, opts FollowOptions) *followRun {
	r := &followRun{entries: make(chan Entry), done: make(chan error, 1)}
	go func() {
		r.done <- Follow(ctx, path, from, opts, func(e Entry) error {
			e.Content = bytes.Clone(e.Content) // valid only during the call
			select {
			case r.entries <- e:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	return r
}

func (r *followRun) expect(t *testing.T, contents ...string) {
	t.Helper()
	for _, want := range contents {
		select {
		case e := <-r.entries:
			if string(e.Content) != want {
				t.Fatalf("got %q, want %q", e.Content, want)
			}
		case err := <-r.done:
			t.Fatalf("follow ended (%v) waiting for %q", err, want)
		case <-time.After(failAfter):
			t.Fatalf("timed out waiting for %q", want)
		}
	}
}

func (r *followRun) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-r.done:
		return err
	case e := <-r.entries:
		t.Fatalf("unexpected entry %q", e.Content)
	case <-time.After(failAfter):
		t.Fatal("follow did not return")
	}
	return nil
}

func TestFollowLiveWritesAndDone(t *testing.T) {
	w, path := newTestWriter(t, Options{Now: time.Now})
	write(t, w, Stdout, "before\n")
	done := make(chan struct{})
	r := startFollow(t.Context(), path, 0, FollowOptions{Done: done, Interval: time.Hour})
	r.expect(t, "before")
	// Interval is an hour: only inotify can wake Follow for these.
	write(t, w, Stderr, "live 1\n")
	r.expect(t, "live 1")
	write(t, w, Stdout, "live 2\n", "last\n")
	close(done)
	r.expect(t, "live 2", "last")
	if err := r.wait(t); err != nil {
		t.Fatalf("follow after done: %v", err)
	}
}

func TestFollowRotation(t *testing.T) {
	w, path := newTestWriter(t, Options{Now: time.Now})
	write(t, w, Stdout, "first file\n")
	done := make(chan struct{})
	r := startFollow(t.Context(), path, 0, FollowOptions{Done: done, Interval: time.Hour})
	r.expect(t, "first file")

	// The kubelet renames the file; the writer goes on writing to it until
	// told to reopen.
	if err := os.Rename(path, path+".20240501-120000"); err != nil {
		t.Fatal(err)
	}
	write(t, w, Stdout, "renamed file\n")
	r.expect(t, "renamed file")
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(t, w, Stdout, "second file\n")
	r.expect(t, "second file")

	// A second rotation with records on both sides of it, not yet read.
	write(t, w, Stdout, "a\n")
	if err := os.Rename(path, path+".20240501-130000"); err != nil {
		t.Fatal(err)
	}
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	write(t, w, Stdout, "b\n")
	close(done)
	r.expect(t, "a", "b")
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestFollowFromOffsetAndCancel(t *testing.T) {
	w, path := newTestWriter(t, Options{})
	write(t, w, Stdout, "skipped\n")
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	write(t, w, Stdout, "wanted\n")
	ctx, cancel := context.WithCancel(t.Context())
	r := startFollow(ctx, path, st.Size(), FollowOptions{})
	r.expect(t, "wanted")
	cancel()
	if err := r.wait(t); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}

	// An offset past the end: the file was replaced, start over.
	done := make(chan struct{})
	close(done)
	r = startFollow(t.Context(), path, 1<<40, FollowOptions{Done: done})
	r.expect(t, "skipped", "wanted")
	if err := r.wait(t); err != nil {
		t.Fatal(err)
	}
}

func TestFollowCallbackErrorAndMissingFile(t *testing.T) {
	w, path := newTestWriter(t, Options{})
	stop := errors.New("stop")
	write(t, w, Stdout, "x\n")
	err := Follow(t.Context(), path, 0, FollowOptions{}, func(Entry) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("got %v", err)
	}
	err = Follow(t.Context(), filepath.Join(t.TempDir(), "none.log"), 0, FollowOptions{}, nil)
	if !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("missing file: %v", err)
	}
}

// The follower itself, stepped by hand: a record is handed out only once its
// newline is on disk, malformed ones are reported and skipped, and an
// over-long one is dropped without being held in memory.
func TestFollowerTornAndInvalidRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "0.log")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var got, invalid []string
	fl := &follower{path: path, fn: func(e Entry) error {
		got = append(got, string(e.Content))
		return nil
	}}
	fl.opts.OnInvalid = func(rec []byte, err error) { invalid = append(invalid, fmt.Sprintf("%.12s", rec)) }
	rf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fl.use(rf, 0); err != nil {
		t.Fatal(err)
	}
	defer func() { fl.f.Close() }()
	step := func(data string) {
		t.Helper()
		if _, err := f.WriteString(data); err != nil {
			t.Fatal(err)
		}
		if err := fl.catchUp(); err != nil {
			t.Fatal(err)
		}
	}
	step("2024-05-01T12:00:00Z stdout F hal")
	if len(got) != 0 {
		t.Fatalf("torn record handed out: %q", got)
	}
	step("f\nnot a record\n2024-05-01T12:00:00Z stdout F two\n")
	step(strings.Repeat("z", MaxRecordSize+1))
	if len(fl.buf) > MaxRecordSize+64<<10 {
		t.Fatalf("follower holds %d bytes", len(fl.buf))
	}
	step(strings.Repeat("z", 100) + "\n2024-05-01T12:00:00Z stderr F three\n")
	if strings.Join(got, "|") != "half|two|three" {
		t.Fatalf("got %q", got)
	}
	if len(invalid) != 2 || invalid[0] != "not a record" || invalid[1] != "zzzzzzzzzzzz" {
		t.Fatalf("invalid %q", invalid)
	}
}
