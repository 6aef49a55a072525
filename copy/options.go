// Package copy moves an image from a transport.Source to a
// transport.Destination: it checks the source against the signature
// policy, transfers blobs in parallel (skipping those the destination
// has, mounting across repositories of one registry), verifies every
// digest and size before anything that depends on it is committed,
// converts manifests and layer compression where the destination or the
// caller needs it, and copies or creates signatures.
package copy

import (
	"context"
	"log/slog"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
)

// Options for one copy. The zero value is not usable: a Policy (or
// InsecureAcceptAnything) is required, so no caller forgets the check.
type Options struct {
	// Policy decides whether the source image may be used.
	Policy Policy
	// InsecureAcceptAnything skips the policy (--insecure-policy).
	InsecureAcceptAnything bool

	Source, Dest *transport.Options

	// All copies every instance of an index, not just this platform's.
	All bool
	// Format forces the manifest format; FormatUnknown keeps the
	// source's unless the destination cannot store it.
	Format image.Format
	// Compression, when set, (re)compresses every layer with it.
	Compression *image.Compression
	// RemoveSignatures drops the source's signatures instead of failing
	// when the manifest has to change.
	RemoveSignatures bool
	// Signer, when set, adds a signature of the written manifest.
	Signer Signer
	// SignIdentity is the name signed; nil: the destination's name.
	SignIdentity reference.Named
	// Parallel bounds concurrent blob transfers; 0 means 6.
	Parallel int
	// Retries of a whole blob transfer after a transient failure.
	Retries int
	// Progress receives per-blob progress; nil reports nothing.
	Progress Progress
	Log      *slog.Logger
}

// Policy decides whether an image may be used; package trust implements it.
type Policy interface {
	Allow(ctx context.Context, img *UnparsedImage) error
}

// Signer creates a signature of a manifest for an identity, in the
// stored form (see transport.SignatureReader).
type Signer interface {
	Sign(ctx context.Context, manifest []byte, identity reference.Named) ([]byte, error)
}

// Progress is told about each blob as it is copied.
type Progress interface {
	// Blob starts tracking desc; what is "config" or "layer".
	Blob(desc image.Descriptor, what string) BlobTracker
	// Note reports a step (writing the manifest, signatures…).
	Note(msg string)
}

// BlobTracker follows one blob.
type BlobTracker interface {
	// Add reports n more bytes read from the source.
	Add(n int64)
	// Done ends the blob: status is "copied", "exists" or "mounted";
	// err is set when it failed.
	Done(status string, err error)
}

func (o *Options) parallel() int {
	if o.Parallel > 0 {
		return o.Parallel
	}
	return 6
}

func (o *Options) logger() *slog.Logger {
	if o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

func (o *Options) progress() Progress {
	if o.Progress == nil {
		return noProgress{}
	}
	return o.Progress
}

type noProgress struct{}

func (noProgress) Blob(image.Descriptor, string) BlobTracker { return noTracker{} }
func (noProgress) Note(string)                               {}

type noTracker struct{}

func (noTracker) Add(int64)          {}
func (noTracker) Done(string, error) {}
