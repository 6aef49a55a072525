package trust

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/trust/internal/strictjson"
)

// LoadPolicy reads and parses a policy file (DefaultPolicyPath when path
// is empty).
func LoadPolicy(path string) (*Policy, error) {
	if path == "" {
		path = DefaultPolicyPath
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading policy: %w", err)
	}
	return ParsePolicy(data, path)
}

// ParsePolicy parses policy.json strictly; name is the file name used in
// errors. Unknown or duplicate keys, empty requirement lists, a missing
// "default", values of the wrong type and scopes that are invalid for
// their transport (see ValidateScope) are all fatal, and the error names
// the key path. Keys are not read here (see PolicyContext): a key file
// that is missing only matters to images whose scope uses it.
func ParsePolicy(data []byte, name string) (*Policy, error) {
	p, err := parsePolicy(data)
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, &FormatError{File: name, Path: se.Path.String(), Msg: se.Msg}
		}
		return nil, &FormatError{File: name, Path: "top level", Msg: err.Error()}
	}
	return p, nil
}

func parsePolicy(data []byte) (*Policy, error) {
	root, err := strictjson.Parse(data)
	if err != nil {
		return nil, err
	}
	if err := root.CheckKeys([]string{"default"}, "transports"); err != nil {
		return nil, err
	}
	p := &Policy{}
	if p.Default, err = parseRequirements(root.Get("default")); err != nil {
		return nil, err
	}
	tv := root.Get("transports")
	if tv == nil {
		return p, nil
	}
	if err := tv.Expect(strictjson.Object); err != nil {
		return nil, err
	}
	for _, tm := range tv.Members {
		if err := tm.Value.Expect(strictjson.Object); err != nil {
			return nil, err
		}
		ts := TransportScopes{Transport: tm.Key}
		for _, sm := range tm.Value.Members {
			if sm.Key != "" {
				if err := scopeError(tm.Key, sm.Key); err != nil {
					return nil, strictjson.Errorf(sm.Value.Path, "%v", err)
				}
			}
			reqs, err := parseRequirements(sm.Value)
			if err != nil {
				return nil, err
			}
			ts.Scopes = append(ts.Scopes, Scope{Name: sm.Key, Requirements: reqs})
		}
		p.Transports = append(p.Transports, ts)
	}
	return p, nil
}

func parseRequirements(v *strictjson.Value) (Requirements, error) {
	if err := v.Expect(strictjson.Array); err != nil {
		return nil, err
	}
	if len(v.Array) == 0 {
		return nil, strictjson.Errorf(v.Path, "the list of policy requirements must not be empty")
	}
	res := make(Requirements, 0, len(v.Array))
	for _, e := range v.Array {
		r, err := parseRequirement(e)
		if err != nil {
			return nil, err
		}
		res = append(res, r)
	}
	return res, nil
}

func parseRequirement(v *strictjson.Value) (*Requirement, error) {
	if err := v.Expect(strictjson.Object); err != nil {
		return nil, err
	}
	tv := v.Get("type")
	if tv == nil {
		return nil, strictjson.Errorf(v.Path, `missing key "type"`)
	}
	t, err := tv.StringOf()
	if err != nil {
		return nil, err
	}
	r := &Requirement{Type: RequirementType(t)}
	switch r.Type {
	case TypeInsecureAcceptAnything, TypeReject:
		return r, v.CheckKeys([]string{"type"})
	case TypeSignedBy:
		return r, parseSignedBy(v, r)
	case TypeSigstoreSigned:
		return r, parseSigstoreSigned(v, r)
	case TypeSignedBaseLayer:
		if err := v.CheckKeys([]string{"type", "baseLayerIdentity"}); err != nil {
			return nil, err
		}
		r.BaseLayerIdentity, err = parseIdentity(v.Get("baseLayerIdentity"))
		return r, err
	default:
		return nil, strictjson.Errorf(tv.Path, "unknown policy requirement type %q", t)
	}
}

func parseSignedBy(v *strictjson.Value, r *Requirement) error {
	if err := v.CheckKeys([]string{"type", "keyType"}, "keyPath", "keyPaths", "keyData", "signedIdentity"); err != nil {
		return err
	}
	kt, err := v.Get("keyType").StringOf()
	if err != nil {
		return err
	}
	switch r.KeyType = KeyType(kt); r.KeyType {
	case KeyTypeGPGKeys, KeyTypeSignedByGPGKeys, KeyTypeX509Certificates, KeyTypeSignedByX509CAs:
	default:
		return strictjson.Errorf(v.Get("keyType").Path, "unrecognized keyType %q", kt)
	}
	if err := parseKeySources(v, r, true); err != nil {
		return err
	}
	return parseSignedIdentity(v, r)
}

func parseSigstoreSigned(v *strictjson.Value, r *Requirement) error {
	if err := v.CheckKeys([]string{"type"}, "keyPath", "keyData", "signedIdentity"); err != nil {
		return err
	}
	if err := parseKeySources(v, r, false); err != nil {
		return err
	}
	return parseSignedIdentity(v, r)
}

