package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/attach"
	"github.com/ocid-project/ocid/runtime/crilog"
)

// attachAndStart connects to a container's attach socket, optionally
// starts it, and copies its streams until it exits; it returns the
// container's exit code.
func (a *app) attachAndStart(cmd *cobra.Command, rt *runtime.Manager, id string, stdin, tty, start bool) (int, error) {
	sock, c, err := rt.AttachSocket(id)
	if err != nil {
		return -1, err
	}
	client, err := attach.Dial(sock, attach.ClientOptions{Stdin: stdin, Stdout: true, Stderr: !c.Terminal, TTY: c.Terminal})
	if err != nil {
		return -1, err
	}
	restore, resize := terminalMode(tty && stdin)
	defer restore()
	if start {
		if err := rt.Start(cmd.Context(), id); err != nil {
			client.Close()
			return -1, err
		}
	}
	var in io.Reader
	if stdin {
		in = os.Stdin
	}
	return client.Run(cmd.Context(), in, cmd.OutOrStdout(), cmd.ErrOrStderr(), resize)
}

// terminalMode puts the local terminal in raw mode (a TTY container
// handles line editing) and reports its size changes.
func terminalMode(on bool) (restore func(), resize <-chan attach.Size) {
	fd := int(os.Stdin.Fd())
	if !on || !term.IsTerminal(fd) {
		return func() {}, nil
	}
	old, err := term.MakeRaw(fd)
	if err != nil {
		return func() {}, nil
	}
	ch := make(chan attach.Size, 1)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGWINCH)
	send := func() {
		if w, h, err := term.GetSize(fd); err == nil {
			select {
			case ch <- attach.Size{Width: uint16(w), Height: uint16(h)}:
			default:
			}
		}
	}
	send()
	go func() {
		for range sigs {
			send()
		}
	}()
	return func() { signal.Stop(sigs); term.Restore(fd, old) }, ch
}

func newAttachCommand(a *app) *cobra.Command {
	var noStdin bool
	cmd := &cobra.Command{Use: "attach CONTAINER", Short: "Attach to a running container's streams", Args: cobra.ExactArgs(1)}
	cmd.Flags().BoolVar(&noStdin, "no-stdin", false, "do not send input")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		st, err := rt.Status(args[0])
		if err != nil {
			return err
		}
		code, err := a.attachAndStart(cmd, rt, st.ID, st.Stdin && !noStdin, st.Terminal, false)
		if err == nil && code != 0 {
			err = exitCodeError{code}
		}
		return err
	}
	return cmd
}

func newExecCommand(a *app) *cobra.Command {
	var tty, interactive bool
	var user, workdir string
	var env []string
	cmd := &cobra.Command{Use: "exec [-it] CONTAINER COMMAND [ARG...]", Short: "Run a command in a running container", Args: cobra.MinimumNArgs(2)}
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&tty, "tty", "t", false, "give the command a terminal")
	cmd.Flags().BoolVarP(&interactive, "interactive", "i", false, "send stdin")
	cmd.Flags().StringVarP(&user, "user", "u", "", "run as `USER[:GROUP]`")
	cmd.Flags().StringVarP(&workdir, "workdir", "w", "", "working `DIR`")
	cmd.Flags().StringArrayVarP(&env, "env", "e", nil, "set `KEY=VALUE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		o := runtime.ExecOptions{Args: args[1:], Env: env, User: user, WorkingDir: workdir, Terminal: tty,
			Stdout: cmd.OutOrStdout(), Stderr: cmd.ErrOrStderr()}
		if interactive {
			o.Stdin = os.Stdin
		}
		restore, resize := terminalMode(tty && interactive)
		defer restore()
		if resize != nil {
			ch := make(chan runtime.Size, 1)
			go func() {
				for s := range resize {
					ch <- runtime.Size{Width: s.Width, Height: s.Height}
				}
			}()
			o.Resize = ch
		}
		code, err := rt.Exec(cmd.Context(), args[0], o)
		if err != nil {
			return err
		}
		if code != 0 {
			return exitCodeError{code}
		}
		return nil
	}
	return cmd
}

func newLogsCommand(a *app) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{Use: "logs [-f] CONTAINER", Short: "Print a container's output (from its CRI log)", Args: cobra.ExactArgs(1)}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new output until the container exits")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		st, err := rt.Status(args[0])
		if err != nil {
			return err
		}
		out := map[crilog.Stream]io.Writer{crilog.Stdout: cmd.OutOrStdout(), crilog.Stderr: cmd.ErrOrStderr()}
		if !follow || st.State != runtime.Running {
			return printLog(st.LogPath, out)
		}
		done := make(chan struct{})
		go func() {
			rt.Wait(cmd.Context(), st.ID)
			close(done)
		}()
		return followLog(cmd.Context(), st.LogPath, done, out)
	}
	return cmd
}

// printLog prints a CRI log, joining partial lines.
func printLog(path string, out map[crilog.Stream]io.Writer) error {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := crilog.NewScanner(f)
	var asm crilog.Assembler
	for sc.Scan() {
		if line, ok := asm.Add(sc.Entry()); ok {
			writeLine(out, line)
		}
	}
	for _, line := range asm.Flush() {
		writeLine(out, line)
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

func writeLine(out map[crilog.Stream]io.Writer, l crilog.Line) {
	w := out[l.Stream]
	w.Write(l.Content)
	if l.Complete {
		w.Write([]byte{'\n'})
	}
}

// followLog prints the log from the start and then as it grows, until
// done closes (the container exited) and the rest is read.
func followLog(ctx context.Context, path string, done <-chan struct{}, out map[crilog.Stream]io.Writer) error {
	var asm crilog.Assembler
	err := crilog.Follow(ctx, path, 0, crilog.FollowOptions{Done: done}, func(e crilog.Entry) error {
		if line, ok := asm.Add(e); ok {
			writeLine(out, line)
		}
		return nil
	})
	for _, line := range asm.Flush() {
		writeLine(out, line)
	}
	return err
}
