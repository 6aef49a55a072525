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
	default:
		reply = fmt.Errorf("unknown command %q", strings.TrimSpace(line))
	}
	if reply != nil {
		fmt.Fprintf(conn, "error: %v\n", reply)
		return
	}
	fmt.Fprintln(conn, "ok")
}

// Control sends one command to a monitor and waits for its answer.
func Control(dir, cmd string) error {
	conn, err := dialUnix(filepath.Join(dir, ControlSocket))
	if err != nil {
		return fmt.Errorf("the container's monitor is not reachable: %w", err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
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
