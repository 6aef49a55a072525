// Package lookaside reads the registries.d configuration (which web site
// or directory holds the signatures of which docker repositories) and
// reads and writes signatures in that "lookaside" layout, the one
// containers/image and skopeo use:
//
//	<base>/<repository path without host>@<algo>=<hex>/signature-<N>
//
// It is a leaf package. It does not compute policy scopes itself: callers
// pass the candidate scopes (the image's identity, then its namespaces,
// most specific first), as computed by package trust, so lookaside and
// policy lookups can never disagree on naming.
package lookaside
