package main

import (
	"context"
	"fmt"

	"github.com/distribution/reference"
	"github.com/spf13/cobra"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/trust"
	"github.com/ocid-project/ocid/trust/lookaside"
)

// applyPolicy sets the signature policy every copy and pull passes.
func (a *app) applyPolicy(opts *copy.Options) error {
	if a.insecurePolicy {
		opts.InsecureAcceptAnything = true
		return nil
	}
	pc, err := a.policyContext()
	if err != nil {
		return err
	}
	opts.Policy = copy.PolicyFrom(pc)
	return nil
}

func (a *app) policyContext() (*trust.PolicyContext, error) {
	p, err := trust.LoadPolicy(a.cfg.Policy)
	if err != nil {
		return nil, fmt.Errorf("signature policy: %w (create it, point --policy at one, or pass --insecure-policy)", err)
	}
	return trust.NewPolicyContext(p, nil), nil
}

// lookaside loads registries.d once.
func (a *app) lookaside() (*lookaside.Config, error) {
	if a.look == nil {
		l, err := lookaside.Load(a.cfg.RegistriesD)
		if err != nil {
			return nil, err
		}
		a.look = l
	}
	return a.look, nil
}

// signingFlags choose a signing key (copy --sign-by…, image sign).
type signingFlags struct {
	signBy, keyFile, passphraseFile, identity, cosignKey string
}

func (s *signingFlags) add(cmd *cobra.Command, prefix string) {
	f := cmd.Flags()
	f.StringVar(&s.signBy, prefix+"by", "", "sign with the OpenPGP key `FINGERPRINT` (from --"+prefix+"key, or the gpg keyring)")
	f.StringVar(&s.keyFile, prefix+"key", "", "OpenPGP secret key `FILE` to sign with (gpg --export-secret-keys)")
	f.StringVar(&s.passphraseFile, prefix+"passphrase-file", "", "`FILE` holding the signing key's passphrase")
	f.StringVar(&s.identity, prefix+"identity", "", "registry `NAME` to sign (default: the image's)")
	f.StringVar(&s.cosignKey, prefix+"by-sigstore-private-key", "", "sign with a cosign (ECDSA P-256) private key `FILE` instead")
}

func (s *signingFlags) wanted() bool { return s.signBy != "" || s.keyFile != "" || s.cosignKey != "" }

func (s *signingFlags) signer() (*trust.Signer, error) {
	return trust.NewSigner(trust.SignerOptions{
		KeyFile: s.keyFile, Fingerprint: s.signBy, PassphraseFile: s.passphraseFile, CosignKeyFile: s.cosignKey,
	})
}

func (s *signingFlags) identityRef() (reference.Named, error) {
	if s.identity == "" {
		return nil, nil
	}
	named, err := image.ParseDockerReference(s.identity)
	if err != nil {
		return nil, usageError{err}
	}
	return image.WithDefaultTag(named), nil
}

func (a *app) applySigning(ctx context.Context, opts *copy.Options, t *transferFlags) error {
	if !t.sign.wanted() {
		return nil
	}
	signer, err := t.sign.signer()
	if err != nil {
		return err
	}
	opts.Signer = signer
	opts.SignIdentity, err = t.sign.identityRef()
	return err
}
