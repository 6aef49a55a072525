// Package attach carries a container's stdio between its monitor and the
// clients attached to it (the CLI's "ocid container attach" and "run -it",
// the CRI streaming server behind "kubectl attach") over a unix socket.
//
// The monitor runs a Server on a socket in the container's run directory
// (mode 0600: root only) and feeds it the container's output with
// Broadcast; clients connect with Dial and copy with Client.Run.
//
// # Protocol
//
// Both directions are a sequence of frames:
//
//	type    uint8
//	length  uint32, big endian, at most MaxPayload (32 KiB)
//	payload length bytes
//
// Client to server:
//
//	0x01 hello        version uint8 (1), flags uint8: 1 stdin, 2 stdout,
//	                  4 stderr, 8 tty. First frame, sent once.
//	0x02 stdin        bytes for the container's stdin
//	0x03 stdin-close  empty: the client's stdin ended; the container's is
//	                  closed (Handler.CloseStdin)
//	0x04 resize       width uint16, height uint16, big endian: terminal size
//
// Server to client:
//
//	0x81 ready        empty: answer to hello; every output after it reaches
//	                  the client
//	0x82 stdout       bytes the container wrote to stdout
//	0x83 stderr       bytes the container wrote to stderr
//	0x84 exit         code int32, big endian: the container exited; the
//	                  server closes the connection after it
//	0x85 error        UTF-8 message: the server refuses the hello or the
//	                  client broke the protocol; the connection closes after it
//
// A client gets only the output streams its hello asked for, from the
// moment of its ready on: output is not replayed (the log file has it). A
// client asking for stdin is refused when the container has no stdin. The
// tty flag tells the server the client is a terminal; with a tty the
// container has only one output stream, stdout. A client that closes its
// side of the connection ends its session.
//
// A frame of an unknown type, of the other direction, longer than
// MaxPayload or of the wrong fixed size, a hello out of place, or stdin the
// hello did not ask for ends that client's session with an error frame; the
// other clients and the container go on.
//
// # Slow clients
//
// Broadcast never blocks the container: each client has a bounded queue
// (ServerOptions.ClientBuffer). A client whose queue overflows is dropped
// (its connection closed, the drop logged) rather than the output being
// dropped or delayed for everyone.
//
// # Long socket paths
//
// A unix socket address holds at most 107 bytes of path, and run
// directories can be deeper. A longer path is reached through
// /proc/self/fd/N/NAME, N an O_PATH descriptor of the socket's directory,
// which needs no chdir (unsafe in a multi-threaded program).
package attach
