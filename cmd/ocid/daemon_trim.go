package main

import (
	"context"
	"path"
	"runtime/debug"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/ocid-project/ocid/internal/debounce"
)

// trimDelay is how long the daemon must have done no work before it gives
// back the memory that work used.
const trimDelay = 5 * time.Second

// newMemTrimmer returns the daemon's free heap to the node once a burst
// of work (pods and containers made or removed, images pulled) is over.
// Go's own scavenger gives it back too, but slowly: 10 s after starting
// 50 pods the daemon still held 15 MiB of heap pages for 4 MiB of live
// data. The kubelet's polling (lists, statuses, stats) does not count as
// work: it allocates little, and on a node it never pauses for long.
func newMemTrimmer() *debounce.Func {
	return &debounce.Func{Fn: debug.FreeOSMemory, Delay: trimDelay}
}

// isWork tells the CRI methods that change something from the kubelet's
// polling.
func isWork(fullMethod string) bool {
	m := path.Base(fullMethod)
	for _, p := range []string{"List", "Get"} {
		if strings.HasPrefix(m, p) {
			return false
		}
	}
	for _, s := range []string{"Status", "Stats", "Info", "Version", "Config"} {
		if strings.HasSuffix(m, s) {
			return false
		}
	}
	return true
}

// trimAfterWork triggers trim after each request that did work.
func trimAfterWork(trim *debounce.Func) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if isWork(info.FullMethod) {
			trim.Trigger()
		}
		return resp, err
	}
}
