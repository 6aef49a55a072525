package trust

import "github.com/ocid-project/ocid/errdefs"

// DefaultPolicyPath is where policy.json is read from unless --policy says
// otherwise.
const DefaultPolicyPath = "/etc/containers/policy.json"

// RequirementType is the "type" of a policy requirement.
type RequirementType string

// The requirement types of policy.json.
const (
	TypeInsecureAcceptAnything RequirementType = "insecureAcceptAnything"
	TypeReject                 RequirementType = "reject"
	TypeSignedBy               RequirementType = "signedBy"
	TypeSigstoreSigned         RequirementType = "sigstoreSigned"
	// TypeSignedBaseLayer parses (containers/image knows it) but always
	// rejects: it was never implemented there either.
	TypeSignedBaseLayer RequirementType = "signedBaseLayer"
)

// KeyType is signedBy's "keyType". Only GPGKeys is implemented (as in
// containers/image); the others parse and then reject every image.
type KeyType string

// The keyType values containers/image accepts.
const (
	KeyTypeGPGKeys          KeyType = "GPGKeys"
	KeyTypeSignedByGPGKeys  KeyType = "signedByGPGKeys"
	KeyTypeX509Certificates KeyType = "X509Certificates"
	KeyTypeSignedByX509CAs  KeyType = "signedByX509CAs"
)

// MatchType is the "type" of a signedIdentity.
type MatchType string

// The signedIdentity types.
const (
	MatchExact             MatchType = "matchExact"
	MatchRepoDigestOrExact MatchType = "matchRepoDigestOrExact"
	MatchRepository        MatchType = "matchRepository"
	MatchExactReference    MatchType = "exactReference"
	MatchExactRepository   MatchType = "exactRepository"
	MatchRemapIdentity     MatchType = "remapIdentity"
)

// IdentityMatch is a signedIdentity: how the reference in a signature must
// relate to the image's.
type IdentityMatch struct {
	Type             MatchType
	DockerReference  string // exactReference
	DockerRepository string // exactRepository
	Prefix           string // remapIdentity
	SignedPrefix     string // remapIdentity
}

// Requirement is one entry of a requirement list. Which fields are
// meaningful depends on Type; the parser guarantees they are consistent.
type Requirement struct {
	Type     RequirementType
	KeyType  KeyType  // signedBy
	KeyPath  string   // signedBy, sigstoreSigned
	KeyPaths []string // signedBy
	KeyData  []byte   // signedBy, sigstoreSigned; nil when absent
	// SignedIdentity is nil when the policy leaves it out, which means
	// matchRepoDigestOrExact; keeping nil lets an edited policy be written
	// back without the default spelled out.
	SignedIdentity    *IdentityMatch
	BaseLayerIdentity *IdentityMatch // signedBaseLayer
}

// Requirements is a requirement list; every one must allow an image.
type Requirements []*Requirement

// Scope is one scope of a transport and its requirements.
type Scope struct {
	Name         string
	Requirements Requirements
}

// TransportScopes are the scopes of one transport, in file order.
type TransportScopes struct {
	Transport string
	Scopes    []Scope
}

// Policy is a parsed policy.json. Order is kept so an edited policy keeps
// the layout people gave it.
type Policy struct {
	Default    Requirements
	Transports []TransportScopes
}

// Requirements returns the list for transport and scope ("" is the
// transport-wide default scope).
func (p *Policy) Requirements(transport, scope string) (Requirements, bool) {
	for _, t := range p.Transports {
		if t.Transport != transport {
			continue
		}
		for _, s := range t.Scopes {
			if s.Name == scope {
				return s.Requirements, true
			}
		}
	}
	return nil, false
}

// FormatError is a policy.json that does not parse: File and Path (a key
// path like transports.docker."example.com"[0]) say where. It matches
// errdefs.ErrInvalidArgument.
type FormatError struct {
	File string
	Path string
	Msg  string
}

func (e *FormatError) Error() string { return e.File + ": " + e.Path + ": " + e.Msg }

// Is makes FormatError an errdefs.ErrInvalidArgument.
func (e *FormatError) Is(target error) bool { return target == errdefs.ErrInvalidArgument }
