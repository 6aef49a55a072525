// Package cri serves the Kubernetes Container Runtime Interface: the
// kubelet (and crictl, critest) asks over gRPC; ocid pulls with its
// transports and store, checks the signature policy, and runs with
// runc through package runtime. Pods pin their network, IPC and UTS
// namespaces with bind mounts; a pause process (ocid itself) runs only
// for pods that share a PID namespace.
package cri

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/cri/nri"
	"github.com/ocid-project/ocid/internal/debounce"
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
	// NRI, when set, enables NRI plugins (see StartNRI).
	NRI *nri.Config
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
	// idmapErr is why pods cannot have user namespaces here (nil: they
	// can): found once at start, by trying an ID-mapped mount.
	idmapErr error
	// nri is nil without NRI; exits then too.
	nri   *nri.Service
	exits *exitWatcher
	// usage serves ImageFsInfo; gc collects the store after removals.
	usage *usageCache
	gc    *debounce.Func
}

// New loads the CRI's records and cleans up what a crash left half-made.
func New(ctx context.Context, o Options) (*Server, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, rt: o.Runtime, st: o.Store, net: o.Network, log: o.Log,
		pods: map[string]*sandbox{}, ctrs: map[string]*container{}, events: newEventBus()}
	s.usage = &usageCache{measure: o.Store.DiskUsage, log: o.Log, minAge: usageMinAge}
	s.gc = &debounce.Func{Fn: s.collectStore, Delay: gcDelay}
	for _, d := range []string{s.podRecordDir(), s.ctrRecordDir()} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	// Traversable, not listable: a user-namespaced pod's processes reach
	// their pod's directory (0700, owned by the pod's root) through here.
	for _, d := range []string{filepath.Join(o.RunRoot, "cri"), filepath.Join(o.RunRoot, "cri", "pods")} {
		if err := os.MkdirAll(d, 0o711); err != nil {
			return nil, err
		}
		if err := os.Chmod(d, 0o711); err != nil {
			return nil, err
		}
	}
	if err := s.restore(ctx); err != nil {
		return nil, err
	}
	if o.NRI != nil {
		var err error
		if s.nri, err = nri.New(*o.NRI, runtimeName, o.Version, nriRuntime{s}, o.Log); err != nil {
			return nil, err
		}
		if s.exits, err = newExitWatcher(s.containerExited); err != nil {
			return nil, fmt.Errorf("NRI: %w", err)
		}
	}
	s.usage.refresh()
	s.idmapErr = s.probeIDMap()
	if s.idmapErr != nil {
		s.log.Info("pods cannot have user namespaces on this node", "reason", s.idmapErr)
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
	// User namespaces for pods (hostUsers: false) need ID-mapped mounts;
	// without them no handler claims the feature and the kubelet refuses
	// such pods itself.
	userns := s.idmapErr == nil
	for _, h := range s.rt.HandlerNames() {
		resp.RuntimeHandlers = append(resp.RuntimeHandlers, &runtimeapi.RuntimeHandler{
			Name: h, Features: &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: userns},
		})
	}
	resp.RuntimeHandlers = append(resp.RuntimeHandlers, &runtimeapi.RuntimeHandler{
		Name: "", Features: &runtimeapi.RuntimeHandlerFeatures{RecursiveReadOnlyMounts: true, UserNamespaces: userns},
	})
	resp.Features = &runtimeapi.RuntimeFeatures{SupplementalGroupsPolicy: true}
	if req.Verbose {
		// stateDir as containerd names it: where the runtime keeps its
		// state (critest probes ID-mapped mounts next to it).
		cfg, _ := json.Marshal(map[string]string{"runtime": "ocid", "root": s.o.Root, "runRoot": s.o.RunRoot, "stateDir": filepath.Join(s.o.Root, "cri")})
		resp.Info = map[string]string{"config": string(cfg)}
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
