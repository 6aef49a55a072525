package main

import (
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	digest "github.com/opencontainers/go-digest"
	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
	"github.com/ocid-project/ocid/trust"
	"github.com/ocid-project/ocid/trust/signature"
)

func newTrustCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{Use: "trust", Short: "Show and edit the signature policy (policy.json)"}
	var format string
	show := &cobra.Command{
		Use:   "show",
		Short: "Show who the node trusts, per registry scope",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := trust.ShowTrust(a.cfg.Policy, a.cfg.RegistriesD)
			if err != nil {
				return err
			}
			if format == "json" {
				return writeJSON(cmd.OutOrStdout(), entries)
			}
			return trust.WriteShowTable(cmd.OutOrStdout(), entries)
		},
	}
	show.Flags().StringVar(&format, "format", "table", "table or json")
	var typ, tr string
	var keys []string
	set := &cobra.Command{
		Use:   "set --type signedBy|accept|reject [--pubkeysfile FILE]... SCOPE",
		Short: "Set the requirement for a scope (a registry, repository, or `default`)",
		Example: `  ocid trust set --type signedBy --pubkeysfile /etc/pki/acme.gpg registry.acme.com
  ocid trust set --type reject default`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if typ == "" {
				return usagef("--type is required (signedBy, sigstoreSigned, accept or reject)")
			}
			return trust.SetTrust(a.cfg.Policy, trust.SetOptions{Scope: args[0], Transport: tr, Type: typ, PubKeyFiles: keys})
		},
	}
	set.Flags().StringVarP(&typ, "type", "t", "", "requirement: signedBy, sigstoreSigned, accept or reject")
	set.Flags().StringArrayVarP(&keys, "pubkeysfile", "f", nil, "public keyring `FILE` (repeatable; each must sign)")
	set.Flags().StringVar(&tr, "transport", "", "transport of the scope (default docker)")
	cmd.AddCommand(show, set)
	return cmd
}

func newSignCommand(a *app) *cobra.Command {
	var s signingFlags
	var authFile string
	cmd := &cobra.Command{
		Use:   "sign (--sign-by FPR | --sign-key FILE | --sign-by-sigstore-private-key FILE) IMAGE",
		Short: "Sign an image where it is (lookaside store, dir:, the store) without copying it",
		Args:  cobra.ExactArgs(1),
	}
	s.add(cmd, "sign-")
	side := addSideFlags(cmd.Flags(), "", "")
	cmd.Flags().StringVar(&authFile, "authfile", "", "credentials `FILE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if !s.wanted() {
			return usagef("give a key: --sign-by FINGERPRINT, --sign-key FILE or --sign-by-sigstore-private-key FILE")
		}
		ref, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		rep, ok := ref.(transport.SignatureReplacer)
		if !ok {
			return usagef("%s: images cannot be signed in place; copy them with --sign-by", ref.Transport())
		}
		opts, err := a.transportOptions(side, authFile, nil)
		if err != nil {
			return err
		}
		identity, err := s.identityRef()
		if err != nil {
			return err
		}
		if identity == nil {
			identity = ref.DockerReference()
		}
		if identity == nil {
			return usagef("%s has no registry name; give the name to sign with --sign-identity", args[0])
		}
		signer, err := s.signer()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		src, err := ref.NewSource(ctx, opts)
		if err != nil {
			return err
		}
		defer src.Close()
		raw, _, err := src.Manifest(ctx, "")
		if err != nil {
			return err
		}
		sigs, err := src.Signatures(ctx, "")
		if err != nil {
			return err
		}
		sig, err := signer.Sign(ctx, raw, identity)
		if err != nil {
			return err
		}
		if err := rep.ReplaceSignatures(ctx, opts, digest.FromBytes(raw), append(sigs, sig)); err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "Signed %s as %s with %s (%d signatures now)\n", args[0], identity, signer, len(sigs)+1)
		return nil
	}
	return cmd
}

