// Package trust decides whether an image may be used: it reads
// policy.json (the containers ecosystem's format, strictly), finds the
// requirements that apply to an image by transport and scope, and checks
// the image's signatures against them. It also edits policy.json for
// `ocid trust set/show`.
//
// Transports describe images to it through the small ImageReference and
// UnparsedImage interfaces, and compute their policy identities with the
// helpers in naming.go, so scope lookup and naming cannot drift apart.
// Rejections wrap errdefs.ErrPrecondition; malformed policies wrap
// errdefs.ErrInvalidArgument.
package trust