// parseKeySources reads exactly one of keyPath, keyPaths (signedBy only)
// and keyData. Empty values are refused here rather than at evaluation:
// they can never import a key.
func parseKeySources(v *strictjson.Value, r *Requirement, allowPaths bool) error {
	n := 0
	if kv := v.Get("keyPath"); kv != nil {
		n++
		s, err := kv.StringOf()
		if err != nil {
			return err
		}
		if s == "" {
			return strictjson.Errorf(kv.Path, "must not be empty")
		}
		r.KeyPath = s
	}
	if kv := v.Get("keyPaths"); kv != nil && allowPaths {
		n++
		if err := kv.Expect(strictjson.Array); err != nil {
			return err
		}
		if len(kv.Array) == 0 {
			return strictjson.Errorf(kv.Path, "the list of key paths must not be empty")
		}
		for _, e := range kv.Array {
			s, err := e.StringOf()
			if err != nil {
				return err
			}
			if s == "" {
				return strictjson.Errorf(e.Path, "must not be empty")
			}
			r.KeyPaths = append(r.KeyPaths, s)
		}
	}
	if kv := v.Get("keyData"); kv != nil {
		n++
		s, err := kv.StringOf()
		if err != nil {
			return err
		}
		if r.KeyData, err = base64.StdEncoding.DecodeString(s); err != nil {
			return strictjson.Errorf(kv.Path, "invalid base64: %v", err)
		}
		if len(r.KeyData) == 0 {
			return strictjson.Errorf(kv.Path, "must not be empty")
		}
	}
	switch {
	case n == 1:
		return nil
	case allowPaths:
		return strictjson.Errorf(v.Path, "exactly one of keyPath, keyPaths and keyData must be specified, %d present", n)
	default:
		return strictjson.Errorf(v.Path, "exactly one of keyPath and keyData must be specified, %d present", n)
	}
}

func parseSignedIdentity(v *strictjson.Value, r *Requirement) error {
	si := v.Get("signedIdentity")
	if si == nil {
		return nil
	}
	m, err := parseIdentity(si)
	r.SignedIdentity = m
	return err
}

func parseIdentity(v *strictjson.Value) (*IdentityMatch, error) {
	if err := v.Expect(strictjson.Object); err != nil {
		return nil, err
	}
	tv := v.Get("type")
	if tv == nil {
		return nil, strictjson.Errorf(v.Path, `missing key "type"`)
	}
	t, err := tv.StringOf()
	if err != nil {
		return nil, err
	}
	m := &IdentityMatch{Type: MatchType(t)}
	switch m.Type {
	case MatchExact, MatchRepoDigestOrExact, MatchRepository:
		return m, v.CheckKeys([]string{"type"})
	case MatchExactReference:
		if err := v.CheckKeys([]string{"type", "dockerReference"}); err != nil {
			return nil, err
		}
		rv := v.Get("dockerReference")
		if m.DockerReference, err = rv.StringOf(); err != nil {
			return nil, err
		}
		ref, err := reference.ParseNormalizedNamed(m.DockerReference)
		if err != nil {
			return nil, strictjson.Errorf(rv.Path, "invalid docker reference %q: %v", m.DockerReference, err)
		}
		if reference.IsNameOnly(ref) {
			return nil, strictjson.Errorf(rv.Path, "docker reference %q has neither a tag nor a digest", m.DockerReference)
		}
		return m, nil
	case MatchExactRepository:
		if err := v.CheckKeys([]string{"type", "dockerRepository"}); err != nil {
			return nil, err
		}
		rv := v.Get("dockerRepository")
		if m.DockerRepository, err = rv.StringOf(); err != nil {
			return nil, err
		}
		if _, err := reference.ParseNormalizedNamed(m.DockerRepository); err != nil {
			return nil, strictjson.Errorf(rv.Path, "invalid docker repository %q: %v", m.DockerRepository, err)
		}
		return m, nil
	case MatchRemapIdentity:
		if err := v.CheckKeys([]string{"type", "prefix", "signedPrefix"}); err != nil {
			return nil, err
		}
		for _, f := range []struct {
			key string
			dst *string
		}{{"prefix", &m.Prefix}, {"signedPrefix", &m.SignedPrefix}} {
			fv := v.Get(f.key)
			if *f.dst, err = fv.StringOf(); err != nil {
				return nil, err
			}
			if !validRemapPrefix(*f.dst) {
				return nil, strictjson.Errorf(fv.Path, "invalid prefix %q: expected host[:port] or host[:port]/path", *f.dst)
			}
		}
		return m, nil
	default:
		return nil, strictjson.Errorf(tv.Path, "unknown signedIdentity type %q", t)
	}
}

var (
	anchoredDomain   = regexp.MustCompile(`^(?:` + reference.DomainRegexp.String() + `)$`)
	domainThenSlash  = regexp.MustCompile(`^(?:` + reference.DomainRegexp.String() + `)/`)
	anchoredRepoName = regexp.MustCompile(`^(?:` + reference.NameRegexp.String() + `)$`)
)

// validRemapPrefix accepts what containers/image does: a bare host[:port],
// or a repository name that starts with an explicit host.
func validRemapPrefix(s string) bool {
	return anchoredDomain.MatchString(s) || (anchoredRepoName.MatchString(s) && domainThenSlash.MatchString(s))
}
