package monitor

import (
	"bufio"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"time"
)

// Control commands, one line each, answered "ok" or "error: …".
const (
	CmdReopenLog  = "reopen-log"
	CmdCloseStdin = "close-stdin"
	// CmdStart and CmdCancel: create and start the container now, or
	// never. Both may be repeated (a retried request): start after a
	// successful start is ok, cancel after a start is an error.
	CmdStart  = "start"
	CmdCancel = "cancel"
)

// serveControl answers control commands on ctl.sock.
func (m *monitor) serveControl() (net.Listener, error) {
	l, err := listenUnix(filepath.Join(m.cfg.Dir, ControlSocket))
	if err != nil {
		return nil, err
	}
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go m.control(conn)
		}
	}()
	return l, nil
}

func (m *monitor) control(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	// A start runs the OCI runtime: no deadline while the command runs;
	// the client bounds its own wait.
	conn.SetDeadline(time.Time{})
	var reply error
	switch strings.TrimSpace(line) {
	case CmdReopenLog:
		if m.out == nil {
			reply = fmt.Errorf("the container has no log")
		} else {
			reply = m.out.Reopen()
		}
	case CmdCloseStdin:
		m.io.CloseStdin()
	case CmdStart:
		reply = m.launch.start()
	case CmdCancel:
		reply = m.launch.cancel()
	default:
		reply = fmt.Errorf("unknown command %q", strings.TrimSpace(line))
	}
	conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if reply != nil {
		fmt.Fprintf(conn, "error: %v\n", reply)
		return
	}
	fmt.Fprintln(conn, "ok")
}

// Control sends one command to a monitor and waits up to 30 s for its
// answer.
func Control(dir, cmd string) error {
	return ControlWait(dir, cmd, 30*time.Second)
}

// ControlWait sends one command to a monitor and waits up to timeout for
// its answer (a start runs the OCI runtime, which may take a while on a
// loaded node).
func ControlWait(dir, cmd string, timeout time.Duration) error {
	conn, err := dialUnix(filepath.Join(dir, ControlSocket))
	if err != nil {
		return fmt.Errorf("the container's monitor is not reachable: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := fmt.Fprintln(conn, cmd); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("monitor: %w", err)
	}
	if line = strings.TrimSpace(line); line != "ok" {
		return fmt.Errorf("monitor: %s", strings.TrimPrefix(line, "error: "))
	}
	return nil
}
