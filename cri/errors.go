package cri

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/ocid-project/ocid/errdefs"
)

// toStatus maps ocid's sentinel errors to gRPC codes at the CRI boundary.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Unknown
	switch {
	case errors.Is(err, errdefs.ErrNotFound):
		code = codes.NotFound
	case errors.Is(err, errdefs.ErrAlreadyExists):
		code = codes.AlreadyExists
	case errors.Is(err, errdefs.ErrInvalidArgument):
		code = codes.InvalidArgument
	case errors.Is(err, errdefs.ErrPrecondition):
		code = codes.FailedPrecondition
	case errors.Is(err, errdefs.ErrUnavailable):
		code = codes.Unavailable
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	}
	return status.Error(code, err.Error())
}

func invalid(msg string) error { return status.Error(codes.InvalidArgument, msg) }

func notFound(what, id string) error {
	return status.Errorf(codes.NotFound, "%s %q not found", what, id)
}

var (
	errInvalid      = errdefs.ErrInvalidArgument
	errPrecondition = errdefs.ErrPrecondition
)

func isNotFound(err error) bool {
	if s, ok := status.FromError(err); ok && s.Code() == codes.NotFound {
		return true
	}
	return errors.Is(err, errdefs.ErrNotFound)
}
