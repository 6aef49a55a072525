package main

import (
	"context"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/ocid-project/ocid/internal/debounce"
)

func TestIsWork(t *testing.T) {
	for m, want := range map[string]bool{
		"/runtime.v1.RuntimeService/RunPodSandbox":            true,
		"/runtime.v1.RuntimeService/CreateContainer":          true,
		"/runtime.v1.RuntimeService/StopContainer":            true,
		"/runtime.v1.RuntimeService/ExecSync":                 true,
		"/runtime.v1.RuntimeService/UpdateContainerResources": true,
		"/runtime.v1.ImageService/PullImage":                  true,
		"/runtime.v1.ImageService/RemoveImage":                true,
		"/runtime.v1.RuntimeService/ListContainers":           false,
		"/runtime.v1.RuntimeService/ListPodSandboxMetrics":    false,
		"/runtime.v1.RuntimeService/ContainerStatus":          false,
		"/runtime.v1.RuntimeService/PodSandboxStats":          false,
		"/runtime.v1.RuntimeService/Status":                   false,
		"/runtime.v1.RuntimeService/Version":                  false,
		"/runtime.v1.RuntimeService/RuntimeConfig":            false,
		"/runtime.v1.RuntimeService/GetContainerEvents":       false,
		"/runtime.v1.ImageService/ImageFsInfo":                false,
		"/runtime.v1.ImageService/ImageStatus":                false,
	} {
		if got := isWork(m); got != want {
			t.Errorf("isWork(%s) = %v, want %v", m, got, want)
		}
	}
}

// A burst of work is followed by one trim once it is over; polling does
// not start one.
func TestMemTrimmer(t *testing.T) {
	trimmed := make(chan struct{}, 10)
	trim := &debounce.Func{Delay: 20 * time.Millisecond, Fn: func() { trimmed <- struct{}{} }}
	call := trimAfterWork(trim)
	handler := func(context.Context, any) (any, error) { return nil, nil }
	poll := &grpc.UnaryServerInfo{FullMethod: "/runtime.v1.RuntimeService/ListContainers"}
	work := &grpc.UnaryServerInfo{FullMethod: "/runtime.v1.RuntimeService/RunPodSandbox"}

	call(context.Background(), nil, poll, handler)
	trim.Stop(true) // flushes a pending trim: there must be none
	if len(trimmed) != 0 {
		t.Fatal("polling scheduled a trim")
	}
	trim = &debounce.Func{Delay: 20 * time.Millisecond, Fn: func() { trimmed <- struct{}{} }}
	call = trimAfterWork(trim)
	for range 5 {
		call(context.Background(), nil, work, handler)
	}
	<-trimmed
	trim.Stop(true)
	select {
	case <-trimmed:
		t.Fatal("a burst trimmed more than once")
	default:
	}
}
