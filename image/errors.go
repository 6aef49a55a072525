package image

import (
	"fmt"

	"github.com/ocid-project/ocid/errdefs"
)

// invalidf builds an error that wraps errdefs.ErrInvalidArgument.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errdefs.ErrInvalidArgument)
}

// notFoundf builds an error that wraps errdefs.ErrNotFound.
func notFoundf(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errdefs.ErrNotFound)
}
