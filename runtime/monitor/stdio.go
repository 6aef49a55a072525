package monitor

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/runtime/crilog"
	"github.com/ocid-project/ocid/runtime/oci"
)

// stdio is the monitor's side of the container's standard streams:
// pipes, or the master of the container's pty.
type stdio struct {
	terminal  bool
	stdinOnce bool

	// pipes: the monitor keeps the read ends of out/err and the write end
	// of in; the other ends go to the container (and are closed here once
	// the runtime has handed them over).
	outR, outW, errR, errW, inR, inW *os.File
	// pty master (terminal mode); ptyReady is closed once it is set or
	// will never be (closeAll).
	pty       *os.File
	ptyReady  chan struct{}
	readyOnce sync.Once

	mu          sync.Mutex
	stdinClosed bool
}

func newStdio(cfg *Config) (*stdio, error) {
	s := &stdio{terminal: cfg.Terminal, stdinOnce: cfg.StdinOnce, ptyReady: make(chan struct{})}
	if cfg.Terminal {
		return s, nil
	}
	var err error
	if s.outR, s.outW, err = os.Pipe(); err != nil {
		return nil, err
	}
	if s.errR, s.errW, err = os.Pipe(); err != nil {
		s.closeAll()
		return nil, err
	}
	if cfg.Stdin {
		if s.inR, s.inW, err = os.Pipe(); err != nil {
			s.closeAll()
			return nil, err
		}
	}
	return s, nil
}

// run runs `runtime run --detach`. In terminal mode the runtime sends the
// pty master over a console socket, which is accepted concurrently.
func (s *stdio) run(cfg *Config) error {
	opts := oci.CreateOptions{Bundle: cfg.Bundle, PidFile: filepath.Join(cfg.Dir, ContainerPidFile)}
	var ptyCh chan ptyResult
	if s.terminal {
		// A short directory: socket paths are limited to 108 bytes.
		dir, err := os.MkdirTemp("", "ocid-console-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		sock := filepath.Join(dir, "c.sock")
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
		if err != nil {
			return fmt.Errorf("console socket: %w", err)
		}
		defer l.Close()
		opts.ConsoleSocket = sock
		ptyCh = make(chan ptyResult, 1)
		go func() { f, err := receivePty(l); ptyCh <- ptyResult{f, err} }()
	} else {
		opts.Stdout, opts.Stderr, opts.Stdin = s.outW, s.errW, s.inR
	}
	rt := cfg.Runtime
	if err := rt.Run(context.Background(), cfg.ID, opts); err != nil {
		return err
	}
	// The container holds its ends now; ours must go, or the output
	// pipes would never reach EOF.
	closeFiles(s.outW, s.errW, s.inR)
	s.outW, s.errW, s.inR = nil, nil, nil
	if ptyCh != nil {
		r := <-ptyCh
		if r.err != nil {
			return fmt.Errorf("receiving the container's terminal: %w", r.err)
		}
		// Under the lock: attach clients may already be writing input or
		// resizing.
		s.mu.Lock()
		s.pty = r.f
		s.mu.Unlock()
		s.readyOnce.Do(func() { close(s.ptyReady) })
	}
	return nil
}

type ptyResult struct {
	f   *os.File
	err error
}

// receivePty accepts the runtime's connection and takes the pty master
// from an SCM_RIGHTS message.
func receivePty(l *net.UnixListener) (*os.File, error) {
	conn, err := l.AcceptUnix()
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	buf := make([]byte, 4096)
	oob := make([]byte, unix.CmsgSpace(4))
	n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, err
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		return nil, fmt.Errorf("no control message from the runtime (%v)", err)
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		return nil, fmt.Errorf("no file descriptor from the runtime (%v)", err)
	}
	// Non-blocking, so the Go poller serves it and deadlines work.
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		return nil, err
	}
	return os.NewFile(uintptr(fds[0]), string(buf[:n])), nil
}

type output struct {
	r      io.Reader
	stream crilog.Stream
}

// outputs are the streams to copy: the pty (as stdout), or both pipes.
func (s *stdio) outputs() []output {
	if s.terminal {
		return []output{{ptyReader{s.pty}, crilog.Stdout}}
	}
	return []output{{s.outR, crilog.Stdout}, {s.errR, crilog.Stderr}}
}

// ptyReader ends on EIO: that is how a pty master says the slave side
// is gone, not an error.
type ptyReader struct{ f *os.File }

func (p ptyReader) Read(b []byte) (int, error) {
	n, err := p.f.Read(b)
	if err != nil && n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// Stdin is where attached clients' input goes (nil when none).
func (s *stdio) Stdin() io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stdinClosed:
		return nil
	case s.terminal:
		if s.pty == nil {
			// Not started yet: input waits for the pty.
			return ptyStdin{s}
		}
		return s.pty
	case s.inW != nil:
		return s.inW
	}
	return nil
}

// CloseStdin ends the container's stdin when a client's input ended, if
// the container asked for that (stdinOnce); otherwise stdin stays open
// for the next client, as with docker and the CRI.
func (s *stdio) CloseStdin() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stdinClosed || !s.stdinOnce {
		return
	}
	if s.terminal && s.pty != nil {
		// EOF on a terminal is ^D at the start of a line.
		s.pty.Write([]byte{4})
		return
	}
	if s.inW != nil {
		s.inW.Close()
		s.inW = nil
		s.stdinClosed = true
	}
}

// Resize sets the terminal size.
func (s *stdio) Resize(width, height uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pty == nil {
		return
	}
	unix.IoctlSetWinsize(int(s.pty.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: width, Row: height})
}

// closeOutputs makes pending reads of the output streams return.
func (s *stdio) closeOutputs() {
	closeFiles(s.outR, s.errR)
	if s.pty != nil {
		s.pty.SetReadDeadline(past)
	}
}

func (s *stdio) closeAll() {
	s.mu.Lock()
	closeFiles(s.outR, s.outW, s.errR, s.errW, s.inR, s.inW, s.pty)
	s.mu.Unlock()
	s.readyOnce.Do(func() { close(s.ptyReady) })
}

// ptyStdin writes to the pty once the runtime has handed it over.
type ptyStdin struct{ s *stdio }

func (w ptyStdin) Write(p []byte) (int, error) {
	<-w.s.ptyReady
	w.s.mu.Lock()
	pty := w.s.pty
	w.s.mu.Unlock()
	if pty == nil {
		return 0, os.ErrClosed
	}
	return pty.Write(p)
}

func closeFiles(fs ...*os.File) {
	for _, f := range fs {
		if f != nil {
			f.Close()
		}
	}
}
