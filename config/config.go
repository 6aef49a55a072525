// Package config is ocid's configuration file (/etc/ocid/ocid.toml):
// every key has an embedded default, so ocid runs with no file at all;
// flags override the file.
package config

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/ocid-project/ocid/errdefs"
)

// DefaultPath is where the daemon and the CLI look for the file.
const DefaultPath = "/etc/ocid/ocid.toml"

//go:embed default.toml
var defaultTOML string

// DefaultTOML is the commented default configuration, as `make run`
// installs it.
func DefaultTOML() string { return defaultTOML }

// Config is the whole configuration.
type Config struct {
	// Root holds persistent state (the store); RunRoot volatile state.
	Root    string `toml:"root"`
	RunRoot string `toml:"runroot"`
	// RegistriesConf: empty means the system registries.conf and its .d.
	RegistriesConf string  `toml:"registries_conf"`
	Policy         string  `toml:"policy"`
	RegistriesD    string  `toml:"registries_d"`
	LogLevel       string  `toml:"log_level"`
	Image          Image   `toml:"image"`
	Store          Store   `toml:"store"`
	Runtime        Runtime `toml:"runtime"`
	CRI            CRI     `toml:"cri"`
	NRI            NRI     `toml:"nri"`
}

// NRI configures Node Resource Interface plugins of the CRI daemon:
// programs that are told of pod and container lifecycle events and may
// adjust containers (resources, mounts, devices, environment, hooks).
type NRI struct {
	// Enable is on by default, as in containerd 2 and CRI-O: plugins
	// are root's (the socket is mode 0600, pre-installed plugins are
	// root's files), so NRI gives nobody a new power.
	Enable bool `toml:"enable"`
	// SocketPath is where external plugins connect. The daemon refuses
	// to start when another process (another runtime) serves it.
	SocketPath string `toml:"socket_path"`
	// PluginPath holds plugins the daemon starts itself ("NN-name"
	// executables); PluginConfigPath their configuration ("NN-name.conf"
	// or "name.conf"). Empty: none.
	PluginPath       string `toml:"plugin_path"`
	PluginConfigPath string `toml:"plugin_config_path"`
	// PluginRegistrationTimeout bounds a plugin's registration;
	// PluginRequestTimeout each event sent to a plugin.
	PluginRegistrationTimeout time.Duration `toml:"plugin_registration_timeout"`
	PluginRequestTimeout      time.Duration `toml:"plugin_request_timeout"`
}

// CRI holds the CRI daemon's settings.
type CRI struct {
	// Socket is the gRPC unix socket (mode 0660, root).
	Socket string `toml:"socket"`
	// StreamingAddress is where exec/attach/port-forward streams are
	// served; loopback unless configured otherwise.
	StreamingAddress string `toml:"streaming_address"`
	// CNIConfDir holds the pod network configuration; a default bridge
	// network is installed there when it is empty.
	CNIConfDir string `toml:"cni_conf_dir"`
	// CNIBinDirs are searched for CNI plugins.
	CNIBinDirs []string `toml:"cni_bin_dirs"`
	// MetricsAddress serves Prometheus metrics when set (loopback advised).
	MetricsAddress string `toml:"metrics_address"`
}

// Runtime holds the container runtime settings.
type Runtime struct {
	// DefaultRuntime names the handler used when none is asked for.
	DefaultRuntime string `toml:"default_runtime"`
	// Handlers are OCI runtime binaries by name.
	Handlers map[string]RuntimeHandler `toml:"handlers"`
	// CgroupManager is "cgroupfs", or "systemd" where systemd is PID 1.
	CgroupManager string `toml:"cgroup_manager"`
	// CgroupParent is the cgroupfs parent of containers.
	CgroupParent string `toml:"cgroup_parent"`
	// SeccompX32 is "auto" (the default seccomp profile lists x32 only
	// where the kernel runs x32 programs) or "always" (as the profile
	// has it, whatever the kernel).
	SeccompX32 string `toml:"seccomp_x32"`
	// MonitorPath is the ocid-monitor program (each container's monitor
	// and each pod's pause process). Empty: ocid-monitor next to the ocid
	// executable, else on PATH, else ocid itself.
	MonitorPath string `toml:"monitor_path"`
}

// RuntimeHandler is one OCI runtime.
type RuntimeHandler struct {
	Path string `toml:"path"`
	// SeccompBPF is "auto" (the default: for crun), "always" or "never":
	// ocid compiles the container's seccomp profile itself and hands the
	// runtime the program (crun's run.oci.seccomp_bpf_data annotation),
	// instead of the runtime compiling it with libseccomp in every
	// container's start. runc has no such annotation.
	SeccompBPF string `toml:"seccomp_bpf"`
}

// Store holds the image store settings.
type Store struct {
	// KeepLayerBlobs keeps compressed layer blobs after unpacking, so
	// images copy out of the store with their original layer digests.
	KeepLayerBlobs bool `toml:"keep_layer_blobs"`
	// AdditionalStores are read-only stores (e.g. on a shared mount)
	// whose images are used in place.
	AdditionalStores []string `toml:"additional_stores"`
}

