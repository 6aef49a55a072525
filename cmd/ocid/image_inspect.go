package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/template"

	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/inspect"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
)

func newInspectCommand(a *app) *cobra.Command {
	var raw, showConfig, noTags bool
	var format, authFile string
	cmd := &cobra.Command{
		Use:   "inspect [flags] TRANSPORT:REF",
		Short: "Show an image's manifest and config without pulling its layers",
		Example: `  ocid image inspect docker://quay.io/ns/app:1
  ocid image inspect --raw oci:/srv/layout:app
  ocid image inspect --format '{{.Digest}}' docker://registry.local/app@sha256:…`,
		Args: cobra.ExactArgs(1),
	}
	side := addSideFlags(cmd.Flags(), "", "")
	plat := addPlatformFlags(cmd.Flags())
	cmd.Flags().BoolVar(&raw, "raw", false, "print the manifest (or index) exactly as stored")
	cmd.Flags().BoolVar(&showConfig, "config", false, "print the image config (with --raw: exactly as stored)")
	cmd.Flags().BoolVar(&noTags, "no-tags", false, "do not list the repository's tags")
	cmd.Flags().StringVarP(&format, "format", "f", "json", "output: json, or a Go `TEMPLATE` over the JSON fields")
	cmd.Flags().StringVar(&authFile, "authfile", "", "credentials `FILE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		opts, err := a.transportOptions(side, authFile, plat)
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		src, err := ref.NewSource(ctx, opts)
		if err != nil {
			return err
		}
		defer src.Close()
		out := cmd.OutOrStdout()
		if raw && !showConfig {
			top, _, err := src.Manifest(ctx, "")
			if err != nil {
				return err
			}
			_, err = out.Write(top)
			return err
		}
		img, err := inspect.Resolve(ctx, src, opts.WantPlatform())
		if err != nil {
			return err
		}
		if showConfig {
			if raw {
				_, err = out.Write(img.ConfigRaw)
				return err
			}
			return writeJSON(out, img.Config)
		}
		var tags []string
		if lister, ok := ref.(transport.TagLister); ok && !noTags {
			if tags, err = lister.ListTags(ctx, opts); err != nil {
				return fmt.Errorf("listing tags (use --no-tags to skip): %w", err)
			}
		}
		return printFormatted(out, format, inspect.Describe(ref, img, tags))
	}
	return cmd
}

// printFormatted prints v as indented JSON, or through a Go template.
func printFormatted(w io.Writer, format string, v any) error {
	if format == "" || format == "json" {
		return writeJSON(w, v)
	}
	tmpl, err := template.New("format").Funcs(template.FuncMap{
		"json": func(v any) (string, error) { b, err := json.Marshal(v); return string(b), err },
	}).Parse(format)
	if err != nil {
		return usagef("--format: %v", err)
	}
	if err := tmpl.Execute(w, v); err != nil {
		return err
	}
	_, err = fmt.Fprintln(w)
	return err
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
