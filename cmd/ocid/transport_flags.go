package main

import (
	"os"

	"github.com/spf13/pflag"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/registry"
)

// sideFlags are the per-side transport flags (--src-creds, --dest-tls-verify…).
type sideFlags struct {
	prefix    string
	creds     string
	tlsVerify bool
	certDir   string
	authFile  string
	fs        *pflag.FlagSet
}

func addSideFlags(fs *pflag.FlagSet, prefix, what string) *sideFlags {
	s := &sideFlags{prefix: prefix, fs: fs}
	fs.StringVar(&s.creds, prefix+"creds", "", "`USER[:PASSWORD]` for the "+what+" registry")
	fs.BoolVar(&s.tlsVerify, prefix+"tls-verify", true, "require HTTPS and verify certificates for the "+what+" registry (default: registries.conf decides)")
	fs.StringVar(&s.certDir, prefix+"cert-dir", "", "`DIR` with *.crt, *.cert and *.key for the "+what+" registry")
	if prefix != "" {
		fs.StringVar(&s.authFile, prefix+"authfile", "", "credentials `FILE` for the "+what+" registry")
	}
	return s
}

// platformFlags choose an index instance.
type platformFlags struct{ arch, os, variant string }

func addPlatformFlags(fs *pflag.FlagSet) *platformFlags {
	p := &platformFlags{}
	fs.StringVar(&p.arch, "override-arch", "", "use `ARCH` instead of this machine's architecture when choosing from an index")
	fs.StringVar(&p.os, "override-os", "", "use `OS` instead of this machine's when choosing from an index")
	fs.StringVar(&p.variant, "override-variant", "", "use `VARIANT` when choosing from an index")
	return p
}

// options builds one side's transport.Options.
func (a *app) transportOptions(s *sideFlags, authFile string, p *platformFlags) (*transport.Options, error) {
	regs, err := a.registries()
	if err != nil {
		return nil, err
	}
	look, err := a.lookaside()
	if err != nil {
		return nil, err
	}
	o := &transport.Options{
		Registries: regs,
		Lookaside:  look,
		CertDir:    s.certDir,
		Retries:    a.cfg.Image.Retries,
		TempDir:    a.tmpDirectory(),
		UserAgent:  "ocid/" + version,
		Log:        a.log,
	}
	if s == nil {
		s = &sideFlags{}
	}
	if s.fs != nil && s.fs.Changed(s.prefix+"tls-verify") {
		v := s.tlsVerify
		o.TLSVerify = &v
	}
	if s.creds != "" {
		c, err := registry.ParseCreds(s.creds)
		if err != nil {
			return nil, usageError{err}
		}
		o.Creds = c
	}
	if s.authFile != "" {
		authFile = s.authFile
	}
	if authFile != "" {
		o.AuthFiles = []string{authFile}
	}
	if p != nil {
		o.Platform = image.Platform{OS: p.os, Architecture: p.arch, Variant: p.variant}
	}
	return o, nil
}

func (a *app) tmpDirectory() string {
	if a.tmpDir != "" {
		return a.tmpDir
	}
	return os.TempDir()
}
