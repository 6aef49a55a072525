package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

func newStoreCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "store", Short: "Look after the image store: usage, checks, repair, garbage collection"}
	cmd.AddCommand(newDfCommand(a), newCheckCommand(a), newRepairCommand(a), newGCCommand(a))
	return cmd
}

func newDfCommand(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{Use: "df", Short: "Show the store's size and how much file-level deduplication saves", Args: cobra.NoArgs}
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		st, err := a.store()
		if err != nil {
			return err
		}
		u, err := st.DiskUsage()
		if err != nil {
			return err
		}
		if format == "json" {
			return writeJSON(cmd.OutOrStdout(), u)
		}
		w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "IMAGES\tLOGICAL\tON DISK\tOBJECTS\tOBJECT BYTES\tDEDUP")
		fmt.Fprintf(w, "%d\t%s\t%s\t%d\t%s\t%.2fx\n", u.Images, humanBytes(u.LogicalBytes), humanBytes(u.DiskBytes), u.Objects, humanBytes(u.ObjectBytes), u.DedupRatio)
		return w.Flush()
	}
	return cmd
}

func newCheckCommand(a *app) *cobra.Command {
	var quick bool
	var format string
	cmd := &cobra.Command{Use: "check", Short: "Verify every image, layer and file object (a changed byte is found)", Args: cobra.NoArgs}
	cmd.Flags().BoolVar(&quick, "quick", false, "check objects exist without re-hashing them")
	cmd.Flags().StringVar(&format, "format", "text", "text or json")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		st, err := a.store()
		if err != nil {
			return err
		}
		r, err := st.Check(cmd.Context(), quick)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		if format == "json" {
			if err := writeJSON(out, r); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(out, "checked %d images, %d layers, %d objects\n", r.Images, r.Layers, r.Objects)
			for _, p := range r.Problems {
				fmt.Fprintf(out, "DAMAGED image %s layer %s object %s: %s\n", p.Image, p.Layer, p.Object, p.What)
			}
			rc := r.Reclaimable
			fmt.Fprintf(out, "reclaimable by `ocid store gc`: %d checkouts, %d layers, %d blobs, %d objects, %d temporary\n", rc.Checkouts, rc.Layers, rc.Blobs, rc.Objects, rc.Temp)
		}
		if !r.Clean() {
			return fmt.Errorf("the store has %d problem(s); `ocid store repair` removes the damaged images so they can be pulled again", len(r.Problems))
		}
		return nil
	}
	return cmd
}

func newRepairCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "repair",
		Short: "Remove damaged images and objects (pull them again), then collect garbage",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			removed, err := st.Repair(cmd.Context())
			for _, id := range removed {
				fmt.Fprintln(cmd.OutOrStdout(), "removed damaged image", id)
			}
			return err
		},
	}
}

func newGCCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "gc",
		Short: "Remove files no image or container references",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := a.store()
			if err != nil {
				return err
			}
			s, err := st.GC(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d checkouts, %d layers, %d blobs, %d objects, %d temporary; freed %s\n",
				s.Checkouts, s.Layers, s.Blobs, s.Objects, s.Temp, humanBytes(s.Bytes))
			return nil
		},
	}
}
