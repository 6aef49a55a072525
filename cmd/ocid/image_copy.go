package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport/all"
)

// transferFlags are shared by copy and pull.
type transferFlags struct {
	all              bool
	format           string
	compress         string
	removeSignatures bool
	quiet            bool
	authFile         string
	digestFile       string
	plat             *platformFlags
	sign             signingFlags
}

func (t *transferFlags) add(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVarP(&t.all, "all", "a", false, "copy every platform of a multi-platform image")
	f.StringVarP(&t.format, "format", "f", "", "manifest `FORMAT` to write: oci or v2s2 (default: keep, unless the destination needs another)")
	f.StringVar(&t.compress, "dest-compress-format", "", "(re)compress layers with `ALGO`: gzip or zstd")
	f.BoolVar(&t.removeSignatures, "remove-signatures", false, "do not copy signatures (needed when the manifest must change)")
	f.BoolVarP(&t.quiet, "quiet", "q", false, "print nothing but errors")
	f.StringVar(&t.authFile, "authfile", "", "credentials `FILE` for both sides")
	f.StringVar(&t.digestFile, "digestfile", "", "write the digest of the written manifest to `FILE`")
	t.plat = addPlatformFlags(f)
}

// copyOptions turns the flags into copy.Options (sides filled by the caller).
func (a *app) copyOptions(t *transferFlags) (*copy.Options, error) {
	opts := &copy.Options{
		All:              t.all,
		RemoveSignatures: t.removeSignatures,
		Parallel:         a.cfg.Image.ParallelCopies,
		Retries:          a.cfg.Image.Retries,
		Log:              a.log,
	}
	if t.format != "" {
		f, err := image.ParseFormat(t.format)
		if err != nil {
			return nil, usageError{err}
		}
		opts.Format = f
	}
	if t.compress != "" {
		c, err := image.ParseCompression(t.compress)
		if err != nil {
			return nil, usageError{err}
		}
		opts.Compression = &c
	}
	if err := a.applyPolicy(opts); err != nil {
		return nil, err
	}
	if !t.quiet {
		opts.Progress = newProgress(isTerminal(), a.log)
	}
	return opts, nil
}

func newCopyCommand(a *app) *cobra.Command {
	t := &transferFlags{}
	cmd := &cobra.Command{
		Use:   "copy [flags] SOURCE DESTINATION",
		Short: "Copy an image between registries, OCI layouts, directories, archives and the store",
		Example: `  ocid image copy docker://quay.io/ns/app:1 oci:/srv/layout:app
  ocid image copy --all docker://src.example/app:1 docker://dst.example/app:1
  ocid image copy dir:/tmp/app docker-archive:/tmp/app.tar:app:1`,
		Args: cobra.ExactArgs(2),
	}
	t.add(cmd)
	src := addSideFlags(cmd.Flags(), "src-", "source")
	dst := addSideFlags(cmd.Flags(), "dest-", "destination")
	t.sign.add(cmd, "sign-")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		srcRef, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		dstRef, err := all.ParseImageName(args[1])
		if err != nil {
			return usageError{err}
		}
		opts, err := a.copyOptions(t)
		if err != nil {
			return err
		}
		if opts.Source, err = a.transportOptions(src, t.authFile, t.plat); err != nil {
			return err
		}
		if opts.Dest, err = a.transportOptions(dst, t.authFile, nil); err != nil {
			return err
		}
		if err := a.applySigning(cmd.Context(), opts, t); err != nil {
			return err
		}
		res, err := copy.Image(cmd.Context(), dstRef, srcRef, opts)
		finishProgress(opts.Progress)
		if err != nil {
			return err
		}
		return writeDigestFile(t.digestFile, res)
	}
	return cmd
}

func writeDigestFile(path string, res *copy.Result) error {
	if path == "" {
		return nil
	}
	if err := writeFile(path, []byte(res.Digest.String())); err != nil {
		return fmt.Errorf("--digestfile: %w", err)
	}
	return nil
}
