package trust

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/trust/signature"
)

// DefaultScope is the scope name `ocid trust set` uses for the policy's
// "default" list.
const DefaultScope = "default"

// SetOptions describe one `ocid trust set` change.
type SetOptions struct {
	// Scope is DefaultScope or a scope of Transport.
	Scope string
	// Transport holding Scope. Empty means: the first transport that
	// already has Scope, else "docker" (podman's behaviour).
	Transport string
	// Type is "accept" (or "insecureAcceptAnything"), "reject",
	// "signedBy" or "sigstoreSigned".
	Type string
	// PubKeyFiles: for signedBy, GPG keyring files; for sigstoreSigned,
	// PEM public keys. Each file becomes its own requirement, so the image
	// needs a signature from a key of every file.
	PubKeyFiles []string
}

// Set replaces the requirements of one scope (or the default) in p,
// leaving every other entry as it was.
func (p *Policy) Set(opts SetOptions) error {
	reqs, err := requirementsFor(opts)
	if err != nil {
		return err
	}
	if opts.Scope == DefaultScope {
		p.Default = reqs
		return nil
	}
	if opts.Scope == "" {
		return fmt.Errorf("trust set: a scope is required: %w", errdefs.ErrInvalidArgument)
	}
	if len(p.Default) == 0 {
		return fmt.Errorf("trust set: the default policy must be set first (scope %q): %w", DefaultScope, errdefs.ErrPrecondition)
	}
	transport := opts.Transport
	if transport == "" {
		transport = "docker"
		for _, t := range p.Transports {
			if _, ok := p.Requirements(t.Transport, opts.Scope); ok {
				transport = t.Transport
				break
			}
		}
	}
	if err := ValidateScope(transport, opts.Scope); err != nil {
		return fmt.Errorf("trust set: %w", err)
	}
	p.setScope(transport, opts.Scope, reqs)
	return nil
}

// Remove deletes a scope; it reports whether the scope existed.
func (p *Policy) Remove(transport, scope string) bool {
	for ti := range p.Transports {
		t := &p.Transports[ti]
		if t.Transport != transport {
			continue
		}
		for si, s := range t.Scopes {
			if s.Name == scope {
				t.Scopes = append(t.Scopes[:si], t.Scopes[si+1:]...)
				return true
			}
		}
	}
	return false
}

func (p *Policy) setScope(transport, scope string, reqs Requirements) {
	for ti := range p.Transports {
		t := &p.Transports[ti]
		if t.Transport != transport {
			continue
		}
		for si := range t.Scopes {
			if t.Scopes[si].Name == scope {
				t.Scopes[si].Requirements = reqs
				return
			}
		}
		t.Scopes = append(t.Scopes, Scope{Name: scope, Requirements: reqs})
		return
	}
	p.Transports = append(p.Transports, TransportScopes{Transport: transport, Scopes: []Scope{{Name: scope, Requirements: reqs}}})
}

// requirementsFor builds and checks the requirements of a SetOptions.
// Key files are checked now (readable, holding keys) and stored as
// absolute paths: a relative keyPath would be resolved against whatever
// directory the daemon happens to run in.
func requirementsFor(opts SetOptions) (Requirements, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("trust set: "+format+": %w", append(args, errdefs.ErrInvalidArgument)...)
	}
	switch opts.Type {
	case "accept", string(TypeInsecureAcceptAnything), string(TypeReject):
		if len(opts.PubKeyFiles) != 0 {
			return nil, bad("%d public key files given for type %s, which takes none", len(opts.PubKeyFiles), opts.Type)
		}
		t := TypeReject
		if opts.Type != string(TypeReject) {
			t = TypeInsecureAcceptAnything
		}
		return Requirements{{Type: t}}, nil
	case string(TypeSignedBy), string(TypeSigstoreSigned):
	default:
		return nil, bad("unknown trust type %q (accept, reject, signedBy, sigstoreSigned)", opts.Type)
	}
	if len(opts.PubKeyFiles) == 0 {
		return nil, bad("type %s needs at least one public key file", opts.Type)
	}
	var reqs Requirements
	for _, f := range opts.PubKeyFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("trust set: %w", err)
		}
		if opts.Type == string(TypeSignedBy) {
			kr, err := signature.LoadKeyringFiles(abs)
			if err != nil {
				return nil, fmt.Errorf("trust set: %w", err)
			}
			if kr.Len() == 0 {
				return nil, bad("%s holds no OpenPGP public keys", abs)
			}
			reqs = append(reqs, &Requirement{Type: TypeSignedBy, KeyType: KeyTypeGPGKeys, KeyPath: abs})
			continue
		}
		data, err := os.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("trust set: %w", err)
		}
		if _, err := signature.ReadCosignPublicKey(data); err != nil {
			return nil, fmt.Errorf("trust set: %s: %w", abs, err)
		}
		reqs = append(reqs, &Requirement{Type: TypeSigstoreSigned, KeyPath: abs})
	}
	return reqs, nil
}

// SetTrust is `ocid trust set`: load policyPath (DefaultPolicyPath when
// empty; a missing file starts an empty policy), apply opts, write it back
// atomically.
func SetTrust(policyPath string, opts SetOptions) error {
	if policyPath == "" {
		policyPath = DefaultPolicyPath
	}
	p, err := LoadPolicy(policyPath)
	if errors.Is(err, os.ErrNotExist) {
		p, err = &Policy{}, nil
	}
	if err != nil {
		return err
	}
	if err := p.Set(opts); err != nil {
		return err
	}
	return WritePolicy(policyPath, p)
}

// WritePolicy writes p to path atomically (temporary file in the same
// directory, synced, renamed over), keeping the old file's permissions
// (0644 for a new file). The written bytes are parsed back first, so an
// invalid policy is never installed.
func WritePolicy(path string, p *Policy) error {
	data, err := p.Marshal()
	if err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if _, err := ParsePolicy(data, path); err != nil {
		return fmt.Errorf("writing policy: refusing to write an invalid policy: %w", err)
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".policy-*.json.tmp")
	if err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if err := tmp.Chmod(mode); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing policy: %w", err)
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
	return nil
}
