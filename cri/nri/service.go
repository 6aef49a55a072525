// Package nri connects the CRI server to NRI (Node Resource Interface)
// plugins through containerd's runtime-side library: plugins are told of
// pod and container lifecycle events in the CRI server, may adjust a
// container before it is created, and may update other containers'
// resources. The CRI server builds the plugins' view of its pods and
// containers (the api types) and applies what they return; this package
// holds the library plumbing, the conversions that need no CRI state, and
// the application of adjustments to ocid's spec.Options.
//
// A nil *Service is a disabled NRI: every method is a no-op.
package nri

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/containerd/nri/pkg/adaptation"
	"github.com/containerd/nri/pkg/api"
	nrilog "github.com/containerd/nri/pkg/log"
)

// Config configures the NRI service.
type Config struct {
	// SocketPath is where external plugins connect (root only).
	SocketPath string
	// PluginPath holds plugins ocid starts itself ("NN-name" executables);
	// PluginConfigPath their configuration drop-ins.
	PluginPath, PluginConfigPath string
	// RegistrationTimeout bounds a plugin's registration; RequestTimeout
	// each call to a plugin (0: the library's defaults, 5s and 2s).
	RegistrationTimeout, RequestTimeout time.Duration
}

// Runtime is what the service needs of the CRI server.
type Runtime interface {
	// Snapshot lists every pod and container as plugins see them.
	Snapshot(ctx context.Context) ([]*api.PodSandbox, []*api.Container, error)
	// UpdateContainers applies resource updates plugins asked for and
	// returns the ones that failed.
	UpdateContainers(ctx context.Context, updates []*api.ContainerUpdate) ([]*api.ContainerUpdate, error)
}

// Service is the runtime end of NRI.
type Service struct {
	cfg     Config
	rt      Runtime
	log     *slog.Logger
	a       *adaptation.Adaptation
	plugins pluginCount
}

// New prepares the service; Start opens the socket and starts plugins.
func New(cfg Config, runtimeName, version string, rt Runtime, log *slog.Logger) (*Service, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Service{cfg: cfg, rt: rt, log: log.With("component", "nri")}
	// The library keeps its logger and timeouts in package variables:
	// one NRI service per process. Its logger is set once and logs to the
	// latest service's (a second one's New races with nothing).
	libLog.l.Store(s.log)
	libLog.once.Do(func() { nrilog.Set(logAdapter{}) })
	if cfg.RegistrationTimeout > 0 {
		adaptation.SetPluginRegistrationTimeout(cfg.RegistrationTimeout)
	}
	if cfg.RequestTimeout > 0 {
		adaptation.SetPluginRequestTimeout(cfg.RequestTimeout)
	}
	a, err := adaptation.New(runtimeName, version, s.synchronize, s.update,
		adaptation.WithSocketPath(cfg.SocketPath),
		adaptation.WithPluginPath(cfg.PluginPath),
		adaptation.WithPluginConfigPath(cfg.PluginConfigPath),
		adaptation.WithMetrics(&s.plugins),
	)
	if err != nil {
		return nil, fmt.Errorf("NRI: %w", err)
	}
	s.a = a
	return s, nil
}

// Start starts the pre-installed plugins (synchronizing them with the
// runtime's pods and containers) and listens for external plugins. It
// refuses a socket another process (a second runtime) serves.
func (s *Service) Start() error {
	if s == nil {
		return nil
	}
	if conn, err := net.DialTimeout("unix", s.cfg.SocketPath, time.Second); err == nil {
		conn.Close()
		return fmt.Errorf("NRI socket %s is in use by another process (another container runtime?); set [nri] socket_path", s.cfg.SocketPath)
	}
	if err := s.a.Start(); err != nil {
		return fmt.Errorf("NRI: %w", err)
	}
	// Plugins may change any container: the socket is root's alone.
	if err := os.Chmod(s.cfg.SocketPath, 0o600); err != nil {
		s.a.Stop()
		return fmt.Errorf("NRI socket: %w", err)
	}
	s.log.Info("NRI ready", "socket", s.cfg.SocketPath, "pluginPath", s.cfg.PluginPath)
	return nil
}

// Stop disconnects the plugins and closes the socket.
func (s *Service) Stop() {
	if s == nil {
		return
	}
	s.a.Stop()
	os.Remove(s.cfg.SocketPath)
}

// Active reports whether any plugin is connected; the CRI server skips
// building plugins' views of pods and containers when none is.
func (s *Service) Active() bool { return s != nil && s.plugins.n.Load() > 0 }

// BlockSync holds off the registration of new plugins until the
// returned function is called. The CRI server holds it from before it
// tells plugins of a new pod or container until the pod or container is
// listed, so a plugin registering meanwhile either is told of it or
// finds it in its Synchronize.
func (s *Service) BlockSync() func() {
	if s == nil {
		return func() {}
	}
	b := s.a.BlockPluginSync()
	return b.Unblock
}

// synchronize gives a newly registered plugin the current state and
// applies the updates it asks for.
func (s *Service) synchronize(ctx context.Context, cb adaptation.SyncCB) error {
	pods, ctrs, err := s.rt.Snapshot(ctx)
	if err != nil {
		return fmt.Errorf("listing pods and containers for NRI: %w", err)
	}
	updates, err := cb(ctx, pods, ctrs)
	if err != nil {
		return err
	}
	return s.applyUpdates(ctx, updates)
}

// update applies a plugin's unsolicited updates.
func (s *Service) update(ctx context.Context, updates []*api.ContainerUpdate) ([]*api.ContainerUpdate, error) {
	return s.rt.UpdateContainers(ctx, updates)
}

// applyUpdates applies updates plugins returned with an event; a failed
// update fails the event unless the plugin said it may be ignored.
func (s *Service) applyUpdates(ctx context.Context, updates []*api.ContainerUpdate) error {
	if len(updates) == 0 {
		return nil
	}
	failed, err := s.rt.UpdateContainers(ctx, updates)
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, u := range failed {
		if u.IgnoreFailure {
			s.log.Warn("ignoring a failed NRI container update", "container", u.ContainerId)
			continue
		}
		errs = append(errs, fmt.Errorf("NRI update of container %s failed", u.ContainerId))
	}
	return errors.Join(errs...)
}

// pluginCount implements the library's metrics to count plugins.
type pluginCount struct{ n atomic.Int64 }

func (c *pluginCount) UpdatePluginCount(n int)                           { c.n.Store(int64(n)) }
func (c *pluginCount) RecordPluginInvocation(string, string, error)      {}
func (c *pluginCount) RecordPluginLatency(string, string, time.Duration) {}
func (c *pluginCount) RecordPluginAdjustments(string, string, *api.ContainerAdjustment, int, int) {
}

var libLog struct {
	once sync.Once
	l    atomic.Pointer[slog.Logger]
}

// logAdapter sends the library's log to ocid's.
type logAdapter struct{}

func (logAdapter) Debugf(ctx context.Context, f string, args ...any) {
	libLog.l.Load().DebugContext(ctx, fmt.Sprintf(f, args...))
}
func (logAdapter) Infof(ctx context.Context, f string, args ...any) {
	libLog.l.Load().InfoContext(ctx, fmt.Sprintf(f, args...))
}
func (logAdapter) Warnf(ctx context.Context, f string, args ...any) {
	libLog.l.Load().WarnContext(ctx, fmt.Sprintf(f, args...))
}
func (logAdapter) Errorf(ctx context.Context, f string, args ...any) {
	libLog.l.Load().ErrorContext(ctx, fmt.Sprintf(f, args...))
}
