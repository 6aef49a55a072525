package registry

import (
	"errors"
	"fmt"
	"net/http"

	gtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/ocid-project/ocid/errdefs"
)

// checkResponse turns a registry answer other than want into an error
// carrying the registry's own error codes and the matching sentinel.
func checkResponse(resp *http.Response, want ...int) error {
	if err := gtransport.CheckError(resp, want...); err != nil {
		return classify(err)
	}
	return nil
}

// statusError is a registry error classified for callers: it keeps the
// registry's message and wraps the errdefs sentinel that fits.
type statusError struct {
	err      error
	sentinel error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() []error {
	return []error{e.err, e.sentinel}
}

// classify attaches an errdefs sentinel to registry and auth errors.
func classify(err error) error {
	var te *gtransport.Error
	if !errors.As(err, &te) {
		return err
	}
	switch code := te.StatusCode; {
	case code == http.StatusNotFound:
		return &statusError{err, errdefs.ErrNotFound}
	case code == http.StatusUnauthorized, code == http.StatusForbidden:
		return &statusError{fmt.Errorf("%w (authentication required or denied: log in, or pass --creds)", err), errdefs.ErrPrecondition}
	case code == http.StatusTooManyRequests, code >= 500:
		return &statusError{err, errdefs.ErrUnavailable}
	case code >= 400:
		return &statusError{err, errdefs.ErrInvalidArgument}
	}
	return err
}

var errInvalid = errdefs.ErrInvalidArgument
