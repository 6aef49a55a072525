package main

import (
	"strings"

	"github.com/spf13/cobra"
)

// hoistGlobalConfig resolves one clash: `--config FILE` is a global flag,
// but `image inspect --config` (as in skopeo) prints an image's config.
// A --config written before the subcommand is the global one; it is
// rewritten as --ocid-config, which no subcommand shadows.
func hoistGlobalConfig(root *cobra.Command, args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") || a == "--" {
			return append(out, args[i:]...) // the subcommand: stop
		}
		switch {
		case a == "--config" && i+1 < len(args):
			out = append(out, "--ocid-config", args[i+1])
			i++
			continue
		case strings.HasPrefix(a, "--config="):
			out = append(out, "--ocid-config="+strings.TrimPrefix(a, "--config="))
			continue
		}
		out = append(out, a)
		// Skip the value of a global flag that takes one.
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		if f := root.PersistentFlags().Lookup(name); f != nil && f.NoOptDefVal == "" && i+1 < len(args) {
			out = append(out, args[i+1])
			i++
		} else if len(name) == 1 {
			if f := root.PersistentFlags().ShorthandLookup(name); f != nil && f.NoOptDefVal == "" && i+1 < len(args) {
				out = append(out, args[i+1])
				i++
			}
		}
	}
	return out
}
