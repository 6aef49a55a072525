package network

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/invoke"
	"github.com/containernetworking/cni/pkg/version"

	"github.com/ocid-project/ocid/errdefs"
)

// Defaults for the Manager's Options.
const (
	DefaultConfDir  = "/etc/cni/net.d"
	DefaultCacheDir = "/var/lib/cni"
)

// DefaultBinDirs are where Debian's containernetworking-plugins and the
// upstream release tarballs put the plugins.
var DefaultBinDirs = []string{"/usr/lib/cni", "/opt/cni/bin"}

// rollbackTimeout bounds the DEL that undoes a failed ADD: it runs even when
// the caller's context is what made the ADD fail.
const rollbackTimeout = time.Minute

// Options configure a Manager. Empty fields take the defaults above.
type Options struct {
	ConfDir  string   // network configurations (*.conflist, *.conf, *.json)
	BinDirs  []string // where to find the plugins, in order
	CacheDir string   // libcni's result cache: what teardown after a restart needs
	// DefaultNetwork picks a network by name instead of the first file.
	DefaultNetwork string
}

// Manager attaches pods to the node's CNI network. Its methods are safe for
// concurrent use. It watches the configuration directory by polling it on
// every call (a directory listing and a few stats), so it owns no
// goroutine and needs no Close.
type Manager struct {
	opts Options
	cni  *libcni.CNIConfig

	mu     sync.Mutex
	stamp  string                    // confStamp of the last load
	loaded bool                      // whether stamp, list and err are set
	list   *libcni.NetworkConfigList // the network, when err is nil
	err    error                     // why there is no network
}

// NewManager makes a Manager; it reads nothing yet, so a node without a
// network configuration still gets one (whose Status says so).
func NewManager(opts Options) (*Manager, error) {
	if opts.ConfDir == "" {
		opts.ConfDir = DefaultConfDir
	}
	if len(opts.BinDirs) == 0 {
		opts.BinDirs = DefaultBinDirs
	}
	if opts.CacheDir == "" {
		opts.CacheDir = DefaultCacheDir
	}
	for _, d := range append([]string{opts.ConfDir, opts.CacheDir}, opts.BinDirs...) {
		if !filepath.IsAbs(d) {
			return nil, fmt.Errorf("cni: directory %q is not absolute: %w", d, errdefs.ErrInvalidArgument)
		}
	}
	opts.BinDirs = slices.Clone(opts.BinDirs)
	return &Manager{
		opts: opts,
		// An explicit exec: given none, libcni makes one on first use
		// without a lock, a data race between concurrent pods.
		cni: libcni.NewCNIConfigWithCacheDir(opts.BinDirs, opts.CacheDir, &invoke.DefaultExec{
			RawExec:       &invoke.RawExec{Stderr: os.Stderr},
			PluginDecoder: version.PluginDecoder{},
		}),
	}, nil
}

// Status is nil when the node has a usable network, else why not (for the
// CRI NetworkReady condition); the error wraps ErrPrecondition.
func (m *Manager) Status() error {
	_, err := m.network(context.Background())
	return err
}

// network returns the current network, reloading it when the
// configuration files changed. A failed load is retried on every call,
// since a missing plugin may get installed without any config change.
func (m *Manager) network(ctx context.Context) (*libcni.NetworkConfigList, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	stamp, err := confStamp(m.opts.ConfDir)
	if err != nil {
		return nil, err
	}
	if m.loaded && stamp == m.stamp && m.err == nil {
		return m.list, nil
	}
	m.list, m.err = loadNetwork(ctx, m.cni, m.opts.ConfDir, m.opts.DefaultNetwork)
	m.stamp, m.loaded = stamp, true
	return m.list, m.err
}

// SetUp attaches the pod's namespace to the network (CNI ADD) and returns
// what it got. Loopback is brought up first, whether or not the network has
// the loopback plugin. On failure whatever the plugins made is undone.
func (m *Manager) SetUp(ctx context.Context, pod PodNetwork) (*Result, error) {
	if pod.ID == "" || pod.NetNS == "" {
		return nil, fmt.Errorf("cni set up: pod id and network namespace are required: %w", errdefs.ErrInvalidArgument)
	}
	list, err := m.network(ctx)
	if err != nil {
		return nil, fmt.Errorf("set up network of pod %s: %w", pod.ID, err)
	}
	if err := doInNetNS(pod.NetNS, func() error { return linkUp("lo") }); err != nil {
		return nil, fmt.Errorf("set up network of pod %s: %w", pod.ID, err)
	}
	rt := pod.runtimeConf(pod.NetNS)
	raw, err := m.cni.AddNetworkList(ctx, list, rt)
	var res *Result
	if err == nil {
		res, err = toResult(list.Name, raw)
	}
	if err != nil {
		// The plugins before the failing one left a veth, a lease, rules;
		// DEL with the same arguments undoes them (and drops the cache
		// entry of an ADD whose result was unusable).
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
		defer cancel()
		if derr := m.cni.DelNetworkList(dctx, list, rt); derr != nil {
			err = errors.Join(err, fmt.Errorf("undo: %w", derr))
		}
		return nil, fmt.Errorf("set up network %q for pod %s: %w (%w)", list.Name, pod.ID, err, errdefs.ErrUnavailable)
	}
	return res, nil
}

