package main

import (
	"github.com/spf13/cobra"
)

func newImageCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "image",
		Short: "Inspect, copy, pull and manage images",
	}
	cmd.AddCommand(
		newInspectCommand(a),
		newCopyCommand(a),
		newListTagsCommand(a),
		newDeleteCommand(a),
	)
	return cmd
}
