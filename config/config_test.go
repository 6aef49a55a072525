package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

func TestDefaultIsValid(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Runtime.MonitorPath != "" || c.Runtime.Handlers[c.Runtime.DefaultRuntime].Path == "" {
		t.Fatalf("unexpected defaults: %+v", c.Runtime)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, "ocid.toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	c, err := Load(write("[runtime]\ncgroup_parent = \"/x\"\nmonitor_path = \"/usr/libexec/ocid-monitor\"\n"), true)
	if err != nil || c.Runtime.CgroupParent != "/x" || c.Runtime.MonitorPath != "/usr/libexec/ocid-monitor" {
		t.Fatalf("%+v %v", c, err)
	}
	if c.Runtime.DefaultRuntime != "runc" {
		t.Fatalf("the file replaced defaults it did not name: %+v", c.Runtime)
	}
	for _, tc := range []struct{ body, want string }{
		{"[runtime]\ncgroup_parnet = \"/x\"\n", "unknown key(s) runtime.cgroup_parnet"},
		{"[runtime]\nmonitor_path = \"ocid-monitor\"\n", "must be an absolute path"},
		{"[runtime]\ncgroup_manager = \"upstart\"\n", "cgroupfs or systemd"},
		{"[runtime]\nseccomp_x32 = \"never\"\n", "runtime.seccomp_x32 \"never\" must be auto or always"},
		{"[runtime]\ndefault_runtime = \"kata\"\n", "no [runtime.handlers.kata]"},
		{"[image]\nparallel_copies = 0\n", "between 1 and 64"},
		{"root = \"relative\"\n", "absolute path"},
		{"[runtime\n", "ocid.toml"},
		{"[nri]\nsocket_path = \"nri.sock\"\n", "nri.socket_path \"nri.sock\" must be an absolute path"},
		{"[nri]\nplugin_path = \"plugins\"\n", "nri.plugin_path"},
		{"[nri]\nplugin_request_timeout = 5\n", "nri.plugin_request_timeout 5ns must be between 1ms and 10m"},
		{"[nri]\nplugin_registration_timeout = \"1h\"\n", "nri.plugin_registration_timeout 1h0m0s"},
		{"[nri]\nplugin_request_timeout = \"soon\"\n", "ocid.toml"},
	} {
		_, err := Load(write(tc.body), true)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: %v, want an invalid-argument error with %q", tc.body, err, tc.want)
		}
	}
	c, err = Load(write("[nri]\nenable = false\nsocket_path = \"/run/x/nri.sock\"\nplugin_path = \"\"\nplugin_request_timeout = \"250ms\"\n"), true)
	if err != nil || c.NRI.Enable || c.NRI.SocketPath != "/run/x/nri.sock" || c.NRI.PluginPath != "" ||
		c.NRI.PluginRequestTimeout != 250*time.Millisecond || c.NRI.PluginRegistrationTimeout != 5*time.Second {
		t.Fatalf("[nri]: %+v %v", c.NRI, err)
	}
	if _, err := Load(filepath.Join(dir, "missing.toml"), true); err == nil {
		t.Error("a missing explicit file was accepted")
	}
	if c, err := Load(filepath.Join(dir, "missing.toml"), false); err != nil || c.Runtime.DefaultRuntime != "runc" {
		t.Errorf("a missing default file: %v", err)
	}
}

// FuzzLoad: any file either loads into a valid configuration or gives an
// invalid-argument error; it never panics.
func FuzzLoad(f *testing.F) {
	f.Add(DefaultTOML())
	f.Add("[runtime]\nmonitor_path = \"/x\"\n")
	f.Add("[cri]\nsocket = 3\n")
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, body string) {
		p := filepath.Join(dir, "f.toml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, true)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("%v is not an invalid-argument error", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid configuration: %v", err)
		}
	})
}
