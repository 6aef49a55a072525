package crilog

import "time"

// TimeLayout is the timestamp layout the Writer uses: RFC 3339 with a fixed
// nine-digit fraction, so records sort by their text and line up in a
// terminal. It is the kubelet's RFC3339NanoFixed.
const TimeLayout = "2006-01-02T15:04:05.000000000Z07:00"

// Stream names the container stream a record came from.
type Stream string

// The two streams of the format. The kubelet rejects any other name.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// Valid reports whether s is one of the two streams of the format.
func (s Stream) Valid() bool { return s == Stdout || s == Stderr }

// The tags of the format (cri-api LogTagPartial, LogTagFull) and the
// separator of further tags (LogTagDelimiter).
const (
	tagPartial   = 'P'
	tagFull      = 'F'
	tagDelimiter = ':'
)

// maxHeader bounds the bytes before CONTENT: a timestamp of TimeLayout with
// a four-digit year (35 bytes), "stdout" and one tag, and three spaces.
const maxHeader = len("2006-01-02T15:04:05.000000000+07:00") + len("stdout") + 1 + 3

// MaxRecordSize bounds one record as the readers accept it. Writers of
// other runtimes may have no line limit at all (containerd with
// max_container_log_line_size = -1); a longer record is reported as invalid
// rather than buffered without end.
const MaxRecordSize = 1 << 20

// appendRecord appends one record to dst. content is given in two parts so
// that a stream can write its buffered start of a line and the new bytes
// without copying them together first.
func appendRecord(dst []byte, t time.Time, s Stream, partial bool, a, b []byte) []byte {
	dst = t.AppendFormat(dst, TimeLayout)
	dst = append(dst, ' ')
	dst = append(dst, s...)
	dst = append(dst, ' ')
	if partial {
		dst = append(dst, tagPartial)
	} else {
		dst = append(dst, tagFull)
	}
	dst = append(dst, ' ')
	dst = append(dst, a...)
	dst = append(dst, b...)
	return append(dst, '\n')
}
