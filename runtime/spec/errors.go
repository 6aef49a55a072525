package spec

import (
	"fmt"

	"github.com/ocid-project/ocid/errdefs"
)

// invalidf reports a bad input: the message names the offending value so
// the caller (a kubelet, a person) can fix it without reading our code.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
}

// invalidWrap is invalidf for a bad input that an underlying error
// explains; both stay inspectable with errors.Is.
func invalidWrap(err error, format string, args ...any) error {
	return fmt.Errorf("%s: %w: %w", fmt.Sprintf(format, args...), err, errdefs.ErrInvalidArgument)
}
