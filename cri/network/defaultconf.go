package network

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

const (
	// DefaultNetworkName names the network InstallDefaultConfig writes.
	DefaultNetworkName = "ocid"
	// DefaultSubnet is the pod subnet of the default network, the one
	// podman and CRI-O use too (a node runs one of them at a time).
	DefaultSubnet = "10.88.0.0/16"
	// DefaultBridge is the default network's bridge.
	DefaultBridge = "ocid0"
	// DefaultConfigFile is the file InstallDefaultConfig writes in the
	// configuration directory.
	DefaultConfigFile = "10-ocid-bridge.conflist"

	// cniVersion is the newest spec Debian 12's plugins (v1.1.1) speak.
	cniVersion = "1.0.0"
)

// DefaultConflist is the network ocid installs when a node has none: pods
// on a bridge (ocid0) with the host as their gateway and masquerading for
// them, addresses from host-local in subnet (DefaultSubnet when empty),
// hostPorts by portmap (from the host's 127.0.0.1 and node addresses too),
// and the firewall plugin, which lets pod traffic through a FORWARD chain
// whose policy is DROP (as on a host that runs Docker).
//
// There is no loopback plugin in the list: ocid brings lo up itself in
// every pod namespace, whatever the configuration says.
func DefaultConflist(name, subnet string) []byte {
	if name == "" {
		name = DefaultNetworkName
	}
	if subnet == "" {
		subnet = DefaultSubnet
	}
	return conflist(name, DefaultBridge, subnet, "")
}

// conflist builds the default list for any bridge; tests give it a bridge
// and an IPAM data dir of their own.
func conflist(name, bridge, subnet, ipamDataDir string) []byte {
	type obj = map[string]any
	ipam := obj{
		"type":   "host-local",
		"ranges": []any{[]any{obj{"subnet": subnet}}},
		"routes": []any{obj{"dst": "0.0.0.0/0"}},
	}
	if ipamDataDir != "" {
		ipam["dataDir"] = ipamDataDir
	}
	list := obj{
		"cniVersion": cniVersion,
		"name":       name,
		"plugins": []any{
			obj{
				"type":        "bridge",
				"bridge":      bridge,
				"isGateway":   true,
				"ipMasq":      true,
				"hairpinMode": true,
				"ipam":        ipam,
			},
			obj{
				"type":         "portmap",
				"capabilities": obj{"portMappings": true},
				"snat":         true,
			},
			obj{"type": "firewall"},
		},
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		panic(fmt.Sprintf("marshal default conflist: %v", err)) // maps of strings cannot fail
	}
	return append(b, '\n')
}

// InstallDefaultConfig writes DefaultConflist(DefaultNetworkName,
// DefaultSubnet) to confDir/DefaultConfigFile when confDir holds no network
// configuration, and says whether it did. A node whose administrator or
// cluster add-on installed a network keeps it.
func InstallDefaultConfig(confDir string) (bool, error) {
	files, err := confFiles(confDir)
	if err != nil {
		return false, err
	}
	if len(files) > 0 {
		return false, nil
	}
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		return false, fmt.Errorf("cni config dir: %w", err)
	}
	// Written beside its final name and renamed, so the Manager polling
	// the directory never loads half a file.
	tmp, err := os.CreateTemp(confDir, ".ocid-default-*.tmp")
	if err != nil {
		return false, fmt.Errorf("default cni config: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(DefaultConflist(DefaultNetworkName, DefaultSubnet)); err != nil {
		tmp.Close()
		return false, fmt.Errorf("write default cni config: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, fmt.Errorf("default cni config: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return false, fmt.Errorf("write default cni config: %w", err)
	}
	final := filepath.Join(confDir, DefaultConfigFile)
	// A link, not a rename: it fails rather than replace a file of the
	// same name that appeared meanwhile.
	if err := os.Link(tmp.Name(), final); err != nil {
		if errors.Is(err, os.ErrExist) {
			return false, nil
		}
		return false, fmt.Errorf("install default cni config: %w", err)
	}
	return true, nil
}
