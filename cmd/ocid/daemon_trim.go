package main

import (
	"context"
	"log/slog"
	"path"
	"strings"
	"time"

	"google.golang.org/grpc"

	"github.com/ocid-project/ocid/internal/debounce"
	"github.com/ocid-project/ocid/internal/memtrim"
)

// trimDelay is how long the daemon must have done no work before it gives
// back the memory that work used.
const trimDelay = 5 * time.Second

// newMemTrimmer returns the daemon's free heap to the node once a burst
// of work (pods and containers made or removed, images pulled) is over,
// and unmaps the pages of its executable that the work (or start-up)
// touched and steady running does not use (internal/memtrim). Go's own
// scavenger gives heap back too, but slowly: 10 s after starting 50 pods
// the daemon still held 15 MiB of heap pages for 4 MiB of live data. The
// kubelet's polling (lists, statuses, stats) does not count as work: it
// allocates little, and on a node it never pauses for long. The daemon
// triggers it once at start too, for what package initialisation touched.
func newMemTrimmer(log *slog.Logger) *debounce.Func {
	return &debounce.Func{Delay: trimDelay, Fn: func() {
		released, err := memtrim.Trim()
		if err != nil {
			log.Warn("returning memory to the node", "error", err)
			return
		}
		log.Debug("returned free heap and unmapped executable pages", "mappings_bytes", released)
	}}
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