func newVerifyCommand(a *app) *cobra.Command {
	var format, authFile string
	cmd := &cobra.Command{
		Use:   "verify IMAGE",
		Short: "Show each signature of an image: signer, identity, and the policy's verdict",
		Args:  cobra.ExactArgs(1),
	}
	side := addSideFlags(cmd.Flags(), "", "")
	cmd.Flags().StringVar(&format, "format", "table", "table or json")
	cmd.Flags().StringVar(&authFile, "authfile", "", "credentials `FILE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		ref, err := all.ParseImageName(args[0])
		if err != nil {
			return usageError{err}
		}
		opts, err := a.transportOptions(side, authFile, nil)
		if err != nil {
			return err
		}
		pc, err := a.policyContext()
		if err != nil {
			return err
		}
		ctx := cmd.Context()
		src, err := ref.NewSource(ctx, opts)
		if err != nil {
			return err
		}
		defer src.Close()
		img := copy.TrustImage(&copy.UnparsedImage{Source: src})
		verdicts, err := pc.VerifySignatures(ctx, img)
		if err != nil {
			return err
		}
		decision := pc.Evaluate(ctx, img)
		if format == "json" {
			if err := writeJSON(cmd.OutOrStdout(), map[string]any{"signatures": verdicts, "allowed": decision == nil, "decision": errString(decision)}); err != nil {
				return err
			}
		} else {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "#\tFORMAT\tSIGNER\tIDENTITY\tVERDICT\tREASON")
			for _, v := range verdicts {
				verdict := "rejected"
				if v.Accepted {
					verdict = "accepted"
				}
				fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", v.Index, v.Format, dash(v.Signer), dash(v.Identity), verdict, v.Reason)
			}
			w.Flush()
			if len(verdicts) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no signatures")
			}
		}
		if decision != nil {
			return decision
		}
		fmt.Fprintln(cmd.ErrOrStderr(), "The policy allows", args[0])
		return nil
	}
	return cmd
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func newStandaloneSignCommand(a *app) *cobra.Command {
	var keyFile, passFile, output string
	cmd := &cobra.Command{
		Use:   "standalone-sign --key SECRET-KEY-FILE [--passphrase-file F] MANIFEST REFERENCE [FINGERPRINT] -o SIGNATURE",
		Short: "Sign a manifest file as a reference, as skopeo standalone-sign does",
		Args:  cobra.RangeArgs(2, 3),
	}
	cmd.Flags().StringVar(&keyFile, "key", "", "OpenPGP secret key `FILE` (without it, the gpg binary signs with FINGERPRINT)")
	cmd.Flags().StringVar(&passFile, "passphrase-file", "", "`FILE` holding the key's passphrase")
	cmd.Flags().StringVarP(&output, "output", "o", "", "write the signature to `FILE`")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if output == "" {
			return usagef("--output (-o) is required")
		}
		fpr := ""
		if len(args) == 3 {
			fpr = args[2]
		}
		if keyFile == "" && fpr == "" {
			return usagef("give --key FILE, or a FINGERPRINT for the gpg binary")
		}
		manifest, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		signer, err := trust.NewSigner(trust.SignerOptions{KeyFile: keyFile, Fingerprint: fpr, PassphraseFile: passFile})
		if err != nil {
			return err
		}
		sig, err := signer.SignAs(cmd.Context(), manifest, args[1])
		if err != nil {
			return err
		}
		return writeFile(output, sig)
	}
	return cmd
}

func newStandaloneVerifyCommand(a *app) *cobra.Command {
	var keyring string
	cmd := &cobra.Command{
		Use:   "standalone-verify --keyring PUBLIC-KEYRING-FILE MANIFEST REFERENCE FINGERPRINT SIGNATURE",
		Short: "Verify a signature of a manifest file, as skopeo standalone-verify does",
		Args:  cobra.ExactArgs(4),
	}
	cmd.Flags().StringVar(&keyring, "keyring", "", "public keyring `FILE` (gpg --export)")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		if keyring == "" {
			return usagef("--keyring is required")
		}
		manifest, err := os.ReadFile(args[0])
		if err != nil {
			return err
		}
		sig, err := os.ReadFile(args[3])
		if err != nil {
			return err
		}
		kr, err := signature.LoadKeyringFiles(keyring)
		if err != nil {
			return err
		}
		p, err := signature.StandaloneVerify(manifest, args[1], args[2], sig, kr)
		if err != nil {
			return fmt.Errorf("error verifying signature: %w", err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "Signature verified using fingerprint %s, digest %s\n", strings.ToUpper(args[2]), p.ManifestDigest)
		return nil
	}
	return cmd
}
