package main

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/pull"
	"github.com/ocid-project/ocid/runtime"
)

// exitCodeError makes ocid exit with a container's exit code, silently.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func newContainerCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "container",
		Aliases: []string{"ctr"},
		Short:   "Run containers from the store with runc (the runtime the CRI daemon uses)",
	}
	cmd.AddCommand(newRunCommand(a), newCreateCommand(a), newStartCommand(a), newPsCommand(a), newLogsCommand(a),
		newExecCommand(a), newAttachCommand(a), newStopCommand(a), newKillCommand(a), newRmCommand(a), newInspectContainerCommand(a))
	return cmd
}

// ensureImage pulls the image if the store does not have it.
func (a *app) ensureImage(cmd *cobra.Command, ref string) (string, error) {
	st, err := a.store()
	if err != nil {
		return "", err
	}
	if img, err := st.Lookup(ref); err == nil {
		return img.ID.String(), nil
	} else if !errdefs.IsNotFound(err) {
		return "", err
	}
	opts, err := a.copyOptions(&transferFlags{quiet: !isTerminal()})
	if err != nil {
		return "", err
	}
	if opts.Source, err = a.transportOptions(addSideFlags(cmd.Flags(), "pull-", "source"), "", nil); err != nil {
		return "", err
	}
	regs, err := a.registries()
	if err != nil {
		return "", err
	}
	p := &pull.Puller{Store: st, Transport: a.storeTr, Registries: regs}
	res, err := p.Pull(cmd.Context(), ref, "", opts)
	finishProgress(opts.Progress)
	if err != nil {
		return "", err
	}
	return res.Image.ID.String(), nil
}

func (a *app) createContainer(cmd *cobra.Command, f *containerFlags, args []string) (*runtime.Status, *runtime.Manager, error) {
	rt, err := a.runtime()
	if err != nil {
		return nil, nil, err
	}
	imageID, err := a.ensureImage(cmd, args[0])
	if err != nil {
		return nil, nil, err
	}
	o, err := f.options(imageID, args[1:], "")
	if err != nil {
		return nil, nil, err
	}
	o.Image = imageID
	st, err := rt.Create(cmd.Context(), o)
	return st, rt, err
}

func newRunCommand(a *app) *cobra.Command {
	f := &containerFlags{}
	cmd := &cobra.Command{
		Use:   "run [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Create and start a container (pulling its image if needed)",
		Example: `  ocid container run --rm busybox echo hello
  ocid container run -d --name web --read-only --tmpfs /tmp -v /srv/www:/www:ro busybox httpd -f -h /www
  ocid container run -it busybox sh`,
		Args: cobra.MinimumNArgs(1),
	}
	cmd.Flags().SetInterspersed(false)
	f.add(cmd.Flags(), true)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if f.detach && f.rm {
			return usagef("--rm and --detach together are not supported: remove a detached container with `ocid container rm`")
		}
		st, rt, err := a.createContainer(cmd, f, args)
		if err != nil {
			return err
		}
		if f.detach {
			if err := rt.Start(cmd.Context(), st.ID); err != nil {
				rt.Delete(cmd.Context(), st.ID, true)
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), st.ID)
			return nil
		}
		code, err := a.attachAndStart(cmd, rt, st.ID, f.interactive, f.tty, true)
		if f.rm {
			if rerr := rt.Delete(cmd.Context(), st.ID, true); rerr != nil && err == nil {
				err = rerr
			}
		}
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

func newCreateCommand(a *app) *cobra.Command {
	f := &containerFlags{}
	cmd := &cobra.Command{
		Use:   "create [flags] IMAGE [COMMAND [ARG...]]",
		Short: "Create a container without starting it; prints its ID",
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().SetInterspersed(false)
	f.add(cmd.Flags(), false)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		st, _, err := a.createContainer(cmd, f, args)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), st.ID)
		return nil
	}
	return cmd
}

