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
		newPullCommand(a),
		newListCommand(a),
		newRemoveCommand(a),
		newTagCommand(a),
		newMountCommand(a),
		newUmountCommand(a),
		newSignCommand(a),
		newVerifyCommand(a),
		newStandaloneSignCommand(a),
		newStandaloneVerifyCommand(a),
	)
	return cmd
}
