package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestPodsReachEachOther(t *testing.T) {
	m := testManager(t, "")
	podA, nsA := testPod(t, m)
	podB, nsB := testPod(t, m)
	resA := setUp(t, m, podA)
	resB := setUp(t, m, podB)
	if resA.IPs[0].Equal(resB.IPs[0]) {
		t.Fatalf("both pods got %s", resA.IPs[0])
	}
	if resA.Network != run.bridge {
		t.Fatalf("network %q, want %q", resA.Network, run.bridge)
	}
	gw := gateway(t, resA)
	if !run.subnet.Contains(gw) || gw.Equal(resA.IPs[0]) {
		t.Fatalf("gateway %s", gw)
	}
	var podSide bool
	for _, i := range resA.Interfaces {
		podSide = podSide || (i.Name == "eth0" && i.Sandbox == nsA.Path() && i.MAC != "")
	}
	if !podSide {
		t.Fatalf("no eth0 in the pod namespace in %+v", resA.Interfaces)
	}
	hostVeth(t, resA)

	// What a restarted daemon would report.
	cached, err := m.CachedResult(podA.ID)
	if err != nil || !cached.IPs[0].Equal(resA.IPs[0]) {
		t.Fatalf("CachedResult: %+v, %v", cached, err)
	}

	// Inside the pod: eth0 has the address, lo is up.
	if err := nsA.Do(func() error {
		lo, err := net.InterfaceByName("lo")
		if err != nil || lo.Flags&net.FlagUp == 0 {
			return fmt.Errorf("lo: %+v, %v", lo, err)
		}
		eth0, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		addrs, err := eth0.Addrs()
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if a.(*net.IPNet).IP.Equal(resA.IPs[0]) {
				return nil
			}
		}
		return fmt.Errorf("eth0 addresses %v lack %s", addrs, resA.IPs[0])
	}); err != nil {
		t.Fatal(err)
	}

	// A to B and B to A, over the bridge.
	portA := serve(t, nsA, 0, "from A")
	portB := serve(t, nsB, 0, "from B")
	for _, c := range []struct {
		from *NetNS
		to   net.IP
		port int
		want string
	}{{nsB, resA.IPs[0], portA, "from A"}, {nsA, resB.IPs[0], portB, "from B"}} {
		var got string
		if err := c.from.Do(func() error {
			var err error
			got, err = greeting(net.JoinHostPort(c.to.String(), strconv.Itoa(c.port)))
			return err
		}); err != nil || got != c.want {
			t.Fatalf("dial %s:%d from the other pod: %q, %v", c.to, c.port, got, err)
		}
	}
	// And the host reaches a pod directly.
	if got, err := greeting(net.JoinHostPort(resA.IPs[0].String(), strconv.Itoa(portA))); err != nil || got != "from A" {
		t.Fatalf("host to pod: %q, %v", got, err)
	}

	for _, p := range []struct {
		pod PodNetwork
		res *Result
	}{{podA, resA}, {podB, resB}} {
		if err := m.TearDown(context.Background(), p.pod); err != nil {
			t.Fatal(err)
		}
		assertTornDown(t, m, p.pod, p.res)
	}
}