func newStartCommand(a *app) *cobra.Command {
	var attach bool
	cmd := &cobra.Command{Use: "start [-a] CONTAINER...", Short: "Start created containers", Args: cobra.MinimumNArgs(1)}
	cmd.Flags().BoolVarP(&attach, "attach", "a", false, "attach to its output and wait for it")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		if attach {
			if len(args) != 1 {
				return usagef("--attach takes one container")
			}
			st, err := rt.Status(args[0])
			if err != nil {
				return err
			}
			code, err := a.attachAndStart(cmd, rt, st.ID, st.Stdin, st.Terminal, true)
			if err == nil && code != 0 {
				err = exitCodeError{code}
			}
			return err
		}
		for _, id := range args {
			if err := rt.Start(cmd.Context(), id); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func newPsCommand(a *app) *cobra.Command {
	var all bool
	var format string
	cmd := &cobra.Command{Use: "ps [-a]", Aliases: []string{"ls", "list"}, Short: "List containers", Args: cobra.NoArgs}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "also list containers that are not running")
	cmd.Flags().StringVar(&format, "format", "table", "table, json, or a Go `TEMPLATE` per container")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		list, err := rt.List()
		if err != nil {
			return err
		}
		var shown []*runtime.Status
		for _, s := range list {
			if all || s.State == runtime.Running {
				shown = append(shown, s)
			}
		}
		out := cmd.OutOrStdout()
		switch format {
		case "json":
			if shown == nil {
				shown = []*runtime.Status{}
			}
			return writeJSON(out, shown)
		case "table", "":
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "CONTAINER ID\tIMAGE\tCREATED\tSTATUS\tNAME")
			for _, s := range shown {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.ID[:min(12, len(s.ID))], shortImage(s.Image), ago(s.Created), describeState(s), s.Name)
			}
			return w.Flush()
		}
		for _, s := range shown {
			if err := printFormatted(out, format, s); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func shortImage(s string) string {
	if strings.HasPrefix(s, "sha256:") && len(s) > 19 {
		return s[7:19]
	}
	return s
}

func describeState(s *runtime.Status) string {
	switch s.State {
	case runtime.Running:
		return "Up since " + s.Started.Local().Format(time.DateTime)
	case runtime.Exited:
		r := fmt.Sprintf("Exited (%d)", s.ExitCode)
		if s.OOMKilled {
			r += " OOMKilled"
		}
		return r
	case runtime.Created:
		return "Created"
	}
	return "Unknown: " + s.Reason
}

func newStopCommand(a *app) *cobra.Command {
	var timeout int
	cmd := &cobra.Command{Use: "stop [-t SECONDS] CONTAINER...", Short: "Stop containers (stop signal, then SIGKILL after the grace period)", Args: cobra.MinimumNArgs(1)}
	cmd.Flags().IntVarP(&timeout, "time", "t", 10, "grace period in `SECONDS`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		for _, id := range args {
			if err := rt.Stop(cmd.Context(), id, time.Duration(timeout)*time.Second); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func newKillCommand(a *app) *cobra.Command {
	var sig string
	cmd := &cobra.Command{Use: "kill [-s SIGNAL] CONTAINER...", Short: "Signal containers", Args: cobra.MinimumNArgs(1)}
	cmd.Flags().StringVarP(&sig, "signal", "s", "KILL", "`SIGNAL` to send")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		s, err := signalByName(sig)
		if err != nil {
			return err
		}
		for _, id := range args {
			if err := rt.Kill(cmd.Context(), id, s, false); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func newRmCommand(a *app) *cobra.Command {
	var force bool
	cmd := &cobra.Command{Use: "rm [-f] CONTAINER...", Short: "Remove containers", Args: cobra.MinimumNArgs(1)}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "remove running containers too (killing them)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		var failed error
		for _, id := range args {
			if _, err := rt.Lookup(id); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Error: %v\n", err)
				failed = errors.New("some containers were not removed")
				continue
			}
			if err := rt.Delete(cmd.Context(), id, force); err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Error: %v\n", err)
				failed = errors.New("some containers were not removed")
			}
		}
		return failed
	}
	return cmd
}

func newInspectContainerCommand(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{Use: "inspect CONTAINER", Short: "Show a container's record and state", Args: cobra.ExactArgs(1)}
	cmd.Flags().StringVarP(&format, "format", "f", "json", "json or a Go `TEMPLATE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		rt, err := a.runtime()
		if err != nil {
			return err
		}
		st, err := rt.Status(args[0])
		if err != nil {
			return err
		}
		return printFormatted(cmd.OutOrStdout(), format, st)
	}
	return cmd
}

func signalByName(s string) (syscall.Signal, error) {
	u := strings.ToUpper(strings.TrimPrefix(strings.ToUpper(s), "SIG"))
	var n int
	if _, err := fmt.Sscan(u, &n); err == nil && n > 0 && n < 65 {
		return syscall.Signal(n), nil
	}
	if sig := unix.SignalNum("SIG" + u); sig != 0 {
		return sig, nil
	}
	return 0, usagef("unknown signal %q", s)
}

// containerGC raises the garbage collector's target for container
// commands. They are short (create, start, rm) or mostly wait (run, logs
// -f, exec), and allocate a few MB while they set a container up; with
// Go's default target the first collection falls right there and competes
// for the CPUs with the monitor and the OCI runtime starting the
// container (about 2 ms of a 47 ms `run --rm` on 2 cores, median of 61
// alternating runs). Four times the default puts the first collection at
// a 16 MiB heap, which these commands do not reach. GOGC, if set, wins.
func containerGC(cmd *cobra.Command) {
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	for c := cmd; c != nil; c = c.Parent() {
		if c.Name() == "container" && c.HasParent() && !c.Parent().HasParent() {
			debug.SetGCPercent(400)
			return
		}
	}
}
