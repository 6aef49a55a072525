// Package all lists every transport ocid has and parses `NAME:REF`
// image names with them. It is the only package that knows them all.
package all

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/archive"
	"github.com/ocid-project/ocid/transport/dir"
	"github.com/ocid-project/ocid/transport/ocilayout"
	"github.com/ocid-project/ocid/transport/registry"
)

var extra []transport.Transport

// Register adds a transport that lives above this package (the store's,
// whose package depends on the store). Call it during start-up.
func Register(t transport.Transport) { extra = append(extra, t) }

// Transports returns every known transport.
func Transports() []transport.Transport {
	return append([]transport.Transport{
		registry.Transport{},
		dir.Transport{},
		ocilayout.Transport{},
		ocilayout.ArchiveTransport{},
		archive.Transport{},
	}, extra...)
}

// Names lists the transport names, sorted.
func Names() []string {
	var names []string
	for _, t := range Transports() {
		names = append(names, t.Name())
	}
	sort.Strings(names)
	return names
}

// ParseImageName parses `TRANSPORT:REFERENCE`, e.g. `docker://busybox`,
// `oci:/tmp/layout:tag`, `dir:/tmp/img`.
func ParseImageName(s string) (transport.Reference, error) {
	name, rest, ok := strings.Cut(s, ":")
	if !ok {
		return nil, fmt.Errorf("invalid image name %q: expected TRANSPORT:REFERENCE (transports: %s): %w",
			s, strings.Join(Names(), ", "), errdefs.ErrInvalidArgument)
	}
	for _, t := range Transports() {
		if t.Name() == name {
			ref, err := t.ParseReference(rest)
			if err != nil {
				return nil, fmt.Errorf("invalid image name %q: %w", s, err)
			}
			return ref, nil
		}
	}
	return nil, fmt.Errorf("invalid image name %q: unknown transport %q (transports: %s): %w",
		s, name, strings.Join(Names(), ", "), errdefs.ErrInvalidArgument)
}
