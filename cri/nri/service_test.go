package nri

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/nri/pkg/api"
	"github.com/containerd/nri/pkg/stub"
)

// fakeRuntime is the CRI server's side: one pod with one container, and
// the updates plugins asked for.
type fakeRuntime struct {
	mu      sync.Mutex
	updates []*api.ContainerUpdate
	fail    bool
}

func (r *fakeRuntime) Snapshot(context.Context) ([]*api.PodSandbox, []*api.Container, error) {
	return []*api.PodSandbox{{Id: "pod1", Name: "p"}},
		[]*api.Container{{Id: "ctr1", PodSandboxId: "pod1", Name: "c", State: api.ContainerState_CONTAINER_RUNNING}}, nil
}

func (r *fakeRuntime) UpdateContainers(_ context.Context, u []*api.ContainerUpdate) ([]*api.ContainerUpdate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.updates = append(r.updates, u...)
	if r.fail {
		return u, nil
	}
	return nil, nil
}

// testPlugin adjusts every container and refuses to let "forbidden" start.
type testPlugin struct {
	synced chan []*api.Container
}

func (p *testPlugin) Synchronize(_ context.Context, _ []*api.PodSandbox, ctrs []*api.Container) ([]*api.ContainerUpdate, error) {
	p.synced <- ctrs
	return nil, nil
}

func (p *testPlugin) CreateContainer(_ context.Context, _ *api.PodSandbox, c *api.Container) (*api.ContainerAdjustment, []*api.ContainerUpdate, error) {
	adj := &api.ContainerAdjustment{}
	adj.AddEnv("FROM_PLUGIN", c.Name)
	adj.AddAnnotation("nri.test/seen", "yes")
	// And an update of the running container.
	u := &api.ContainerUpdate{}
	u.SetContainerId("ctr1")
	u.SetLinuxCPUShares(100)
	return adj, []*api.ContainerUpdate{u}, nil
}

func (p *testPlugin) StartContainer(_ context.Context, _ *api.PodSandbox, c *api.Container) error {
	if c.Name == "forbidden" {
		return errors.New("not on my node")
	}
	return nil
}

func startService(t *testing.T, rt Runtime) (*Service, string) {
	t.Helper()
	dir := t.TempDir()
	sock := filepath.Join(dir, "nri.sock")
	s, err := New(Config{SocketPath: sock, RegistrationTimeout: 5 * time.Second, RequestTimeout: 5 * time.Second}, "ocid-test", "0", rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s, sock
}

func TestServiceWithPlugin(t *testing.T) {
	rt := &fakeRuntime{}
	s, sock := startService(t, rt)
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v, %v: want mode 0600", fi, err)
	}
	if s.Active() {
		t.Fatal("active without plugins")
	}
	// A second runtime on the same socket is refused, and leaves the
	// first one's socket alone.
	other, err := New(Config{SocketPath: sock}, "other", "0", rt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Start(); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("second runtime on the socket: %v", err)
	}
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("socket gone after the refused start: %v", err)
	}

	p := &testPlugin{synced: make(chan []*api.Container, 1)}
	st, err := stub.New(p, stub.WithSocketPath(sock), stub.WithPluginName("test"), stub.WithPluginIdx("10"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); st.Stop() })
	if err := st.Start(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case ctrs := <-p.synced:
		if len(ctrs) != 1 || ctrs[0].Id != "ctr1" {
			t.Fatalf("plugin synchronized with %v", ctrs)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("plugin not synchronized")
	}
	// Registration completes after Synchronize returns.
	deadline := time.Now().Add(10 * time.Second)
	for !s.Active() {
		if time.Now().After(deadline) {
			t.Fatal("service not active with a registered plugin")
		}
		time.Sleep(10 * time.Millisecond)
	}

	pod := &api.PodSandbox{Id: "pod1", Name: "p"}
	adj, err := s.CreateContainer(ctx, pod, &api.Container{Id: "ctr2", PodSandboxId: "pod1", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	var env string
	for _, kv := range adj.GetEnv() {
		if kv.Key == "FROM_PLUGIN" {
			env = kv.Value
		}
	}
	if env != "web" || adj.GetAnnotations()["nri.test/seen"] != "yes" {
		t.Errorf("adjustment %v", adj)
	}
	rt.mu.Lock()
	got := rt.updates
	rt.mu.Unlock()
	if len(got) != 1 || got[0].ContainerId != "ctr1" || got[0].GetLinux().GetResources().GetCpu().GetShares().GetValue() != 100 {
		t.Errorf("updates applied: %v", got)
	}

	if err := s.StartContainer(ctx, pod, &api.Container{Id: "ctr3", PodSandboxId: "pod1", Name: "forbidden"}); err == nil ||
		!strings.Contains(err.Error(), "not on my node") {
		t.Errorf("start refused by the plugin: %v", err)
	}
	if err := s.StartContainer(ctx, pod, &api.Container{Id: "ctr2", PodSandboxId: "pod1", Name: "web"}); err != nil {
		t.Errorf("start: %v", err)
	}

	// A failed update of another container fails the event.
	rt.mu.Lock()
	rt.fail = true
	rt.mu.Unlock()
	if _, err := s.CreateContainer(ctx, pod, &api.Container{Id: "ctr4", PodSandboxId: "pod1", Name: "db"}); err == nil ||
		!strings.Contains(err.Error(), "ctr1") {
		t.Errorf("failed update: %v", err)
	}
}

// A nil service (NRI disabled) does nothing and refuses nothing.
func TestNilService(t *testing.T) {
	var s *Service
	ctx := context.Background()
	if s.Active() || s.Start() != nil || s.RunPodSandbox(ctx, nil) != nil || s.StartContainer(ctx, nil, nil) != nil {
		t.Error("nil service acted")
	}
	if adj, err := s.CreateContainer(ctx, nil, nil); adj != nil || err != nil {
		t.Error("nil service adjusted")
	}
	res := &api.LinuxResources{Unified: map[string]string{"a": "b"}}
	if got, err := s.UpdateContainer(ctx, nil, nil, res); got != res || err != nil {
		t.Error("nil service changed an update")
	}
	s.BlockSync()()
	s.Stop()
}
