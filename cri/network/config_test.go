package network

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/containernetworking/cni/libcni"

	"github.com/ocid-project/ocid/errdefs"
)

func TestStatusFollowsConfDir(t *testing.T) {
	dir := t.TempDir()
	m := managerFor(t, dir, "")
	notReady := func(want string) {
		t.Helper()
		err := m.Status()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("Status: %v, want an error saying %q", err, want)
		}
		if !errors.Is(err, errdefs.ErrPrecondition) {
			t.Fatalf("Status error %v does not wrap ErrPrecondition", err)
		}
	}
	notReady("no network config found in " + dir)

	// A file appears: ready, without a new Manager.
	good := filepath.Join(dir, "10-test.conflist")
	if err := os.WriteFile(good, testConflist(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Status(); err != nil {
		t.Fatalf("Status with a config: %v", err)
	}

	// A broken file sorted first is skipped, as the kubelet does.
	if err := os.WriteFile(filepath.Join(dir, "00-broken.conf"), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Status(); err != nil {
		t.Fatalf("Status with a broken file before the good one: %v", err)
	}

	// The good one goes: not ready, saying what is wrong with the rest.
	if err := os.Remove(good); err != nil {
		t.Fatal(err)
	}
	notReady("no valid network config found in " + dir)
	notReady("00-broken.conf")

	// A config whose plugin is not installed is not a network.
	missing := `{"cniVersion":"1.0.0","name":"x","plugins":[{"type":"no-such-plugin"}]}`
	if err := os.WriteFile(filepath.Join(dir, "20-missing.conflist"), []byte(missing), 0o644); err != nil {
		t.Fatal(err)
	}
	notReady("no-such-plugin")

	// A single plugin .conf is a network too.
	single := `{"cniVersion":"1.0.0","name":"single","type":"loopback"}`
	if err := os.WriteFile(filepath.Join(dir, "30-single.conf"), []byte(single), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := m.Status(); err != nil {
		t.Fatalf("Status with a .conf: %v", err)
	}

	// Everything removed, the dir too: not ready again.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	notReady("no network config found in " + dir)
}

func TestDefaultNetworkByName(t *testing.T) {
	dir := t.TempDir()
	for name, data := range map[string]string{
		"10-a.conflist": `{"cniVersion":"1.0.0","name":"a","plugins":[{"type":"loopback"}]}`,
		"20-b.conflist": `{"cniVersion":"1.0.0","name":"b","plugins":[{"type":"loopback"}]}`,
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	m := managerFor(t, dir, "")
	if list, err := m.network(t.Context()); err != nil || list.Name != "a" {
		t.Fatalf("first network: %v, %v; want a", list, err)
	}
	m.opts.DefaultNetwork = "b"
	m.loaded = false
	if list, err := m.network(t.Context()); err != nil || list.Name != "b" {
		t.Fatalf("network b: %v, %v", list, err)
	}
	m.opts.DefaultNetwork = "c"
	m.loaded = false
	if err := m.Status(); err == nil || !strings.Contains(err.Error(), `network "c" not found in `+dir) {
		t.Fatalf("Status with a missing default network: %v", err)
	}
}

func TestDefaultConflist(t *testing.T) {
	data := DefaultConflist("", "")
	list, err := libcni.ConfListFromBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	if list.Name != DefaultNetworkName || list.CNIVersion != "1.0.0" {
		t.Fatalf("name %q version %q", list.Name, list.CNIVersion)
	}
	var types []string
	for _, p := range list.Plugins {
		types = append(types, p.Network.Type)
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p.Network.Type)); err != nil {
			t.Errorf("plugin %s is not in Debian's containernetworking-plugins: %v", p.Network.Type, err)
		}
	}
	if strings.Join(types, ",") != "bridge,portmap,firewall" {
		t.Fatalf("plugins %v", types)
	}
	var bridge struct {
		Bridge      string `json:"bridge"`
		IsGateway   bool   `json:"isGateway"`
		IPMasq      bool   `json:"ipMasq"`
		HairpinMode bool   `json:"hairpinMode"`
		IPAM        struct {
			Type   string `json:"type"`
			Ranges [][]struct {
				Subnet string `json:"subnet"`
			} `json:"ranges"`
			Routes []struct {
				Dst string `json:"dst"`
			} `json:"routes"`
		} `json:"ipam"`
	}
	if err := json.Unmarshal(list.Plugins[0].Bytes, &bridge); err != nil {
		t.Fatal(err)
	}
	if bridge.Bridge != "ocid0" || !bridge.IsGateway || !bridge.IPMasq || !bridge.HairpinMode ||
		bridge.IPAM.Type != "host-local" || bridge.IPAM.Ranges[0][0].Subnet != "10.88.0.0/16" ||
		bridge.IPAM.Routes[0].Dst != "0.0.0.0/0" {
		t.Fatalf("bridge plugin: %s", list.Plugins[0].Bytes)
	}
	if !list.Plugins[1].Network.Capabilities["portMappings"] {
		t.Fatalf("portmap without the portMappings capability: %s", list.Plugins[1].Bytes)
	}
	if got := DefaultConflist("net", "10.1.0.0/24"); !strings.Contains(string(got), `"10.1.0.0/24"`) || !strings.Contains(string(got), `"name": "net"`) {
		t.Fatalf("DefaultConflist(net, 10.1.0.0/24):\n%s", got)
	}
}

func TestInstallDefaultConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	installed, err := InstallDefaultConfig(dir)
	if err != nil || !installed {
		t.Fatalf("InstallDefaultConfig in an empty dir: %v, %v", installed, err)
	}
	file := filepath.Join(dir, DefaultConfigFile)
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Fatalf("mode %v, want 0644", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(file)
	if string(data) != string(DefaultConflist(DefaultNetworkName, DefaultSubnet)) {
		t.Fatalf("installed:\n%s", data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("dir holds %d files, want 1 (no temp file left)", len(entries))
	}
	// The plugins it names are installed: the default network is ready.
	if err := managerFor(t, dir, "").Status(); err != nil {
		t.Fatalf("Status with the default config: %v", err)
	}

	if installed, err := InstallDefaultConfig(dir); err != nil || installed {
		t.Fatalf("second InstallDefaultConfig: %v, %v; want nothing done", installed, err)
	}
	other := t.TempDir()
	if err := os.WriteFile(filepath.Join(other, "99-mine.conf"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if installed, err := InstallDefaultConfig(other); err != nil || installed {
		t.Fatalf("InstallDefaultConfig over an existing config: %v, %v", installed, err)
	}
	if _, err := os.Stat(filepath.Join(other, DefaultConfigFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("default config written beside an existing one: %v", err)
	}
}

func TestSplitRule(t *testing.T) {
	r, err := splitRule(`-A POSTROUTING -s 10.88.0.2/32 -m comment --comment "name: \"ocid\" id: \"ab\\c\"" -j CNI-0123`)
	if err != nil {
		t.Fatal(err)
	}
	if r.chain() != "POSTROUTING" || r.opt("--comment") != `name: "ocid" id: "ab\c"` || r.opt("-j") != "CNI-0123" {
		t.Fatalf("%q", r)
	}
	if got := strings.Join(r.deleteArgs("nat"), "|"); got != `-t|nat|-D|POSTROUTING|-s|10.88.0.2/32|-m|comment|--comment|name: "ocid" id: "ab\c"|-j|CNI-0123` {
		t.Fatalf("deleteArgs: %s", got)
	}
	if _, err := splitRule(`-A X --comment "open`); err == nil {
		t.Fatal("unbalanced quote accepted")
	}
}
