package runtime

import (
	"fmt"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// execPty is the terminal of an interactive exec. runc gives a console
// socket only to detached processes, whose exit status would then be
// nobody's to collect; so the runtime runs attached, with a pty of ours
// as its controlling terminal: it sets up the container's terminal and
// proxies it to this one, and it follows our size changes (SIGWINCH
// reaches it as the terminal's foreground process).
type execPty struct {
	master, slave *os.File
	out           sync.WaitGroup
}

func openExecPty() (*execPty, error) {
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening a terminal: %w", err)
	}
	fd := int(master.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		master.Close()
		return nil, fmt.Errorf("unlocking the terminal: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		master.Close()
		return nil, err
	}
	slave, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		master.Close()
		return nil, err
	}
	// Raw: line editing and echo are the container terminal's job.
	if _, err := term.MakeRaw(int(slave.Fd())); err != nil {
		master.Close()
		slave.Close()
		return nil, err
	}
	return &execPty{master: master, slave: slave}, nil
}

// resize sets the size the runtime will copy to the container's terminal.
func (p *execPty) resize(s Size) {
	unix.IoctlSetWinsize(int(p.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Col: s.Width, Row: s.Height})
}

// copy connects the caller's streams to the terminal once the runtime
// has started (the slave is the runtime's now).
func (p *execPty) copy(o ExecOptions) {
	p.slave.Close()
	if o.Stdin != nil {
		go io.Copy(p.master, o.Stdin)
	}
	if o.Resize != nil {
		go func() {
			for s := range o.Resize {
				p.resize(s)
			}
		}()
	}
	if o.Stdout != nil {
		p.out.Add(1)
		go func() {
			defer p.out.Done()
			io.Copy(o.Stdout, p.master) // ends with EIO when the runtime exits
		}()
	}
}

func (p *execPty) wait() {
	p.out.Wait()
	p.master.Close()
}
