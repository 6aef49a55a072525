// Package metrics is the daemon's Prometheus endpoint: CRI operation
// latencies, image pulls (count, duration, bytes) and container counts.
// It is off unless an address is configured.
package metrics

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// Metrics are the daemon's collectors, on a registry of their own.
type Metrics struct {
	Registry   *prometheus.Registry
	operations *prometheus.HistogramVec
	pulls      *prometheus.CounterVec
	pullTime   prometheus.Histogram
	pullBytes  prometheus.Counter
}

// New makes the collectors. containers reports the number of containers
// per state when scraped.
func New(containers func() map[string]int) *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		operations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "ocid_cri_operation_duration_seconds", Help: "Latency of CRI requests.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2.5, 12),
		}, []string{"method", "code"}),
		pulls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "ocid_image_pulls_total", Help: "Image pulls by outcome.",
		}, []string{"outcome"}),
		pullTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "ocid_image_pull_duration_seconds", Help: "Duration of successful image pulls.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 12),
		}),
		pullBytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "ocid_image_pull_bytes_total", Help: "Bytes of the images pulled (logical size).",
		}),
	}
	m.Registry.MustRegister(m.operations, m.pulls, m.pullTime, m.pullBytes,
		&containerCollector{desc: prometheus.NewDesc("ocid_containers", "Containers by state.", []string{"state"}, nil), count: containers})
	return m
}

// Interceptor times every unary CRI request.
func (m *Metrics) Interceptor() grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		m.operations.WithLabelValues(info.FullMethod, status.Code(err).String()).Observe(time.Since(start).Seconds())
		return resp, err
	}
}

// Pulled records one pull.
func (m *Metrics) Pulled(d time.Duration, bytes int64, err error) {
	if err != nil {
		m.pulls.WithLabelValues("error").Inc()
		return
	}
	m.pulls.WithLabelValues("success").Inc()
	m.pullTime.Observe(d.Seconds())
	m.pullBytes.Add(float64(bytes))
}

// Serve serves /metrics on addr until ctx ends.
func (m *Metrics) Serve(ctx context.Context, addr string) (string, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		srv.Close()
	}()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err
		}
	}()
	return l.Addr().String(), nil
}

type containerCollector struct {
	desc  *prometheus.Desc
	count func() map[string]int
}

func (c *containerCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

func (c *containerCollector) Collect(ch chan<- prometheus.Metric) {
	for state, n := range c.count() {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(n), state)
	}
}
