package crilog

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

func TestParseValid(t *testing.T) {
	for _, tc := range []struct {
		line    string
		time    time.Time
		stream  Stream
		partial bool
		content string
	}{
		// containerd: RFC3339Nano, trailing zeros dropped, UTC as Z.
		{"2016-10-06T00:17:09.669794202Z stdout P log content 1\n",
			time.Date(2016, 10, 6, 0, 17, 9, 669794202, time.UTC), Stdout, true, "log content 1"},
		{"2016-10-06T00:17:09.6697942Z stderr F log content 2",
			time.Date(2016, 10, 6, 0, 17, 9, 669794200, time.UTC), Stderr, false, "log content 2"},
		// conmon: nine digits, numeric offset even for UTC.
		{"2024-05-01T12:00:00.000000001+00:00 stdout F x\n",
			time.Date(2024, 5, 1, 12, 0, 0, 1, time.UTC), Stdout, false, "x"},
		// ours, in a zone east of UTC.
		{"2024-05-01T12:00:00.000000001+02:00 stdout F  two  spaces \n",
			time.Date(2024, 5, 1, 10, 0, 0, 1, time.UTC), Stdout, false, " two  spaces "},
		// empty line, whole-second timestamp, extra tags.
		{"2024-05-01T12:00:00Z stdout F \n", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Stdout, false, ""},
		{"2024-05-01T12:00:00Z stderr P:x:y tail\r\n", time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC), Stderr, true, "tail\r"},
	} {
		e, err := Parse([]byte(tc.line))
		if err != nil {
			t.Fatalf("%q: %v", tc.line, err)
		}
		if !e.Time.Equal(tc.time) || e.Stream != tc.stream || e.Partial != tc.partial || string(e.Content) != tc.content {
			t.Fatalf("%q: got %+v", tc.line, e)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, line := range []string{
		"",
		"\n",
		"2024-05-01T12:00:00Z",
		"2024-05-01T12:00:00Z stdout",
		"2024-05-01T12:00:00Z stdout F",           // no delimiter before content
		"2024-05-01 12:00:00Z stdout F x",         // not RFC 3339
		"2024-05-01T12:00:00Z stdin F x",          // no such stream
		"2024-05-01T12:00:00Z stdout X x",         // unknown tag
		"2024-05-01T12:00:00Z stdout  x",          // empty tag
		"2024-05-01T12:00:00Z stdout FF x",        // tag too long
		"2024-05-01T12:00:00Z stdout F a\nb\n",    // two records
		`{"log":"docker json","stream":"stdout"}`, // the other kubelet format
	} {
		if _, err := Parse([]byte(line)); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Fatalf("%q: err %v, want ErrInvalidArgument", line, err)
		}
	}
}

func TestEntryLine(t *testing.T) {
	content := append(make([]byte, 0, 8), "abcX"...)[:3]
	if got := (Entry{Content: content}).Line(); string(got) != "abc\n" {
		t.Fatalf("F line %q", got)
	}
	if content[:4][3] != 'X' {
		t.Fatal("Line wrote into Content's array, which aliases the caller's buffer")
	}
	if got := (Entry{Content: content, Partial: true}).Line(); string(got) != "abc" {
		t.Fatalf("P line %q", got)
	}
}

func TestScanner(t *testing.T) {
	log := "2024-05-01T12:00:00Z stdout F one\n" +
		"garbage\n" +
		"2024-05-01T12:00:00Z stdout P two-\n" +
		"2024-05-01T12:00:00Z stdout F torn at the end" // no newline: still parsed
	if _, err := ReadAll(strings.NewReader(log)); !errors.Is(err, errdefs.ErrInvalidArgument) || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("strict: %v", err)
	}
	sc := NewScanner(strings.NewReader(log))
	sc.Lenient = true
	var got []string
	for sc.Scan() {
		got = append(got, string(sc.Entry().Content))
	}
	if sc.Err() != nil || sc.Skipped != 1 || strings.Join(got, "|") != "one|two-|torn at the end" {
		t.Fatalf("lenient: %q skipped=%d err=%v", got, sc.Skipped, sc.Err())
	}
}

func TestScannerLongRecords(t *testing.T) {
	ok := "2024-05-01T12:00:00Z stdout F " + strings.Repeat("a", 200<<10) + "\n" // over bufio's buffer
	tooLong := "2024-05-01T12:00:00Z stdout F " + strings.Repeat("b", MaxRecordSize) + "\n"
	last := "2024-05-01T12:00:00Z stderr F end\n"

	entries, err := ReadAll(strings.NewReader(ok + last))
	if err != nil || len(entries) != 2 || len(entries[0].Content) != 200<<10 {
		t.Fatalf("long record: %d entries, err %v", len(entries), err)
	}
	if _, err := ReadAll(strings.NewReader(ok + tooLong + last)); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("too long: %v", err)
	}
	sc := NewScanner(strings.NewReader(tooLong + last))
	sc.Lenient = true
	if !sc.Scan() || string(sc.Entry().Content) != "end" || sc.Skipped != 1 || sc.Scan() {
		t.Fatalf("lenient skip of a too-long record: %v skipped=%d", sc.Err(), sc.Skipped)
	}
}

