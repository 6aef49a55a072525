package registry

import (
	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/transport"
)

// endpoint is one physical place an image name resolves to.
type endpoint struct {
	named    reference.Named // the rewritten name at that place
	insecure bool
	mirror   bool
}

// pullEndpoints lists where to look for named: the mirrors registries.conf
// allows for this reference (by tag or digest), in file order, then the
// primary location. A blocked registry is an error.
func pullEndpoints(named reference.Named, opts *transport.Options) ([]endpoint, error) {
	if opts == nil || opts.Registries == nil {
		return []endpoint{{named: named, insecure: insecure(opts, false)}}, nil
	}
	srcs, err := opts.Registries.PullSources(named)
	if err != nil {
		return nil, err
	}
	eps := make([]endpoint, 0, len(srcs))
	for _, s := range srcs {
		eps = append(eps, endpoint{named: s.Reference, insecure: insecure(opts, s.Insecure), mirror: s.Mirror})
	}
	return eps, nil
}

// pushEndpoint is where a push of named goes: the primary location only.
func pushEndpoint(named reference.Named, opts *transport.Options) (endpoint, error) {
	if opts == nil || opts.Registries == nil {
		return endpoint{named: named, insecure: insecure(opts, false)}, nil
	}
	dst, err := opts.Registries.PushDestination(named)
	if err != nil {
		return endpoint{}, err
	}
	return endpoint{named: dst.Reference, insecure: insecure(opts, dst.Insecure)}, nil
}

// insecure applies --tls-verify over registries.conf.
func insecure(opts *transport.Options, fromConf bool) bool {
	if opts != nil && opts.TLSVerify != nil {
		return !*opts.TLSVerify
	}
	return fromConf
}

func clientOptions(opts *transport.Options, insecure bool) ClientOptions {
	co := ClientOptions{Insecure: insecure, Retries: 3}
	if opts != nil {
		co.CertDir, co.Creds, co.AuthFiles = opts.CertDir, opts.Creds, opts.AuthFiles
		co.UserAgent, co.Log, co.Timeout = opts.UserAgent, opts.Logger(), opts.Timeout
		if opts.Retries > 0 {
			co.Retries = opts.Retries
		}
	}
	return co
}
