package cri

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/undo"
)

// writePodFiles writes the files a pod's containers get: hostname,
// resolv.conf (from the pod's DNS config, else the host's) and hosts.
func (s *Server) writePodFiles(p *sandbox, cfg *runtimeapi.PodSandboxConfig, dir string, u *undo.Stack) error {
	hostname := p.Hostname
	if p.hostNetwork() {
		if h, err := os.Hostname(); err == nil {
			hostname = h
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "hostname"), []byte(hostname+"\n"), 0o644); err != nil {
		return err
	}
	resolv, err := resolvConf(cfg.GetDnsConfig())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "resolv.conf"), resolv, 0o644); err != nil {
		return err
	}
	return writeHosts(dir, p)
}

// resolvConf renders a DNS config; without one the host's file is used.
func resolvConf(dns *runtimeapi.DNSConfig) ([]byte, error) {
	if dns == nil || len(dns.Servers)+len(dns.Searches)+len(dns.Options) == 0 {
		b, err := os.ReadFile("/etc/resolv.conf")
		if os.IsNotExist(err) {
			return nil, nil
		}
		return b, err
	}
	var b strings.Builder
	for _, srv := range dns.Servers {
		fmt.Fprintf(&b, "nameserver %s\n", srv)
	}
	if len(dns.Searches) > 0 {
		fmt.Fprintf(&b, "search %s\n", strings.Join(dns.Searches, " "))
	}
	if len(dns.Options) > 0 {
		fmt.Fprintf(&b, "options %s\n", strings.Join(dns.Options, " "))
	}
	return []byte(b.String()), nil
}

// writeHosts writes /etc/hosts with localhost and the pod's own name.
func writeHosts(dir string, p *sandbox) error {
	if p.hostNetwork() {
		b, err := os.ReadFile("/etc/hosts")
		if err != nil {
			b = []byte("127.0.0.1\tlocalhost\n")
		}
		return os.WriteFile(filepath.Join(dir, "hosts"), b, 0o644)
	}
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	for _, ip := range p.IPs {
		fmt.Fprintf(&b, "%s\t%s\n", ip, p.Hostname)
	}
	return os.WriteFile(filepath.Join(dir, "hosts"), []byte(b.String()), 0o644)
}
