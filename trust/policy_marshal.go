package trust

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
)

// member and object write JSON objects in a chosen key order; maps would
// sort the keys and lose the order of transports and scopes.
type member struct {
	key   string
	value any
}

type object []member

func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(m.key)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// MarshalJSON writes p compactly; see Marshal for the file form.
func (p *Policy) MarshalJSON() ([]byte, error) {
	return json.Marshal(p.object())
}

// Marshal writes p as a policy.json file: four-space indentation (as
// podman writes it), keys in a fixed order per requirement, transports and
// scopes in the order they were read or added, a trailing newline.
func (p *Policy) Marshal() ([]byte, error) {
	out, err := json.MarshalIndent(p.object(), "", "    ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

func (p *Policy) object() object {
	o := object{{"default", p.Default.list()}}
	if len(p.Transports) > 0 {
		ts := object{}
		for _, t := range p.Transports {
			scopes := object{}
			for _, s := range t.Scopes {
				scopes = append(scopes, member{s.Name, s.Requirements.list()})
			}
			ts = append(ts, member{t.Transport, scopes})
		}
		o = append(o, member{"transports", ts})
	}
	return o
}

func (rs Requirements) list() []object {
	res := make([]object, 0, len(rs))
	for _, r := range rs {
		res = append(res, r.object())
	}
	return res
}

func (r *Requirement) object() object {
	o := object{{"type", r.Type}}
	if r.Type == TypeSignedBaseLayer && r.BaseLayerIdentity != nil {
		return append(o, member{"baseLayerIdentity", r.BaseLayerIdentity.object()})
	}
	if r.KeyType != "" {
		o = append(o, member{"keyType", r.KeyType})
	}
	if r.KeyPath != "" {
		o = append(o, member{"keyPath", r.KeyPath})
	}
	if r.KeyPaths != nil {
		o = append(o, member{"keyPaths", r.KeyPaths})
	}
	if r.KeyData != nil {
		o = append(o, member{"keyData", base64.StdEncoding.EncodeToString(r.KeyData)})
	}
	if r.SignedIdentity != nil {
		o = append(o, member{"signedIdentity", r.SignedIdentity.object()})
	}
	return o
}

func (m *IdentityMatch) object() object {
	o := object{{"type", m.Type}}
	switch m.Type {
	case MatchExactReference:
		o = append(o, member{"dockerReference", m.DockerReference})
	case MatchExactRepository:
		o = append(o, member{"dockerRepository", m.DockerRepository})
	case MatchRemapIdentity:
		o = append(o, member{"prefix", m.Prefix}, member{"signedPrefix", m.SignedPrefix})
	}
	return o
}
