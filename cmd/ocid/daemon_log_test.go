package main

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestLogRequestsRecoversPanics: a handler that panics fails its request
// with Internal and a logged stack; it does not take the daemon down.
func TestLogRequestsRecoversPanics(t *testing.T) {
	var buf bytes.Buffer
	ic := logRequests(slog.New(slog.NewTextHandler(&buf, nil)))
	info := &grpc.UnaryServerInfo{FullMethod: "/runtime.v1.RuntimeService/RunPodSandbox"}
	resp, err := ic(context.Background(), nil, info, func(context.Context, any) (any, error) {
		var m map[string]int
		m["boom"]++ // a nil map write panics
		return "unreachable", nil
	})
	if resp != nil || status.Code(err) != codes.Internal || !strings.Contains(err.Error(), "RunPodSandbox") {
		t.Fatalf("got %v, %v; want Internal", resp, err)
	}
	if !strings.Contains(buf.String(), "CRI request panicked") || !strings.Contains(buf.String(), "daemon_log_test.go") {
		t.Fatalf("log lacks the panic and its stack: %s", buf.String())
	}
	resp, err = ic(context.Background(), nil, info, func(context.Context, any) (any, error) { return "ok", nil })
	if resp != "ok" || err != nil {
		t.Fatalf("a normal request: %v %v", resp, err)
	}
}
