// Package cri serves the Kubernetes Container Runtime Interface: the
// kubelet (and crictl, critest) asks over gRPC; ocid pulls with its
// transports and store, checks the signature policy, and runs with
// runc through package runtime. Pods pin their network, IPC and UTS
// namespaces with bind mounts; a pause process (ocid itself) runs only
// for pods that share a PID namespace.
package cri

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/pull"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/store"
)

// Version of the CRI this server implements, and of ocid.
const (
	criVersion  = "v1"
	runtimeName = "ocid"
)

// Options configure a Server.
type Options struct {
	Runtime *runtime.Manager
	Store   *store.Store
	Puller  *pull.Puller
	// CopyOptions makes the options of one pull (policy, registries.d,
	// retries); called per pull so a reload takes effect.
	CopyOptions func() (*copy.Options, error)
	Network     *network.Manager
	// Root and RunRoot hold the CRI's own records (ROOT/cri, RUNROOT/cri).
	Root, RunRoot string
	// PauseBinary is the program a pod's PID namespace holder runs
	// (this executable; its "pause" mode).
	PauseBinary string
	// CgroupParent is the default parent of pod cgroups.
	CgroupParent string
	Version      string
	// OnPull, when set, is told of each image pull (metrics).
	OnPull func(d time.Duration, bytes int64, err error)
	Log    *slog.Logger
}

// Server implements RuntimeService and ImageService.
type Server struct {
	runtimeapi.UnimplementedRuntimeServiceServer
	runtimeapi.UnimplementedImageServiceServer

	o   Options
	rt  *runtime.Manager
	st  *store.Store
	net *network.Manager
	log *slog.Logger

	mu   sync.RWMutex
	pods map[string]*sandbox
	ctrs map[string]*container

	// creating serialises concurrent requests for one pod or container
	// name, so a retried create waits for the first and gets its result.
	creating keyedMutex
	events   *eventBus
	stream   streamServer
}

// New loads the CRI's records and cleans up what a crash left half-made.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, rt: o.Runtime, st: o.Store, net: o.Network, log: o.Log,
		pods: map[string]*sandbox{}, ctrs: map[string]*container{}, events: newEventBus()}
	for _, d := range []string{s.podRecordDir(), s.ctrRecordDir(), filepath.Join(o.RunRoot, "cri")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := s.restore(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Version reports the runtime.
func (s *Server) Version(ctx context.Context, req *runtimeapi.VersionRequest) (*runtimeapi.VersionResponse, error) {
	return &runtimeapi.VersionResponse{
		Version: "0.1.0", RuntimeName: runtimeName, RuntimeVersion: s.o.Version, RuntimeApiVersion: criVersion,
	}, nil
}

// Status reports the runtime and network conditions.
func (s *Server) Status(ctx context.Context, req *runtimeapi.StatusRequest) (*runtimeapi.StatusResponse, error) {
	netReady := &runtimeapi.RuntimeCondition{Type: runtimeapi.NetworkReady, Status: true}
	if err := s.net.Status(); err != nil {
		netReady.Status, netReady.Reason, netReady.Message = false, "NetworkPluginNotReady", err.Error()
	}
	resp := &runtimeapi.StatusResponse{Status: &runtimeapi.RuntimeStatus{Conditions: []*runtimeapi.RuntimeCondition{
		{Type: runtimeapi.RuntimeReady, Status: true}, netReady,
	}}}
	// User namespaces for pods (hostUsers: false) need the pod's
	// namespaces made inside the pod's user namespace and ID-mapped image
	// mounts; until ocid does both, no handler claims them and the
	// kubelet refuses such pods itself.
	for _, h := range s.rt.HandlerNames() {
		resp.RuntimeHandlers = append(resp.RuntimeHandlers, &runtimeapi.RuntimeHandler{
			Name: h, Features: &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: false},
		})
	}
	resp.RuntimeHandlers = append(resp.RuntimeHandlers, &runtimeapi.RuntimeHandler{
		Name: "", Features: &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: false},
	})
	resp.Features = &runtimeapi.RuntimeFeatures{SupplementalGroupsPolicy: true}
	if req.Verbose {
		resp.Info = map[string]string{"config": `{"runtime":"ocid"}`}
	}
	return resp, nil
}

// RuntimeConfig reports the cgroup driver.
func (s *Server) RuntimeConfig(ctx context.Context, req *runtimeapi.RuntimeConfigRequest) (*runtimeapi.RuntimeConfigResponse, error) {
	driver := runtimeapi.CgroupDriver_CGROUPFS
	if s.rt.SystemdCgroup() {
		driver = runtimeapi.CgroupDriver_SYSTEMD
	}
	return &runtimeapi.RuntimeConfigResponse{Linux: &runtimeapi.LinuxRuntimeConfiguration{CgroupDriver: driver}}, nil
}

// UpdateRuntimeConfig takes the pod CIDR from the kubelet; the CNI
// configuration decides addressing, so there is nothing to change.
func (s *Server) UpdateRuntimeConfig(ctx context.Context, req *runtimeapi.UpdateRuntimeConfigRequest) (*runtimeapi.UpdateRuntimeConfigResponse, error) {
	return &runtimeapi.UpdateRuntimeConfigResponse{}, nil
}

func (s *Server) podRecordDir() string { return filepath.Join(s.o.Root, "cri", "pods") }
func (s *Server) ctrRecordDir() string { return filepath.Join(s.o.Root, "cri", "containers") }
func (s *Server) podRunDir(id string) string {
	return filepath.Join(s.o.RunRoot, "cri", "pods", id)
}

func now() time.Time { return time.Now().UTC() }

// ContainerCounts counts containers by CRI state (metrics).
func (s *Server) ContainerCounts() map[string]int {
	s.mu.RLock()
	ids := make([]string, 0, len(s.ctrs))
	for id := range s.ctrs {
		ids = append(ids, id)
	}
	s.mu.RUnlock()
	out := map[string]int{}
	for _, id := range ids {
		if st, err := s.rt.Status(id); err == nil {
			out[string(st.State)]++
		}
	}
	return out
}

// SetPullObserver sets the OnPull hook after construction.
func (s *Server) SetPullObserver(f func(d time.Duration, bytes int64, err error)) { s.o.OnPull = f }