func TestAssembler(t *testing.T) {
	ts := func(s int) time.Time { return time.Date(2024, 5, 1, 12, 0, s, 0, time.UTC) }
	entries := []Entry{
		{ts(1), Stdout, true, []byte("out-")},
		{ts(2), Stderr, false, []byte("err whole")},
		{ts(3), Stdout, true, []byte("more-")},
		{ts(4), Stdout, false, []byte("end")},
		{ts(5), Stderr, true, []byte("err tail")},
		{ts(6), Stdout, false, []byte("next")},
	}
	var a Assembler
	var got []string
	for _, e := range entries {
		if l, ok := a.Add(e); ok {
			got = append(got, l.Time.Format("05")+" "+string(l.Stream)+" "+string(l.Content))
			if !l.Complete {
				t.Fatalf("incomplete %+v", l)
			}
		}
	}
	for _, l := range a.Flush() {
		if l.Complete {
			t.Fatalf("flushed line complete: %+v", l)
		}
		got = append(got, l.Time.Format("05")+" "+string(l.Stream)+" "+string(l.Content)+" (unfinished)")
	}
	want := []string{
		"02 stderr err whole",
		"01 stdout out-more-end",
		"06 stdout next",
		"05 stderr err tail (unfinished)",
	}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if len(a.Flush()) != 0 {
		t.Fatal("second flush not empty")
	}
}

func TestAssemblerBound(t *testing.T) {
	a := Assembler{Max: 10}
	var pieces []string
	var complete []bool
	for _, e := range []Entry{
		{Stream: Stdout, Partial: true, Content: []byte("123456")},
		{Stream: Stdout, Partial: true, Content: []byte("789012")}, // 12 >= 10: piece
		{Stream: Stdout, Partial: true, Content: []byte("ab")},
		{Stream: Stdout, Content: []byte("cd")},
	} {
		if l, ok := a.Add(e); ok {
			pieces = append(pieces, string(l.Content))
			complete = append(complete, l.Complete)
		}
	}
	if strings.Join(pieces, "|") != "123456789012|abcd" || complete[0] || !complete[1] {
		t.Fatalf("pieces %q complete %v", pieces, complete)
	}
}

// Writer output read back with the Assembler gives the original lines.
func TestRoundTripThroughAssembler(t *testing.T) {
	w, path := newTestWriter(t, Options{MaxLineSize: 5})
	write(t, w, Stdout, "short\n", "a much longer line\n", "tail")
	write(t, w, Stderr, "e1\n")
	w.Close()
	entries, err := ReadAll(strings.NewReader(readFile(t, path)))
	if err != nil {
		t.Fatal(err)
	}
	var a Assembler
	var out bytes.Buffer
	for _, e := range entries {
		if l, ok := a.Add(e); ok {
			out.WriteString(string(l.Stream) + ":" + string(l.Content) + "\n")
		}
	}
	for _, l := range a.Flush() {
		out.WriteString(string(l.Stream) + ":" + string(l.Content) + " (no newline)\n")
	}
	want := "stdout:short\nstdout:a much longer line\nstderr:e1\nstdout:tail (no newline)\n"
	if out.String() != want {
		t.Fatalf("got:\n%s", out.String())
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"2016-10-06T00:17:09.669794202Z stdout P log content 1\n",
		"2024-05-01T12:00:00.000000001+02:00 stderr F x\n",
		"2024-05-01T12:00:00Z stdout F:a:b \n",
		"2024-05-01T12:00:00Z stdout F a\nb",
		"garbage",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		e, err := Parse(line)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("error not ErrInvalidArgument: %v", err)
			}
			return
		}
		if !e.Stream.Valid() || bytes.IndexByte(e.Content, '\n') >= 0 {
			t.Fatalf("bad entry %+v", e)
		}
		// What Parse accepts, the Writer's encoding keeps: write it back
		// and parse it again.
		rec := appendRecord(nil, e.Time, e.Stream, e.Partial, e.Content, nil)
		e2, err := Parse(rec)
		if err != nil {
			t.Fatalf("re-encoded %q: %v", rec, err)
		}
		if !e2.Time.Equal(e.Time) || e2.Stream != e.Stream || e2.Partial != e.Partial || !bytes.Equal(e2.Content, e.Content) {
			t.Fatalf("round trip %+v -> %q -> %+v", e, rec, e2)
		}
	})
}
