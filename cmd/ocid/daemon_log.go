package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// logRequests logs each CRI request with a request ID, its duration and
// its outcome: failures at warn, the rest at debug (the kubelet polls).
// A request that panics is logged with its stack and fails with
// Internal; the daemon, and every other pod, carries on (what the
// request left half-made is a record without "complete", which the next
// start takes apart).
func logRequests(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		start := time.Now()
		b := make([]byte, 6)
		rand.Read(b)
		defer func() {
			if r := recover(); r != nil {
				log.Error("CRI request panicked", "request", hex.EncodeToString(b), "method", info.FullMethod, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				resp, err = nil, status.Errorf(codes.Internal, "%s: internal error (panic: %v)", info.FullMethod, r)
			}
		}()
		resp, err = handler(ctx, req)
		attrs := []any{"request", hex.EncodeToString(b), "method", info.FullMethod, "duration", time.Since(start)}
		if err != nil {
			st, _ := status.FromError(err)
			log.Warn("CRI request failed", append(attrs, "code", st.Code().String(), "error", st.Message())...)
		} else {
			log.Debug("CRI request", attrs...)
		}
		return resp, err
	}
}