func TestHostPort(t *testing.T) {
	m := testManager(t, "")
	hostPort := freePort(t)
	pod, ns := testPod(t, m, PortMapping{HostPort: int32(hostPort), ContainerPort: 8080, Protocol: "TCP"})
	res := setUp(t, m, pod)
	serve(t, ns, 8080, "hostport")

	// Through portmap's DNAT from the host's loopback (which needs
	// route_localnet on the bridge and masquerading, both portmap's), the
	// bridge's address and the node's address.
	for _, ip := range []net.IP{net.IPv4(127, 0, 0, 1), gateway(t, res), nodeIP(t)} {
		addr := net.JoinHostPort(ip.String(), strconv.Itoa(hostPort))
		if got, err := greeting(addr); err != nil || got != "hostport" {
			t.Errorf("hostPort at %s: %q, %v", addr, got, err)
		}
	}
	// Hairpin: the pod reaches itself through the node's hostPort.
	var got string
	gw := gateway(t, res)
	if err := ns.Do(func() error {
		var err error
		got, err = greeting(net.JoinHostPort(gw.String(), strconv.Itoa(hostPort)))
		return err
	}); err != nil || got != "hostport" {
		t.Errorf("hairpin through the hostPort: %q, %v", got, err)
	}

	if err := m.TearDown(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	assertTornDown(t, m, pod, res)
	if _, err := greeting(net.JoinHostPort("127.0.0.1", strconv.Itoa(hostPort))); err == nil {
		t.Fatalf("hostPort %d still answers after teardown", hostPort)
	}
}

func TestTearDownTwice(t *testing.T) {
	m := testManager(t, "")
	pod, _ := testPod(t, m, PortMapping{HostPort: int32(freePort(t)), ContainerPort: 80})
	res := setUp(t, m, pod)
	for i := range 2 {
		if err := m.TearDown(context.Background(), pod); err != nil {
			t.Fatalf("TearDown %d: %v", i+1, err)
		}
	}
	assertTornDown(t, m, pod, res)
	// A pod that never had a network.
	if err := m.TearDown(context.Background(), PodNetwork{ID: randomID()}); err != nil {
		t.Fatalf("TearDown of an unknown pod: %v", err)
	}
}

func TestTearDownAfterNetNSRemoved(t *testing.T) {
	m := testManager(t, "")
	pod, ns := testPod(t, m, PortMapping{HostPort: int32(freePort(t)), ContainerPort: 80})
	res := setUp(t, m, pod)
	if err := ns.Remove(); err != nil {
		t.Fatal(err)
	}
	// The path is gone; the plugins get no namespace, and what they
	// cannot clean without it (the masquerading rules) ocid removes.
	if err := m.TearDown(context.Background(), pod); err != nil {
		t.Fatal(err)
	}
	assertTornDown(t, m, pod, res)
	if err := m.TearDown(context.Background(), pod); err != nil {
		t.Fatalf("second TearDown: %v", err)
	}
	// An empty NetNS is the same.
	pod2, ns2 := testPod(t, m)
	res2 := setUp(t, m, pod2)
	ns2.Remove()
	pod2.NetNS = ""
	if err := m.TearDown(context.Background(), pod2); err != nil {
		t.Fatal(err)
	}
	assertTornDown(t, m, pod2, res2)
}

func TestTearDownByNewManager(t *testing.T) {
	cache := t.TempDir()
	old := testManager(t, cache)
	hostPort := freePort(t)
	pod, ns := testPod(t, old, PortMapping{HostPort: int32(hostPort), ContainerPort: 8080})
	res := setUp(t, old, pod)
	serve(t, ns, 8080, "restarted")

	// The new daemon has the same cache but its network config has
	// changed meanwhile: the pod still goes the way it came.
	confDir := t.TempDir()
	other := conflist("other", run.bridge+"x", "10.213.255.0/24", run.dataDir)
	if err := os.WriteFile(filepath.Join(confDir, "10-other.conflist"), other, 0o644); err != nil {
		t.Fatal(err)
	}
	m := managerFor(t, confDir, cache)
	cached, err := m.CachedResult(pod.ID)
	if err != nil || !cached.IPs[0].Equal(res.IPs[0]) || cached.Network != run.bridge {
		t.Fatalf("CachedResult in the new manager: %+v, %v", cached, err)
	}
	if got, err := greeting(net.JoinHostPort("127.0.0.1", strconv.Itoa(hostPort))); err != nil || got != "restarted" {
		t.Fatalf("hostPort before teardown: %q, %v", got, err)
	}
	// The new daemon knows only the pod's id: ports and namespace come
	// from the cache (the namespace still exists, so the veth goes with
	// the DEL, not with the namespace).
	if err := m.TearDown(context.Background(), PodNetwork{ID: pod.ID}); err != nil {
		t.Fatal(err)
	}
	assertTornDown(t, m, pod, res)
	if err := ns.Do(func() error {
		if _, err := net.InterfaceByName("eth0"); err == nil {
			return fmt.Errorf("eth0 still in the pod namespace")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/sys/class/net/" + run.bridge + "x"); err == nil {
		t.Fatalf("teardown used the new config: bridge %sx exists", run.bridge)
	}
}

func TestSetUpFailureUndone(t *testing.T) {
	// The last plugin fails: what bridge and host-local did must go.
	confDir := t.TempDir()
	bad := strings.Replace(string(testConflist()), `"type": "firewall"`,
		`"type": "tuning", "sysctl": {"net.ipv4.conf.eth0.no_such_sysctl": "1"}`, 1)
	if err := os.WriteFile(filepath.Join(confDir, "10-bad.conflist"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	m := managerFor(t, confDir, "")
	pod, ns := testPod(t, m, PortMapping{HostPort: int32(freePort(t)), ContainerPort: 80})
	_, err := m.SetUp(context.Background(), pod)
	if err == nil || !strings.Contains(err.Error(), "tuning") {
		t.Fatalf("SetUp with a failing plugin: %v", err)
	}
	if !errors.Is(err, errdefs.ErrUnavailable) {
		t.Fatalf("SetUp error %v does not wrap ErrUnavailable", err)
	}
	if err := ns.Do(func() error {
		if _, err := net.InterfaceByName("eth0"); err == nil {
			return fmt.Errorf("eth0 left in the pod")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	leases, _ := os.ReadDir(filepath.Join(run.dataDir, run.bridge))
	for _, l := range leases {
		if net.ParseIP(l.Name()) != nil {
			t.Fatalf("lease %s left", l.Name())
		}
	}
	if links, _ := os.ReadDir("/sys/class/net/" + run.bridge + "/brif"); len(links) != 0 {
		t.Fatalf("ports left on the bridge: %v", links)
	}
	assertNoRulesFor(t, pod.ID)
}

func TestSetUpArguments(t *testing.T) {
	m := testManager(t, "")
	if _, err := m.SetUp(context.Background(), PodNetwork{ID: randomID()}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("SetUp without a namespace: %v", err)
	}
	if _, err := m.SetUp(context.Background(), PodNetwork{ID: randomID(), NetNS: "/nonexistent"}); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("SetUp with a missing namespace: %v", err)
	}
	if err := m.TearDown(context.Background(), PodNetwork{}); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("TearDown without an id: %v", err)
	}
	empty := managerFor(t, t.TempDir(), "")
	pod, _ := testPod(t, empty)
	if _, err := empty.SetUp(context.Background(), pod); !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("SetUp without a network: %v", err)
	}
}

func TestRuntimeConf(t *testing.T) {
	p := PodNetwork{
		ID: "abc", Name: "web", Namespace: "prod", UID: "u-1", NetNS: "/x",
		PortMappings: []PortMapping{{HostPort: 80, ContainerPort: 8080, Protocol: "TCP"}, {ContainerPort: 9}, {HostPort: 53, ContainerPort: 53, Protocol: "UDP", HostIP: "127.0.0.1"}},
		Bandwidth:    &Bandwidth{IngressRate: 1000, EgressRate: 2000},
		Annotations:  map[string]string{"a": "b"},
	}
	rt := p.runtimeConf("/x")
	if got := fmt.Sprint(rt.Args); got != "[[IgnoreUnknown 1] [K8S_POD_NAMESPACE prod] [K8S_POD_NAME web] [K8S_POD_INFRA_CONTAINER_ID abc] [K8S_POD_UID u-1]]" {
		t.Fatalf("args %s", got)
	}
	if rt.ContainerID != "abc" || rt.NetNS != "/x" || rt.IfName != "eth0" {
		t.Fatalf("%+v", rt)
	}
	ports := rt.CapabilityArgs["portMappings"].([]portMapEntry)
	if len(ports) != 2 || ports[0].Protocol != "tcp" || ports[1].Protocol != "udp" || ports[1].HostIP != "127.0.0.1" {
		t.Fatalf("portMappings %+v", ports)
	}
	if rt.CapabilityArgs["bandwidth"].(bandwidthEntry).EgressRate != 2000 {
		t.Fatalf("bandwidth %+v", rt.CapabilityArgs["bandwidth"])
	}
	if rt.CapabilityArgs["io.kubernetes.cri.pod-annotations"].(map[string]string)["a"] != "b" {
		t.Fatalf("annotations %+v", rt.CapabilityArgs)
	}
}

func TestConcurrentPods(t *testing.T) {
	m := testManager(t, "")
	const n = 6
	pods := make([]PodNetwork, n)
	for i := range pods {
		pods[i], _ = testPod(t, m, PortMapping{HostPort: int32(freePort(t)), ContainerPort: 80})
	}
	type outcome struct {
		res *Result
		err error
	}
	results := make([]outcome, n)
	done := make(chan int)
	for i := range pods {
		go func() {
			r, err := m.SetUp(context.Background(), pods[i])
			results[i] = outcome{r, err}
			done <- i
		}()
	}
	seen := map[string]bool{}
	for range pods {
		<-done
	}
	for _, r := range results {
		if r.err != nil {
			t.Fatal(r.err)
		}
		ip := r.res.IPs[0].String()
		if seen[ip] {
			t.Fatalf("address %s given twice", ip)
		}
		seen[ip] = true
	}
	errs := make(chan error, n)
	for _, p := range pods {
		go func() { errs <- m.TearDown(context.Background(), p) }()
	}
	for range pods {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range pods {
		assertTornDown(t, m, p, results[i].res)
	}
}
