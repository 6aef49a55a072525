package trust

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/trust/lookaside"
	"github.com/ocid-project/ocid/trust/signature"
)

// ShowEntry is one row of `ocid trust show`: one requirement of one scope.
type ShowEntry struct {
	Transport string `json:"transport"` // "" for the default list
	Scope     string `json:"scope"`     // DefaultScope for the default list
	Type      string `json:"type"`      // accept, reject, signed, sigstoreSigned, signedBaseLayer
	// Keys are the key sources: file paths, or "keyData".
	Keys []string `json:"keys,omitempty"`
	// KeyIdentities describe the keys found there ("FPR Name <email>" for
	// GPG keys); empty when they cannot be read.
	KeyIdentities []string `json:"keyIdentities,omitempty"`
	// Identity is the signedIdentity rule, when not the default.
	Identity string `json:"signedIdentity,omitempty"`
	// Lookaside is where signatures are read from, for docker scopes.
	Lookaside string `json:"lookaside,omitempty"`
}

// typeDescription are the names podman's trust show uses.
var typeDescription = map[RequirementType]string{
	TypeInsecureAcceptAnything: "accept",
	TypeReject:                 "reject",
	TypeSignedBy:               "signed",
	TypeSigstoreSigned:         "sigstoreSigned",
	TypeSignedBaseLayer:        "signedBaseLayer",
}

// Show describes p for `ocid trust show`. regd (may be nil) supplies the
// lookaside of docker scopes.
func Show(p *Policy, regd *lookaside.Config) []ShowEntry {
	var res []ShowEntry
	add := func(transport, scope string, reqs Requirements) {
		for _, r := range reqs {
			e := ShowEntry{Transport: transport, Scope: scope, Type: typeDescription[r.Type]}
			if e.Type == "" {
				e.Type = string(r.Type)
			}
			e.Keys, e.KeyIdentities = describeKeys(r)
			if r.SignedIdentity != nil {
				e.Identity = describeIdentity(r.SignedIdentity)
			}
			if regd != nil && (transport == "docker" || scope == DefaultScope) && (r.Type == TypeSignedBy) {
				if u, err := regd.BaseURL(showScopes(scope), false); err == nil {
					e.Lookaside = u.Redacted()
				}
			}
			res = append(res, e)
		}
	}
	add("", DefaultScope, p.Default)
	for _, t := range p.Transports {
		for _, s := range t.Scopes {
			add(t.Transport, s.Name, s.Requirements)
		}
	}
	return res
}

// showScopes is the lookaside lookup chain of a docker policy scope: the
// scope, then the namespaces of its repository.
func showScopes(scope string) []string {
	if scope == DefaultScope || scope == "" || strings.HasPrefix(scope, "*.") {
		return []string{scope}
	}
	name := scope
	if m := reference.ReferenceRegexp.FindStringSubmatch(scope); m != nil {
		name = m[1]
	}
	res := []string{scope}
	for _, ns := range nameNamespaces(name) {
		if ns != scope {
			res = append(res, ns)
		}
	}
	return res
}

func describeKeys(r *Requirement) (sources, identities []string) {
	switch {
	case r.KeyPath != "":
		sources = []string{r.KeyPath}
	case r.KeyPaths != nil:
		sources = append(sources, r.KeyPaths...)
	case r.KeyData != nil:
		sources = []string{"keyData"}
	default:
		return nil, nil
	}
	if r.Type != TypeSignedBy {
		return sources, nil
	}
	var kr *signature.Keyring
	var err error
	if r.KeyData != nil {
		kr, err = signature.ReadKeyring(r.KeyData)
	} else {
		kr, err = signature.LoadKeyringFiles(sources...)
	}
	if err == nil {
		identities = kr.Identities()
	}
	return sources, identities
}

func describeIdentity(m *IdentityMatch) string {
	switch m.Type {
	case MatchExactReference:
		return fmt.Sprintf("%s %s", m.Type, m.DockerReference)
	case MatchExactRepository:
		return fmt.Sprintf("%s %s", m.Type, m.DockerRepository)
	case MatchRemapIdentity:
		return fmt.Sprintf("%s %s=>%s", m.Type, m.Prefix, m.SignedPrefix)
	}
	return string(m.Type)
}

// WriteShowTable prints entries as an aligned table: TRANSPORT SCOPE TYPE
// KEYS LOOKASIDE, key identities preferred over paths.
func WriteShowTable(w io.Writer, entries []ShowEntry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TRANSPORT\tSCOPE\tTYPE\tKEYS\tLOOKASIDE")
	for _, e := range entries {
		transport, scope := e.Transport, e.Scope
		if transport == "" {
			transport = "all"
		}
		if scope == "" {
			scope = `""`
		}
		keys := e.Keys
		if len(e.KeyIdentities) > 0 {
			keys = e.KeyIdentities
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", transport, scope, e.Type, strings.Join(keys, ", "), e.Lookaside)
	}
	return tw.Flush()
}

// ShowTrust is `ocid trust show`: load the policy (DefaultPolicyPath when
// empty) and registries.d (lookaside.DefaultDir when empty) and describe
// them.
func ShowTrust(policyPath, registriesDir string) ([]ShowEntry, error) {
	p, err := LoadPolicy(policyPath)
	if err != nil {
		return nil, err
	}
	// A broken registries.d breaks pulls too, so it is reported, not skipped.
	regd, err := lookaside.Load(registriesDir)
	if err != nil {
		return nil, err
	}
	return Show(p, regd), nil
}
