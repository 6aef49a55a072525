package main

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/ocid-project/ocid/config"
	"github.com/ocid-project/ocid/registries"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport/all"
	storetransport "github.com/ocid-project/ocid/transport/store"
	"github.com/ocid-project/ocid/trust/lookaside"
)

// version is set at build time (-ldflags "-X main.version=…").
var version = "dev"

// app is what every command shares: the effective configuration and the
// global flags, resolved once before the command runs.
type app struct {
	configPath     string
	root           string
	runroot        string
	registriesConf string
	registriesD    string
	policyPath     string
	logLevel       string
	insecurePolicy bool
	tmpDir         string
	addStores      []string

	storeOnce sync.Once
	st        *store.Store
	stErr     error
	storeTr   *storetransport.Transport
	rt        *runtime.Manager

	cfg *config.Config
	log *slog.Logger
	// regs is registries.conf, look registries.d, loaded on first use.
	regs *registries.Config
	look *lookaside.Config
}

func newRootCommand() *cobra.Command {
	a := &app{}
	root := &cobra.Command{
		Use:           "ocid",
		Short:         "A container stack for production nodes: images, trust, runtime, CRI",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
	}
	f := root.PersistentFlags()
	f.StringVar(&a.configPath, "config", config.DefaultPath, "configuration `FILE`")
	// The same flag under a name no subcommand shadows (see hoistGlobalConfig).
	f.StringVar(&a.configPath, "ocid-config", config.DefaultPath, "configuration `FILE`")
	f.MarkHidden("ocid-config")
	f.StringVar(&a.root, "root", "", "persistent state `DIR` (default from config: /var/lib/ocid)")
	f.StringVar(&a.runroot, "runroot", "", "volatile state `DIR` (default from config: /run/ocid)")
	f.StringVar(&a.registriesConf, "registries-conf", "", "registries.conf `FILE` (default: /etc/containers/registries.conf and .d)")
	f.StringVar(&a.registriesD, "registries.d", "", "`DIR` of lookaside signature store configuration (default /etc/containers/registries.d)")
	f.StringVar(&a.policyPath, "policy", "", "signature policy `FILE` (default /etc/containers/policy.json)")
	f.StringVar(&a.logLevel, "log-level", "", "log level: debug, info, warn, error")
	f.BoolVar(&a.insecurePolicy, "insecure-policy", false, "accept any image, ignoring the signature policy (dangerous)")
	f.StringVar(&a.tmpDir, "tmpdir", "", "`DIR` for temporary files (default $TMPDIR)")
	f.StringArrayVar(&a.addStores, "additional-store", nil, "read-only store `DIR` whose images are used in place (repeatable)")

	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(newImageCommand(a), newContainerCommand(a), newDaemonCommand(a), newStoreCommand(a), newTrustCommand(a), newVersionCommand(), newConfigCommand(a))
	return root
}

// setup loads the configuration and applies the flags that override it.
func (a *app) setup(cmd *cobra.Command) error {
	containerGC(cmd)
	explicit := cmd.Flags().Changed("ocid-config") || (cmd.Flags().Changed("config") && cmd.Flags().Lookup("config").Value.Type() == "string")
	cfg, err := config.Load(a.configPath, explicit)
	if err != nil {
		return err
	}
	override := func(flag string, dst *string, val string) {
		if cmd.Flags().Changed(flag) {
			*dst = val
		}
	}
	override("root", &cfg.Root, a.root)
	override("runroot", &cfg.RunRoot, a.runroot)
	override("registries-conf", &cfg.RegistriesConf, a.registriesConf)
	override("registries.d", &cfg.RegistriesD, a.registriesD)
	override("policy", &cfg.Policy, a.policyPath)
	override("log-level", &cfg.LogLevel, a.logLevel)
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	a.cfg = cfg
	level, err := parseLevel(cfg.LogLevel)
	if err != nil {
		return usageError{err}
	}
	a.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if cmd.Flags().Changed("additional-store") {
		cfg.Store.AdditionalStores = a.addStores
	}
	a.storeTr = storetransport.New(a.store)
	all.Register(a.storeTr)
	return nil
}

// store opens the image store on first use.
func (a *app) store() (*store.Store, error) {
	a.storeOnce.Do(func() {
		a.st, a.stErr = store.Open(store.Options{
			Root: a.cfg.Root, RunRoot: a.cfg.RunRoot,
			KeepLayerBlobs:   a.cfg.Store.KeepLayerBlobs,
			AdditionalStores: a.cfg.Store.AdditionalStores,
			Log:              a.log,
		})
	})
	return a.st, a.stErr
}

func parseLevel(s string) (slog.Level, error) {
	switch strings.ToLower(s) {
	case "debug":
		return slog.LevelDebug, nil
	case "", "info":
		return slog.LevelInfo, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("unknown log level %q (want debug, info, warn or error)", s)
}

// registries loads registries.conf once.
func (a *app) registries() (*registries.Config, error) {
	if a.regs != nil {
		return a.regs, nil
	}
	regs, err := registries.Load(registries.Options{Path: a.cfg.RegistriesConf})
	if err != nil {
		return nil, err
	}
	a.regs = regs
	return regs, nil
}

// isTerminal reports whether stderr is a terminal (progress bars).
func isTerminal() bool { return term.IsTerminal(int(os.Stderr.Fd())) }

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print ocid's version",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "ocid version", version)
		},
	}
}

func newConfigCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (defaults, file, flags)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.cfg.Encode()
			if err != nil {
				return err
			}
			fmt.Fprint(cmd.OutOrStdout(), s)
			return nil
		},
	}
}
