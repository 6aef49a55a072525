package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/pull"
)

func newPullCommand(a *app) *cobra.Command {
	t := &transferFlags{}
	var as string
	cmd := &cobra.Command{
		Use:   "pull [flags] NAME|TRANSPORT:REF",
		Short: "Store an image (short names resolve through registries.conf)",
		Example: `  ocid image pull busybox
  ocid image pull quay.io/ns/app:1
  ocid image pull --name app:dev oci:/srv/layout:app`,
		Args: cobra.ExactArgs(1),
	}
	t.add(cmd)
	src := addSideFlags(cmd.Flags(), "", "source")
	cmd.Flags().StringVar(&as, "name", "", "store the image under `NAME` (default: its registry name)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		st, err := a.store()
		if err != nil {
			return err
		}
		opts, err := a.copyOptions(t)
		if err != nil {
			return err
		}
		if opts.Source, err = a.transportOptions(src, t.authFile, t.plat); err != nil {
			return err
		}
		regs, err := a.registries()
		if err != nil {
			return err
		}
		p := &pull.Puller{Store: st, Transport: a.storeTr, Registries: regs}
		res, err := p.Pull(cmd.Context(), args[0], as, opts)
		finishProgress(opts.Progress)
		if err != nil {
			return err
		}
		fmt.Fprintln(cmd.OutOrStdout(), res.Image.ID)
		return writeDigestFile(t.digestFile, &copy.Result{Digest: res.Image.Manifest})
	}
	return cmd
}

// imageRow is one line of `image ls`.
type imageRow struct {
	ID      string    `json:"id"`
	Names   []string  `json:"names"`
	Digest  string    `json:"digest"`
	Created time.Time `json:"created"`
	Size    int64     `json:"size"`
	Store   string    `json:"readOnlyStore,omitempty"`
}

func newListCommand(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list", "images"},
		Short:   "List stored images",
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json, or a Go `TEMPLATE` per image")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		st, err := a.store()
		if err != nil {
			return err
		}
		imgs, err := st.Images()
		if err != nil {
			return err
		}
		rows := make([]imageRow, 0, len(imgs))
		for _, img := range imgs {
			rows = append(rows, imageRow{ID: img.ID.String(), Names: img.Names, Digest: img.Manifest.String(), Created: img.Created, Size: img.Size, Store: img.ReadOnlyStore})
		}
		out := cmd.OutOrStdout()
		switch format {
		case "json":
			return writeJSON(out, rows)
		case "table", "":
			w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
			for _, r := range rows {
				names := r.Names
				if len(names) == 0 {
					names = []string{"<none>:<none>"}
				}
				for _, n := range names {
					repo, tag := splitTag(n)
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, strings.TrimPrefix(r.ID, "sha256:")[:12], ago(r.Created), humanBytes(r.Size))
				}
			}
			return w.Flush()
		}
		for _, r := range rows {
			if err := printFormatted(out, format, r); err != nil {
				return err
			}
		}
		return nil
	}
	return cmd
}

func splitTag(name string) (string, string) {
	i := strings.LastIndex(name, ":")
	if i < 0 || strings.Contains(name[i:], "/") {
		return name, "<none>"
	}
	return name[:i], name[i+1:]
}

func newRemoveCommand(a *app) *cobra.Command {
	var noGC bool
	cmd := &cobra.Command{
		Use:     "rm IMAGE...",
		Aliases: []string{"remove", "rmi"},
		Short:   "Remove stored images (a name removes that name; an ID removes the image)",
		Args:    cobra.MinimumNArgs(1),
	}
	cmd.Flags().BoolVar(&noGC, "no-gc", false, "leave the freed files for a later `ocid store gc`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		st, err := a.store()
		if err != nil {
			return err
		}
		var failed error
		for _, ref := range args {
			img, err := st.Remove(ref)
			if err != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "Error: %s: %v\n", ref, err)
				failed = fmt.Errorf("some images were not removed")
				continue
			}
			if img != nil {
				fmt.Fprintln(cmd.OutOrStdout(), "Deleted:", img.ID)
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "Untagged:", ref)
			}
		}
		if !noGC {
			if _, err := st.GC(cmd.Context()); err != nil {
				return err
			}
		}
		return failed
	}
	return cmd
}

func newTagCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "tag IMAGE NAME...",
		Short: "Give a stored image more names",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			for _, name := range args[1:] {
				if err := st.Tag(args[0], name); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func newMountCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "mount IMAGE [DIR]",
		Short: "Mount an image's files read-only to look at them; prints the path",
		Args:  cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			dir := ""
			if len(args) == 2 {
				dir = args[1]
			}
			p, err := st.MountImage(args[0], dir)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), p)
			return nil
		},
	}
}

func newUmountCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "umount IMAGE|DIR",
		Aliases: []string{"unmount"},
		Short:   "Unmount an image mounted with `ocid image mount`",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			return st.UnmountImage(args[0])
		},
	}
}
