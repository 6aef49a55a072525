package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/config"
	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/cri"
	"github.com/ocid-project/ocid/cri/metrics"
	"github.com/ocid-project/ocid/cri/network"
	"github.com/ocid-project/ocid/cri/nri"
	"github.com/ocid-project/ocid/pull"
	"github.com/ocid-project/ocid/registries"
	"github.com/ocid-project/ocid/runtime/pause"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/trust"
	"github.com/ocid-project/ocid/trust/lookaside"
)

func newDaemonCommand(a *app) *cobra.Command {
	var socket, cniConf, streamAddr, metricsAddr, nriSocket string
	var cniBin []string
	cmd := &cobra.Command{
		Use:   "daemon",
		Short: "Serve the Kubernetes CRI on a unix socket (the kubelet, crictl and critest talk to it)",
		Args:  cobra.NoArgs,
	}
	f := cmd.Flags()
	f.StringVar(&socket, "socket", "", "gRPC unix socket `PATH` (default from config: /run/ocid/ocid.sock)")
	f.StringVar(&cniConf, "cni-conf-dir", "", "CNI configuration `DIR` (default from config)")
	f.StringSliceVar(&cniBin, "cni-bin-dir", nil, "CNI plugin `DIR`s (default from config)")
	f.StringVar(&streamAddr, "streaming-address", "", "`HOST:PORT` of the exec/attach/port-forward server (default 127.0.0.1:0)")
	f.StringVar(&metricsAddr, "metrics-address", "", "serve Prometheus metrics on `HOST:PORT` (off by default)")
	f.StringVar(&nriSocket, "nri-socket", "", "NRI plugin socket `PATH` (default from config: /var/run/nri/nri.sock)")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		c := &a.cfg.CRI
		if cmd.Flags().Changed("socket") {
			c.Socket = socket
		}
		if cmd.Flags().Changed("cni-conf-dir") {
			c.CNIConfDir = cniConf
		}
		if cmd.Flags().Changed("cni-bin-dir") {
			c.CNIBinDirs = cniBin
		}
		if cmd.Flags().Changed("streaming-address") {
			c.StreamingAddress = streamAddr
		}
		if cmd.Flags().Changed("metrics-address") {
			c.MetricsAddress = metricsAddr
		}
		if cmd.Flags().Changed("nri-socket") {
			if !filepath.IsAbs(nriSocket) {
				return fmt.Errorf("--nri-socket %q: not an absolute path", nriSocket)
			}
			a.cfg.NRI.SocketPath = nriSocket
		}
		return a.runDaemon(cmd.Context())
	}
	return cmd
}

