package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/copy"
)

// applyPolicy sets the signature policy every copy and pull passes.
func (a *app) applyPolicy(opts *copy.Options) error {
	if a.insecurePolicy {
		opts.InsecureAcceptAnything = true
		return nil
	}
	return fmt.Errorf("signature policy support is not wired yet; pass --insecure-policy")
}

type signingFlags struct {
	signBy, keyFile, passphraseFile, identity string
}

var signing = map[*transferFlags]*signingFlags{}

func addSigningFlags(cmd *cobra.Command, t *transferFlags) {
	s := &signingFlags{}
	signing[t] = s
	f := cmd.Flags()
	f.StringVar(&s.signBy, "sign-by", "", "sign the written image with the OpenPGP key `FINGERPRINT`")
	f.StringVar(&s.keyFile, "sign-key", "", "secret key `FILE` to sign with (instead of the gpg keyring)")
	f.StringVar(&s.passphraseFile, "sign-passphrase-file", "", "`FILE` holding the signing key's passphrase")
	f.StringVar(&s.identity, "sign-identity", "", "registry `NAME` to sign (default: the destination's)")
}

func (a *app) applySigning(ctx context.Context, opts *copy.Options, t *transferFlags) error {
	s := signing[t]
	if s == nil || (s.signBy == "" && s.keyFile == "") {
		return nil
	}
	return fmt.Errorf("signing is not wired yet")
}
