package network

import (
	"fmt"
	"net"
	"strings"

	"github.com/containernetworking/cni/libcni"
	"github.com/containernetworking/cni/pkg/types"
	types100 "github.com/containernetworking/cni/pkg/types/100"
)

// podIfName is the pod's interface, as the kubelet and CRI-O name it.
const podIfName = "eth0"

// PodNetwork is what the CNI plugins learn about a pod sandbox.
type PodNetwork struct {
	ID        string // sandbox id: the CNI container id
	Name      string // pod name
	Namespace string // pod namespace
	UID       string // pod UID
	NetNS     string // path of the pod's network namespace
	// PortMappings are the pod's hostPorts (entries with HostPort 0 are not
	// exposed and are left out), for the portmap plugin.
	PortMappings []PortMapping
	// Bandwidth limits the pod's traffic when the network has the
	// bandwidth plugin (kubernetes.io/ingress-bandwidth and -egress-).
	Bandwidth *Bandwidth
	// Annotations are passed to plugins that ask for them
	// (io.kubernetes.cri.pod-annotations).
	Annotations map[string]string
}

// PortMapping exposes a pod port on the node.
type PortMapping struct {
	HostPort      int32
	ContainerPort int32
	Protocol      string // tcp (default), udp or sctp, any case
	HostIP        string // node address to listen on; empty for all
}

// Bandwidth is a pod's traffic shaping, in bits per second and bits.
type Bandwidth struct {
	IngressRate, IngressBurst uint64
	EgressRate, EgressBurst   uint64
}

// Result is what the network gave a pod.
type Result struct {
	Network    string      // name of the CNI network
	IPs        []net.IP    // the pod's addresses, IPv4 first
	IPConfigs  []IPConfig  // every address the plugins reported
	Interfaces []Interface // host and pod side interfaces
}

// IPConfig is one address with its interface and gateway.
type IPConfig struct {
	Interface string // interface name; empty when the plugin did not say
	Address   net.IPNet
	Gateway   net.IP
}

// Interface is a link a plugin made or used.
type Interface struct {
	Name    string
	MAC     string
	Sandbox string // the namespace path for pod side links, empty on the host
}

// portMapEntry is the portmap plugin's runtimeConfig.portMappings entry.
type portMapEntry struct {
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
	HostIP        string `json:"hostIP,omitempty"`
}

// bandwidthEntry is the bandwidth plugin's runtimeConfig.bandwidth.
type bandwidthEntry struct {
	IngressRate  uint64 `json:"ingressRate"`
	IngressBurst uint64 `json:"ingressBurst"`
	EgressRate   uint64 `json:"egressRate"`
	EgressBurst  uint64 `json:"egressBurst"`
}

// runtimeConf gives the plugins the arguments the kubelet's CNI code
// gives them, and the capability arguments (libcni passes each only to the
// plugins whose config asks for it).
func (p *PodNetwork) runtimeConf(netns string) *libcni.RuntimeConf {
	args := [][2]string{{"IgnoreUnknown", "1"}}
	for _, kv := range [][2]string{
		{"K8S_POD_NAMESPACE", p.Namespace},
		{"K8S_POD_NAME", p.Name},
		{"K8S_POD_INFRA_CONTAINER_ID", p.ID},
		{"K8S_POD_UID", p.UID},
	} {
		if kv[1] != "" {
			args = append(args, kv)
		}
	}
	caps := map[string]any{}
	var ports []portMapEntry
	for _, pm := range p.PortMappings {
		if pm.HostPort <= 0 {
			continue
		}
		proto := strings.ToLower(pm.Protocol)
		if proto == "" {
			proto = "tcp"
		}
		ports = append(ports, portMapEntry{
			HostPort:      int(pm.HostPort),
			ContainerPort: int(pm.ContainerPort),
			Protocol:      proto,
			HostIP:        pm.HostIP,
		})
	}
	if len(ports) > 0 {
		caps["portMappings"] = ports
	}
	if b := p.Bandwidth; b != nil {
		caps["bandwidth"] = bandwidthEntry{b.IngressRate, b.IngressBurst, b.EgressRate, b.EgressBurst}
	}
	if len(p.Annotations) > 0 {
		caps["io.kubernetes.cri.pod-annotations"] = p.Annotations
	}
	return &libcni.RuntimeConf{
		ContainerID:    p.ID,
		NetNS:          netns,
		IfName:         podIfName,
		Args:           args,
		CapabilityArgs: caps,
	}
}

// toResult converts a plugin result of any spec version.
func toResult(network string, r types.Result) (*Result, error) {
	res, err := types100.NewResultFromResult(r)
	if err != nil {
		return nil, fmt.Errorf("network %q: cni result: %w", network, err)
	}
	out := &Result{Network: network}
	for _, i := range res.Interfaces {
		out.Interfaces = append(out.Interfaces, Interface{Name: i.Name, MAC: i.Mac, Sandbox: i.Sandbox})
	}
	var v4, v6 []net.IP
	for _, ipc := range res.IPs {
		c := IPConfig{Address: ipc.Address, Gateway: ipc.Gateway}
		// An address counts as the pod's unless the plugin put it on a
		// host side interface.
		inPod := true
		if ipc.Interface != nil && *ipc.Interface >= 0 && *ipc.Interface < len(res.Interfaces) {
			iface := res.Interfaces[*ipc.Interface]
			c.Interface = iface.Name
			inPod = iface.Sandbox != ""
		}
		out.IPConfigs = append(out.IPConfigs, c)
		if !inPod {
			continue
		}
		if ip4 := ipc.Address.IP.To4(); ip4 != nil {
			v4 = append(v4, ip4)
		} else {
			v6 = append(v6, ipc.Address.IP)
		}
	}
	out.IPs = append(v4, v6...)
	return out, nil
}