func (a *app) runDaemon(ctx context.Context) error {
	c := a.cfg.CRI
	log := a.log
	st, err := a.store()
	if err != nil {
		return err
	}
	rt, err := a.runtime()
	if err != nil {
		return err
	}
	if installed, err := network.InstallDefaultConfig(c.CNIConfDir); err != nil {
		return fmt.Errorf("CNI configuration: %w", err)
	} else if installed {
		log.Info("installed the default pod network", "dir", c.CNIConfDir, "subnet", network.DefaultSubnet)
	}
	netMgr, err := network.NewManager(network.Options{ConfDir: c.CNIConfDir, BinDirs: c.CNIBinDirs, CacheDir: filepath.Join(a.cfg.RunRoot, "cni-cache")})
	if err != nil {
		return err
	}
	pauseBin, _, err := a.monitorProgram()
	if err != nil {
		return fmt.Errorf("runtime.monitor_path: %w", err)
	}
	if err := pause.CheckStatic(pauseBin); err != nil {
		return err
	}
	log.Info("monitor and pause program", "path", pauseBin)
	var met *metrics.Metrics
	var srvRef *cri.Server
	if c.MetricsAddress != "" {
		met = metrics.New(func() map[string]int { return srvRef.ContainerCounts() })
	}
	pol := &policyHolder{a: a}
	if err := pol.reload(); err != nil {
		return err
	}
	srv, err := cri.New(ctx, cri.Options{
		Runtime: rt, Store: st, Network: netMgr,
		Puller:      &pull.Puller{Store: st, Transport: a.storeTr, RegistriesFunc: pol.registries},
		CopyOptions: pol.copyOptions,
		Root:        a.cfg.Root, RunRoot: a.cfg.RunRoot, PauseBinary: pauseBin, Version: version, Log: log,
		NRI: nriConfig(a.cfg.NRI),
	})
	if err != nil {
		return err
	}
	srvRef = srv
	// After the server restored its pods and containers, before it
	// serves: plugins start synchronized with them.
	if err := srv.StartNRI(); err != nil {
		return err
	}
	defer srv.Close()
	trim := newMemTrimmer(log)
	defer trim.Stop(false)
	trim.Trigger() // what start-up and the restore touched
	interceptors := []grpc.UnaryServerInterceptor{logRequests(log), trimAfterWork(trim)}
	if met != nil {
		srv.SetPullObserver(met.Pulled)
		interceptors = append(interceptors, met.Interceptor())
		addr, err := met.Serve(ctx, c.MetricsAddress)
		if err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
		log.Info("serving metrics", "address", addr)
	}
	streamURL, err := srv.StartStreaming(c.StreamingAddress)
	if err != nil {
		return err
	}
	l, err := listenSocket(c.Socket)
	if err != nil {
		return err
	}
	g := grpc.NewServer(grpc.ChainUnaryInterceptor(interceptors...))
	runtimeapi.RegisterRuntimeServiceServer(g, srv)
	runtimeapi.RegisterImageServiceServer(g, srv)
	log.Info("ocid daemon serving the CRI", "socket", c.Socket, "streaming", streamURL, "root", a.cfg.Root)

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP {
				if err := pol.reload(); err != nil {
					log.Error("reload failed; keeping the previous configuration", "error", err)
				} else {
					log.Info("reloaded registries.conf, registries.d and the signature policy")
				}
				continue
			}
			log.Info("stopping (containers keep running)", "signal", sig.String())
			done := make(chan struct{})
			go func() { g.GracefulStop(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				g.Stop()
			}
			return
		}
	}()
	err = g.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	return err
}

// nriConfig is the CRI server's NRI configuration (nil: disabled).
func nriConfig(c config.NRI) *nri.Config {
	if !c.Enable {
		return nil
	}
	return &nri.Config{
		SocketPath: c.SocketPath, PluginPath: c.PluginPath, PluginConfigPath: c.PluginConfigPath,
		RegistrationTimeout: c.PluginRegistrationTimeout, RequestTimeout: c.PluginRequestTimeout,
	}
}

// listenSocket listens on a unix socket that only root may use.
func listenSocket(path string) (net.Listener, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
		return nil, err
	}
	old := syscall.Umask(0o117)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("CRI socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o660); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

// policyHolder keeps the registries.conf, registries.d and signature
// policy in effect; SIGHUP replaces them as a whole, or not at all.
type policyHolder struct {
	a    *app
	mu   sync.Mutex
	regs *registries.Config
	look *lookaside.Config
	pc   *trust.PolicyContext
}

func (p *policyHolder) reload() error {
	regs, err := registries.Load(registries.Options{Path: p.a.cfg.RegistriesConf})
	if err != nil {
		return err
	}
	look, err := lookaside.Load(p.a.cfg.RegistriesD)
	if err != nil {
		return err
	}
	var pc *trust.PolicyContext
	if !p.a.insecurePolicy {
		if pc, err = p.a.policyContext(); err != nil {
			return err
		}
	}
	p.mu.Lock()
	p.regs, p.look, p.pc = regs, look, pc
	p.mu.Unlock()
	return nil
}

func (p *policyHolder) registries() *registries.Config {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.regs
}

// copyOptions are the options of one pull.
func (p *policyHolder) copyOptions() (*copy.Options, error) {
	p.mu.Lock()
	regs, look, pc := p.regs, p.look, p.pc
	p.mu.Unlock()
	cfg := p.a.cfg
	opts := &copy.Options{
		Parallel: cfg.Image.ParallelCopies, Retries: cfg.Image.Retries, Log: p.a.log,
		Source: &transport.Options{Registries: regs, Lookaside: look, Retries: cfg.Image.Retries, UserAgent: "ocid/" + version, Log: p.a.log},
	}
	if pc == nil {
		opts.InsecureAcceptAnything = true
	} else {
		opts.Policy = copy.PolicyFrom(pc)
	}
	return opts, nil
}
