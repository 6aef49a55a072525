// Package errdefs holds the few sentinel errors every ocid package wraps, so
// front ends (the CLI's exit codes, the CRI's gRPC codes) can classify a
// failure without knowing which package produced it.
//
// Wrap them with context: fmt.Errorf("image %q: %w", name, errdefs.ErrNotFound).
package errdefs

import "errors"

var (
	// ErrNotFound: the named thing (image, blob, container, file) does not exist.
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: a create was asked for a name that is taken.
	ErrAlreadyExists = errors.New("already exists")
	// ErrInvalidArgument: the input itself is wrong (a bad reference, a
	// malformed manifest, a digest mismatch); retrying will not help.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrPrecondition: the request is valid but the state does not allow it
	// now (a container still running, an image still in use, a policy that
	// rejects the image).
	ErrPrecondition = errors.New("failed precondition")
	// ErrUnavailable: a remote peer failed or timed out; retrying may help.
	ErrUnavailable = errors.New("unavailable")
)

// IsNotFound reports whether err wraps ErrNotFound.
func IsNotFound(err error) bool { return errors.Is(err, ErrNotFound) }

// IsAlreadyExists reports whether err wraps ErrAlreadyExists.
func IsAlreadyExists(err error) bool { return errors.Is(err, ErrAlreadyExists) }

// IsInvalidArgument reports whether err wraps ErrInvalidArgument.
func IsInvalidArgument(err error) bool { return errors.Is(err, ErrInvalidArgument) }

// IsPrecondition reports whether err wraps ErrPrecondition.
func IsPrecondition(err error) bool { return errors.Is(err, ErrPrecondition) }

// IsUnavailable reports whether err wraps ErrUnavailable.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }
