package signature

import (
	"errors"

	"github.com/ocid-project/ocid/errdefs"
)

// InvalidSignatureError reports a signature that is malformed, does not
// verify, or says something other than what was expected. It matches
// errdefs.ErrInvalidArgument with errors.Is: retrying will not help.
type InvalidSignatureError struct {
	msg   string
	cause error
}

func (e *InvalidSignatureError) Error() string {
	if e.cause != nil {
		return e.msg + ": " + e.cause.Error()
	}
	return e.msg
}

// Unwrap returns the underlying cause, if any.
func (e *InvalidSignatureError) Unwrap() error { return e.cause }

// Is makes every InvalidSignatureError an errdefs.ErrInvalidArgument.
func (e *InvalidSignatureError) Is(target error) bool { return target == errdefs.ErrInvalidArgument }

func invalidf(msg string) error { return &InvalidSignatureError{msg: msg} }

func invalidWrap(msg string, cause error) error {
	return &InvalidSignatureError{msg: msg, cause: cause}
}

// IsInvalidSignature reports whether err is (or wraps) an InvalidSignatureError.
func IsInvalidSignature(err error) bool {
	var e *InvalidSignatureError
	return errors.As(err, &e)
}
