package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// logRequests logs each CRI request with a request ID, its duration and
// its outcome: failures at warn, the rest at debug (the kubelet polls).
func logRequests(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		b := make([]byte, 6)
		rand.Read(b)
		resp, err := handler(ctx, req)
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