// TearDown detaches the pod (CNI DEL): its address is released, its veth,
// hostPort and masquerading rules removed. It works from libcni's cache of
// the ADD (the network config, port mappings and result as they were then),
// so it needs neither the current configuration nor this process to be the
// one that set the pod up. pod.NetNS may be gone already, or empty (the
// cached one is used then, if it still exists). Tearing down a pod that has
// no network is not an error.
func (m *Manager) TearDown(ctx context.Context, pod PodNetwork) error {
	if pod.ID == "" {
		return fmt.Errorf("cni tear down: pod id is required: %w", errdefs.ErrInvalidArgument)
	}
	atts, err := m.cni.GetCachedAttachments(pod.ID)
	if err != nil {
		return fmt.Errorf("tear down network of pod %s: cni cache: %w", pod.ID, err)
	}
	if len(atts) == 0 {
		// No cache: the pod was never attached, was torn down already, or
		// its cache was lost. DEL is idempotent, so the current network
		// config with the caller's arguments covers the last case too.
		list, err := m.network(ctx)
		if err != nil {
			// No usable network config either: nothing to tear down.
			return nil
		}
		rt := pod.runtimeConf(pod.NetNS)
		atts = append(atts, &libcni.NetworkAttachment{
			ContainerID: pod.ID, Network: list.Name, IfName: rt.IfName, NetNS: rt.NetNS,
			Config: list.Bytes, CniArgs: rt.Args, CapabilityArgs: rt.CapabilityArgs,
		})
	}
	var errs []error
	for _, a := range atts {
		if err := m.del(ctx, a, liveNetNS(pod.NetNS, a.NetNS)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tear down network of pod %s: %w (%w)", pod.ID, err, errdefs.ErrUnavailable)
	}
	return nil
}

// liveNetNS is the first of the paths that is still a network namespace,
// or "". Plugins fail on a namespace path that no longer exists; an empty
// one tells them to clean up only what lives outside it.
func liveNetNS(paths ...string) string {
	for _, p := range paths {
		if p != "" && checkNetNS(p) == nil {
			return p
		}
	}
	return ""
}

// del runs DEL for one cached attachment, then removes the masquerading
// rules the bridge plugin cannot remove without the namespace.
func (m *Manager) del(ctx context.Context, a *libcni.NetworkAttachment, netns string) error {
	list, err := libcni.ConfListFromBytes(a.Config)
	if err != nil {
		return fmt.Errorf("network %q: cached config: %w", a.Network, err)
	}
	rt := &libcni.RuntimeConf{
		ContainerID:    a.ContainerID,
		NetNS:          netns,
		IfName:         a.IfName,
		Args:           a.CniArgs,
		CapabilityArgs: a.CapabilityArgs,
	}
	var families []string
	if cached, err := m.cni.GetNetworkListCachedResult(list, rt); err == nil && cached != nil {
		if r, err := toResult(list.Name, cached); err == nil {
			families = ipFamilies(r.IPConfigs)
		}
	}
	if err := m.cni.DelNetworkList(ctx, list, rt); err != nil {
		return fmt.Errorf("network %q: %w", list.Name, err)
	}
	if err := removeIPMasq(ctx, list, a.ContainerID, families); err != nil {
		return fmt.Errorf("network %q: %w", list.Name, err)
	}
	return nil
}

// CachedResult returns what SetUp gave the pod, from libcni's cache (so
// also for pods a previous daemon set up); ErrNotFound when the pod has no
// network.
func (m *Manager) CachedResult(podID string) (*Result, error) {
	atts, err := m.cni.GetCachedAttachments(podID)
	if err != nil {
		return nil, fmt.Errorf("network of pod %s: cni cache: %w", podID, err)
	}
	// The pod's own interface first, should a plugin have cached others.
	slices.SortStableFunc(atts, func(a, b *libcni.NetworkAttachment) int {
		return boolCmp(a.IfName != podIfName, b.IfName != podIfName)
	})
	for _, a := range atts {
		list, err := libcni.ConfListFromBytes(a.Config)
		if err != nil {
			continue
		}
		rt := &libcni.RuntimeConf{ContainerID: a.ContainerID, IfName: a.IfName}
		r, err := m.cni.GetNetworkListCachedResult(list, rt)
		if err != nil || r == nil {
			continue
		}
		return toResult(list.Name, r)
	}
	return nil, fmt.Errorf("network of pod %s: %w", podID, errdefs.ErrNotFound)
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	default:
		return -1
	}
}
