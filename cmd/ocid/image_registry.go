package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
)

func newListTagsCommand(a *app) *cobra.Command {
	var authFile, format string
	cmd := &cobra.Command{
		Use:     "list-tags [flags] docker://REPOSITORY",
		Short:   "List the tags of a registry repository",
		Example: `  ocid image list-tags docker://registry.local/ns/app`,
		Args:    cobra.ExactArgs(1),
	}
	side := addSideFlags(cmd.Flags(), "", "")
	cmd.Flags().StringVar(&authFile, "authfile", "", "credentials `FILE`")
	cmd.Flags().StringVar(&format, "format", "json", "output: json, or a Go `TEMPLATE` over {Repository, Tags}")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		lister, ok := ref.(transport.TagLister)
		if !ok {
			return usagef("list-tags works on docker:// references, not %s:", ref.Transport())
		}
		opts, err := a.transportOptions(side, authFile, nil)
		if err != nil {
			return err
		}
		tags, err := lister.ListTags(cmd.Context(), opts)
		if err != nil {
			return err
		}
		if tags == nil {
			tags = []string{}
		}
		return printFormatted(cmd.OutOrStdout(), format, struct {
			Repository string
			Tags       []string
		}{ref.DockerReference().Name(), tags})
	}
	return cmd
}

func newDeleteCommand(a *app) *cobra.Command {
	var authFile string
	cmd := &cobra.Command{
		Use:   "delete [flags] TRANSPORT:REF",
		Short: "Delete an image from a registry (every tag of that manifest goes with it)",
		Args:  cobra.ExactArgs(1),
	}
	side := addSideFlags(cmd.Flags(), "", "")
	cmd.Flags().StringVar(&authFile, "authfile", "", "credentials `FILE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		d, ok := ref.(transport.Deleter)
		if !ok {
			return usagef("delete is not supported for %s: images", ref.Transport())
		}
		opts, err := a.transportOptions(side, authFile, nil)
		if err != nil {
			return err
		}
		if err := d.DeleteImage(cmd.Context(), opts); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Deleted %s\n", args[0])
		return nil
	}
	return cmd
}
