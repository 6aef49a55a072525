package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// TestEndpoint: requests, pulls and container counts reach /metrics, on
// the address asked for, which closes with the context.
func TestEndpoint(t *testing.T) {
	m := New(func() map[string]int { return map[string]int{"running": 3, "exited": 1} })
	ic := m.Interceptor()
	info := &grpc.UnaryServerInfo{FullMethod: "/runtime.v1.RuntimeService/Version"}
	ic(context.Background(), nil, info, func(context.Context, any) (any, error) { return "ok", nil })
	ic(context.Background(), nil, info, func(context.Context, any) (any, error) {
		return nil, status.Error(codes.NotFound, "gone")
	})
	m.Pulled(2*time.Second, 1000, nil)
	m.Pulled(time.Second, 5000, errors.New("refused"))

	ctx, cancel := context.WithCancel(context.Background())
	addr, err := m.Serve(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("listening on %s", addr)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`ocid_cri_operation_duration_seconds_count{code="OK",method="/runtime.v1.RuntimeService/Version"} 1`,
		`ocid_cri_operation_duration_seconds_count{code="NotFound",method="/runtime.v1.RuntimeService/Version"} 1`,
		`ocid_image_pulls_total{outcome="success"} 1`,
		`ocid_image_pulls_total{outcome="error"} 1`,
		`ocid_image_pull_bytes_total 1000`,
		`ocid_image_pull_duration_seconds_count 1`,
		`ocid_containers{state="running"} 3`,
		`ocid_containers{state="exited"} 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(string(body))
	}
	cancel()
	// Closing is asynchronous: wait (bounded) until the port refuses.
	deadline := time.Now().Add(5 * time.Second)
	for {
		r, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			break
		}
		r.Body.Close()
		if time.Now().After(deadline) {
			t.Fatal("the endpoint still answers after its context ended")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := m.Serve(context.Background(), "127.0.0.1:bad"); err == nil {
		t.Error("a bad address was accepted")
	}
}
