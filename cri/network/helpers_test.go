package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// testConflist is the default network on this run's bridge and subnet,
// with leases in this run's IPAM dir.
func testConflist() []byte {
	return conflist(run.bridge, run.bridge, run.subnet.String(), run.dataDir)
}

// testManager makes a Manager over a private conf dir holding the test
// network, and a private cache unless cacheDir is given.
func testManager(t *testing.T, cacheDir string) *Manager {
	t.Helper()
	confDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(confDir, "10-test.conflist"), testConflist(), 0o644); err != nil {
		t.Fatal(err)
	}
	return managerFor(t, confDir, cacheDir)
}

func managerFor(t *testing.T, confDir, cacheDir string) *Manager {
	t.Helper()
	if cacheDir == "" {
		cacheDir = t.TempDir()
	}
	m, err := NewManager(Options{ConfDir: confDir, BinDirs: []string{"/usr/lib/cni"}, CacheDir: cacheDir})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// netnsDir is where a test pins namespaces: named after the run, so a
// killed run's pins are found by the next.
func netnsDir(t *testing.T) string {
	return filepath.Join(t.TempDir(), run.bridge+"-netns")
}

// testNetNS makes a namespace removed at the end of the test.
func testNetNS(t *testing.T) *NetNS {
	t.Helper()
	ns, err := NewNetNS(netnsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := ns.Remove(); err != nil {
			t.Error(err)
		}
	})
	return ns
}

// testPod makes a namespace and a pod description for it; the pod is torn
// down at the end of the test in case the test did not get that far.
func testPod(t *testing.T, m *Manager, ports ...PortMapping) (PodNetwork, *NetNS) {
	t.Helper()
	ns := testNetNS(t)
	pod := PodNetwork{
		ID:           randomID(),
		Name:         "pod-" + randomID()[:6],
		Namespace:    "default",
		UID:          randomID()[:32],
		NetNS:        ns.Path(),
		PortMappings: ports,
		Annotations:  map[string]string{"test": t.Name()},
	}
	t.Cleanup(func() {
		if err := m.TearDown(context.Background(), pod); err != nil {
			t.Error(err)
		}
	})
	return pod, ns
}

func setUp(t *testing.T, m *Manager, pod PodNetwork) *Result {
	t.Helper()
	res, err := m.SetUp(context.Background(), pod)
	if err != nil {
		t.Fatalf("SetUp: %v", err)
	}
	if len(res.IPs) != 1 || res.IPs[0].To4() == nil || !run.subnet.Contains(res.IPs[0]) {
		t.Fatalf("pod IPs %v, want one IPv4 address in %s", res.IPs, run.subnet)
	}
	return res
}

// hostVeth is the host end of the pod's veth, from the result.
func hostVeth(t *testing.T, res *Result) string {
	t.Helper()
	for _, i := range res.Interfaces {
		if i.Sandbox == "" && i.Name != run.bridge {
			return i.Name
		}
	}
	t.Fatalf("no host side veth in %+v", res.Interfaces)
	return ""
}

// gateway is the pod's gateway, the bridge's address.
func gateway(t *testing.T, res *Result) net.IP {
	t.Helper()
	for _, c := range res.IPConfigs {
		if c.Gateway != nil {
			return c.Gateway
		}
	}
	t.Fatalf("no gateway in %+v", res.IPConfigs)
	return nil
}

// assertTornDown checks that nothing of the pod is left: no iptables rule
// naming it or its address, no lease, no veth, no cache entry.
func assertTornDown(t *testing.T, m *Manager, pod PodNetwork, res *Result) {
	t.Helper()
	ip := res.IPs[0].String()
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(tool).Output()
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(line, pod.ID) || strings.Contains(line, " "+ip+"/") || strings.Contains(line, ip+":") {
				t.Errorf("%s still has a rule for pod %s (%s): %s", tool, pod.ID[:12], ip, line)
			}
		}
	}
	leases, _ := os.ReadDir(filepath.Join(run.dataDir, run.bridge))
	for _, l := range leases {
		if l.Name() == ip {
			t.Errorf("address %s still leased", ip)
		}
	}
	veth := hostVeth(t, res)
	waitFor(t, "veth "+veth+" removed", func() error {
		if _, err := os.Stat("/sys/class/net/" + veth); err == nil {
			return fmt.Errorf("still there")
		}
		return nil
	})
	if _, err := m.CachedResult(pod.ID); !errors.Is(err, errdefs.ErrNotFound) {
		t.Errorf("CachedResult after teardown: %v, want not found", err)
	}
}

// serve listens on port inside the namespace and answers every connection
// with its greeting, until the test ends. The socket stays in the
// namespace it was made in; accepting happens outside Do.
func serve(t *testing.T, ns *NetNS, port int, greeting string) int {
	t.Helper()
	var l net.Listener
	if err := ns.Do(func() error {
		var err error
		l, err = net.Listen("tcp4", fmt.Sprintf(":%d", port))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			io.WriteString(c, greeting)
			c.Close()
		}
	}()
	return l.Addr().(*net.TCPAddr).Port
}

// greeting connects to addr (from the calling thread's namespace) and
// reads what the server says.
func greeting(addr string) (string, error) {
	c, err := net.DialTimeout("tcp4", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c)
	return string(b), err
}

// freePort is a TCP port nothing on the host listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp4", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nodeIP is an IPv4 address of the host outside the test subnet, like the
// address a node is reached at.
func nodeIP(t *testing.T) net.IP {
	t.Helper()
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 || strings.HasPrefix(i.Name, testPrefix) || strings.HasPrefix(i.Name, "veth") {
			continue
		}
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil && !ipn.IP.IsLinkLocalUnicast() {
				return ipn.IP
			}
		}
	}
	t.Fatal("the host has no IPv4 address besides loopback")
	return nil
}

// assertNoRulesFor checks no iptables rule names the pod.
func assertNoRulesFor(t *testing.T, id string) {
	t.Helper()
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(tool).Output()
		if err != nil {
			t.Fatalf("%s: %v", tool, err)
		}
		if strings.Contains(string(out), id) {
			t.Errorf("%s mentions pod %s:\n%s", tool, id[:12], out)
		}
	}
}
