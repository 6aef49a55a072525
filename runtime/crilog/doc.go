// Package crilog writes and reads container logs in the format the kubelet
// reads (the "CRI log format" of k8s.io/cri-api; parsed by the kubelet's
// pkg/kubelet/kuberuntime/logs).
//
// Each record is one line:
//
//	TIMESTAMP SP STREAM SP TAG SP CONTENT LF
//	2024-05-01T12:00:00.123456789+02:00 stdout F hello world
//	2024-05-01T12:00:00.123500000+02:00 stderr P first 16 KiB of a long line
//	2024-05-01T12:00:00.123600000+02:00 stderr F rest of it
//
// The fields:
//
//   - TIMESTAMP is the wall clock of the node's local zone when the record was
//     written, in the layout TimeLayout (RFC 3339 with exactly nine fraction
//     digits, the kubelet's RFC3339NanoFixed). conmon (CRI-O) writes the same
//     fixed nine digits but always a numeric offset ("+00:00" where Go writes
//     "Z"); containerd writes time.RFC3339Nano, which drops trailing zeros.
//     The kubelet parses all three with time.RFC3339Nano, and so does Parse.
//   - STREAM is "stdout" or "stderr".
//   - TAG is "F" (this record ends a line) or "P" (the line goes on in a later
//     record of the same stream). The CRI allows more tags after a ':'; the
//     kubelet and Parse read only the first.
//   - CONTENT is the container's bytes, unchanged (a "\r" before the newline is
//     kept, as conmon does; containerd drops it), without the line's newline.
//
// When a record is P (the rules the Writer follows, those of containerd's
// internal/cri/io/logger.go):
//
//   - A line longer than Options.MaxLineSize (16 KiB by default, containerd's
//     max_container_log_line_size) is cut into P records of exactly
//     MaxLineSize bytes, then an F record with the rest. A line of exactly
//     MaxLineSize bytes is one F record. An empty line is an F record with
//     empty CONTENT ("... stdout F \n").
//   - When a stream ends (StreamWriter.Close, Writer.Close) on bytes without a
//     newline, they are written as a final P record. containerd does the
//     same; conmon writes every read that does not end in a newline as P. The
//     kubelet does not need a last F: for a P record it prints CONTENT alone,
//     for an F record CONTENT and a newline, so "kubectl logs" shows exactly
//     the bytes the container wrote.
//   - StreamWriter.Flush, and Options.PartialFlush after a pause, write the
//     buffered start of a line as P so that a prompt without a newline shows
//     up in a followed log (containerd would hold it until the newline).
//
// Memory is bounded: a stream buffers at most MaxLineSize bytes of an
// unfinished line. Records of both streams go to the file one write(2)
// each, under one lock, so a record is never interleaved with another.
//
// The kubelet rotates a log itself: it renames the file, then calls
// ReopenContainerLog, for which the monitor calls Writer.Reopen.
//
// Reading: Parse reads one record, Scanner and ReadAll a whole file,
// Assembler joins P…F records back into lines, and Follow tails a file
// across rotations (for "ocid container logs --follow").
package crilog