// Image holds the image transfer settings.
type Image struct {
	// ParallelCopies bounds concurrent blob transfers per copy.
	ParallelCopies int `toml:"parallel_copies"`
	// Retries of a failed registry request or blob transfer.
	Retries int `toml:"retries"`
	// DefaultTransport is the transport assumed for names without one
	// (`ocid image pull busybox`).
	DefaultTransport string `toml:"default_transport"`
}

// Default returns the built-in configuration (the parsed default.toml).
func Default() *Config {
	var c Config
	if _, err := toml.Decode(defaultTOML, &c); err != nil {
		panic(fmt.Sprintf("embedded default.toml: %v", err))
	}
	return &c
}

// Load reads path over the defaults. A missing file is not an error when
// path is the default path (nothing was asked for); a missing explicit
// file is. Unknown keys are errors, so a typo does not silently do nothing.
func Load(path string, explicit bool) (*Config, error) {
	c := Default()
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && !explicit {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(data), c)
	if err != nil {
		return nil, fmt.Errorf("config %s: %v: %w", path, err, errdefs.ErrInvalidArgument)
	}
	if und := md.Undecoded(); len(und) > 0 {
		var keys []string
		for _, k := range und {
			keys = append(keys, k.String())
		}
		sort.Strings(keys)
		return nil, fmt.Errorf("config %s: unknown key(s) %s: %w", path, strings.Join(keys, ", "), errdefs.ErrInvalidArgument)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Validate checks values that parse but make no sense.
func (c *Config) Validate() error {
	switch {
	case c.Root == "" || !strings.HasPrefix(c.Root, "/"):
		return fmt.Errorf("root %q must be an absolute path: %w", c.Root, errdefs.ErrInvalidArgument)
	case c.RunRoot == "" || !strings.HasPrefix(c.RunRoot, "/"):
		return fmt.Errorf("runroot %q must be an absolute path: %w", c.RunRoot, errdefs.ErrInvalidArgument)
	case c.Image.ParallelCopies < 1 || c.Image.ParallelCopies > 64:
		return fmt.Errorf("image.parallel_copies %d must be between 1 and 64: %w", c.Image.ParallelCopies, errdefs.ErrInvalidArgument)
	case c.Image.Retries < 0 || c.Image.Retries > 20:
		return fmt.Errorf("image.retries %d must be between 0 and 20: %w", c.Image.Retries, errdefs.ErrInvalidArgument)
	case c.Runtime.MonitorPath != "" && !strings.HasPrefix(c.Runtime.MonitorPath, "/"):
		return fmt.Errorf("runtime.monitor_path %q must be an absolute path: %w", c.Runtime.MonitorPath, errdefs.ErrInvalidArgument)
	case c.Runtime.CgroupManager != "cgroupfs" && c.Runtime.CgroupManager != "systemd":
		return fmt.Errorf("runtime.cgroup_manager %q must be cgroupfs or systemd: %w", c.Runtime.CgroupManager, errdefs.ErrInvalidArgument)
	case c.Runtime.SeccompX32 != "auto" && c.Runtime.SeccompX32 != "always":
		return fmt.Errorf("runtime.seccomp_x32 %q must be auto or always: %w", c.Runtime.SeccompX32, errdefs.ErrInvalidArgument)
	}
	if err := c.NRI.validate(); err != nil {
		return err
	}
	for name, h := range c.Runtime.Handlers {
		switch h.SeccompBPF {
		case "", "auto", "always", "never":
		default:
			return fmt.Errorf("runtime.handlers.%s.seccomp_bpf %q must be auto, always or never: %w", name, h.SeccompBPF, errdefs.ErrInvalidArgument)
		}
	}
	if _, ok := c.Runtime.Handlers[c.Runtime.DefaultRuntime]; !ok {
		return fmt.Errorf("runtime.default_runtime %q has no [runtime.handlers.%s] entry: %w", c.Runtime.DefaultRuntime, c.Runtime.DefaultRuntime, errdefs.ErrInvalidArgument)
	}
	return nil
}

// validate checks the NRI settings (those of a disabled NRI too: a typo
// should not wait until it is enabled).
func (n *NRI) validate() error {
	abs := func(key, p string, empty bool) error {
		if (p == "" && empty) || strings.HasPrefix(p, "/") {
			return nil
		}
		return fmt.Errorf("nri.%s %q must be an absolute path: %w", key, p, errdefs.ErrInvalidArgument)
	}
	if err := errors.Join(abs("socket_path", n.SocketPath, false), abs("plugin_path", n.PluginPath, true),
		abs("plugin_config_path", n.PluginConfigPath, true)); err != nil {
		return err
	}
	// A bare number is nanoseconds in TOML: "5" is not five seconds.
	for key, d := range map[string]time.Duration{
		"plugin_registration_timeout": n.PluginRegistrationTimeout, "plugin_request_timeout": n.PluginRequestTimeout,
	} {
		if d < time.Millisecond || d > 10*time.Minute {
			return fmt.Errorf("nri.%s %v must be between 1ms and 10m (write \"5s\"): %w", key, d, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}

// Encode renders c as TOML (`ocid config`).
func (c *Config) Encode() (string, error) {
	var b strings.Builder
	if err := toml.NewEncoder(&b).Encode(c); err != nil {
		return "", err
	}
	return b.String(), nil
}
