package trust

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/trust/internal/strictjson"
)

// PolicyContext evaluates images against one Policy. It caches the keys
// each requirement names (read on first use), so create one per loaded
// policy and reuse it; it is safe for concurrent use.
type PolicyContext struct {
	policy *Policy
	now    func() time.Time

	mu   sync.Mutex
	keys map[*Requirement]*keyEntry
}

// ContextOptions tune a PolicyContext; the zero value is fine.
type ContextOptions struct {
	// Now is the clock keys and signatures are judged by (expiry); nil
	// means time.Now.
	Now func() time.Time
}

// NewPolicyContext prepares p for evaluation. p must not be changed while
// the context is in use.
func NewPolicyContext(p *Policy, opts *ContextOptions) *PolicyContext {
	pc := &PolicyContext{policy: p, now: time.Now, keys: map[*Requirement]*keyEntry{}}
	if opts != nil && opts.Now != nil {
		pc.now = opts.Now
	}
	return pc
}

// RequirementsFor returns the requirements that apply to ref and where
// they come from (a key path such as transports.docker."example.com" or
// default). The first hit wins: the transport's scope equal to the
// identity, then each namespace in order, then the transport's "" scope,
// then the policy's default.
func (pc *PolicyContext) RequirementsFor(ref ImageReference) (Requirements, string) {
	return pc.policy.requirementsFor(ref)
}

func (p *Policy) requirementsFor(ref ImageReference) (Requirements, string) {
	t := ref.Transport()
	at := func(scope string) string {
		return string(strictjson.Path("transports").Key(t).Key(scope))
	}
	if id := ref.PolicyConfigurationIdentity(); id != "" {
		if reqs, ok := p.Requirements(t, id); ok {
			return reqs, at(id)
		}
	}
	for _, ns := range ref.PolicyConfigurationNamespaces() {
		if ns == "" {
			continue
		}
		if reqs, ok := p.Requirements(t, ns); ok {
			return reqs, at(ns)
		}
	}
	if reqs, ok := p.Requirements(t, ""); ok {
		return reqs, at("")
	}
	return p.Default, "default"
}

// RejectedError says that the policy does not allow an image: which
// requirement refused (Scope and Index locate it in policy.json) and why.
// It matches errdefs.ErrPrecondition; when the refusal came from a
// failure to read something (a key file, the signatures, the manifest)
// it also wraps that error, so errdefs.ErrUnavailable stays visible.
type RejectedError struct {
	Image  string          // transport:reference
	Scope  string          // e.g. transports.docker."example.com", or default
	Index  int             // position of the refusing requirement in its list
	Type   RequirementType // its type
	Reason string          // why, in containers/image's words where they exist
	Cause  error           // underlying failure, if any
}

// Error starts like skopeo's message ("Source image rejected: …") so
// people and scripts recognize it, then names the policy entry.
func (e *RejectedError) Error() string {
	return fmt.Sprintf("Source image rejected: %s (policy requirement %s[%d] %s, image %s)", e.Reason, e.Scope, e.Index, e.Type, e.Image)
}

// Unwrap exposes ErrPrecondition and the cause.
func (e *RejectedError) Unwrap() []error {
	if e.Cause != nil {
		return []error{errdefs.ErrPrecondition, e.Cause}
	}
	return []error{errdefs.ErrPrecondition}
}

// denial is a requirement's refusal before it is placed in a RejectedError.
type denial struct {
	reason string
	cause  error
}

func deny(format string, args ...any) *denial { return &denial{reason: fmt.Sprintf(format, args...)} }

func denyErr(err error) *denial { return &denial{reason: err.Error(), cause: err} }

// Evaluate allows img (nil) or says why not (*RejectedError). Every
// requirement of the applicable list must allow the image. For a list,
// call it on the list and on each instance, each with its own manifest
// and signatures.
func (pc *PolicyContext) Evaluate(ctx context.Context, img UnparsedImage) error {
	ref := img.Reference()
	reqs, scope := pc.RequirementsFor(ref)
	if len(reqs) == 0 { // only a Policy built by hand can get here
		return &RejectedError{Image: ImageName(ref), Scope: scope, Reason: "the list of policy requirements is empty"}
	}
	ev := &evaluation{pc: pc, img: img}
	for i, r := range reqs {
		if d := ev.allows(ctx, r); d != nil {
			return &RejectedError{Image: ImageName(ref), Scope: scope, Index: i, Type: r.Type, Reason: d.reason, Cause: d.cause}
		}
	}
	return nil
}

// evaluation holds what one Evaluate call fetched, so several
// requirements do not fetch the manifest twice.
type evaluation struct {
	pc       *PolicyContext
	img      UnparsedImage
	manifest []byte
	gotMan   bool
}

func (ev *evaluation) allows(ctx context.Context, r *Requirement) *denial {
	switch r.Type {
	case TypeInsecureAcceptAnything:
		return nil
	case TypeReject:
		return deny("Running image %s is rejected by policy.", ImageName(ev.img.Reference()))
	case TypeSignedBy:
		return ev.signedBy(ctx, r)
	case TypeSigstoreSigned:
		return ev.sigstoreSigned(ctx, r)
	case TypeSignedBaseLayer:
		return deny("signedBaseLayer not implemented yet!")
	default:
		return deny("unknown policy requirement type %q", r.Type)
	}
}

func (ev *evaluation) getManifest(ctx context.Context) ([]byte, error) {
	if !ev.gotMan {
		m, _, err := ev.img.Manifest(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading manifest: %w", err)
		}
		ev.manifest, ev.gotMan = m, true
	}
	return ev.manifest, nil
}

// summarize turns per-signature refusals into one, as containers/image
// words it.
func summarize(rejections []*denial, none string) *denial {
	switch len(rejections) {
	case 0:
		return deny("%s", none)
	case 1:
		return rejections[0]
	}
	msg := "None of the signatures were accepted, reasons: "
	var causes []error
	for i, r := range rejections {
		if i > 0 {
			msg += "; "
		}
		msg += r.reason
		if r.cause != nil {
			causes = append(causes, r.cause)
		}
	}
	return &denial{reason: msg, cause: errors.Join(causes...)}
}

func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
