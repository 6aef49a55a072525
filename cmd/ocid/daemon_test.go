package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/fixtures"
)

// daemonEnv runs `ocid daemon` on private dirs with a private network.
type daemonEnv struct {
	*ctrEnv
	socket string
	cmd    *exec.Cmd
	rs     runtimeapi.RuntimeServiceClient
	is     runtimeapi.ImageServiceClient
	conn   *grpc.ClientConn
	extra  []string
}

func newDaemonEnv(t *testing.T) *daemonEnv {
	fixtures.RequireTool(t, "bridge")
	e := &daemonEnv{ctrEnv: newCtrEnv(t)}
	e.socket = filepath.Join(e.dir, "run", "ocid.sock")
	cni := filepath.Join(e.dir, "cni")
	os.MkdirAll(cni, 0o755)
	sub := fmt.Sprintf("10.%d.%d.0/24", 100+time.Now().UnixNano()%100, time.Now().UnixNano()%250)
	bridge := fmt.Sprintf("ocidt%d", time.Now().UnixNano()%100000)
	os.WriteFile(filepath.Join(cni, "10-test.conflist"), []byte(fmt.Sprintf(`{"cniVersion":"1.0.0","name":"ocid-test","plugins":[
{"type":"bridge","bridge":%q,"isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":%q}]],"dataDir":%q}},
{"type":"portmap","capabilities":{"portMappings":true}}]}`, bridge, sub, filepath.Join(e.dir, "ipam"))), 0o644)
	e.extra = []string{"--cni-conf-dir", cni}
	t.Cleanup(func() {
		e.stopDaemon()
		exec.Command("ip", "link", "del", bridge).Run()
	})
	e.startDaemon()
	return e
}

func (e *daemonEnv) startDaemon() {
	e.t.Helper()
	args := append([]string{"--config", e.conf, "--insecure-policy", "--log-level", "debug", "daemon", "--socket", e.socket}, e.extra...)
	e.cmd = exec.Command(ocidBin, args...)
	logf, _ := os.OpenFile(filepath.Join(e.dir, "daemon.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	e.cmd.Stdout, e.cmd.Stderr = logf, logf
	if err := e.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	conn, err := grpc.NewClient("unix://"+e.socket, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", e.socket)
		}))
	if err != nil {
		e.t.Fatal(err)
	}
	e.conn, e.rs, e.is = conn, runtimeapi.NewRuntimeServiceClient(conn), runtimeapi.NewImageServiceClient(conn)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := e.rs.Version(ctx, &runtimeapi.VersionRequest{})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) || e.cmd.ProcessState != nil {
			raw, _ := os.ReadFile(filepath.Join(e.dir, "daemon.log"))
			e.t.Fatalf("daemon did not come up: %v\n%s", err, raw)
		}
		time.Sleep(50 * time.Millisecond) // polling for readiness, with a deadline
	}
}

func (e *daemonEnv) killDaemon() {
	e.cmd.Process.Signal(syscall.SIGKILL)
	e.cmd.Wait()
	e.conn.Close()
}

func (e *daemonEnv) stopDaemon() {
	if e.cmd == nil || e.cmd.ProcessState != nil {
		return
	}
	// Remove everything through the daemon, then stop it.
	ctx := context.Background()
	if pods, err := e.rs.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{}); err == nil {
		for _, p := range pods.Items {
			e.rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: p.Id})
			e.rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: p.Id})
		}
	}
	e.cmd.Process.Signal(syscall.SIGTERM)
	e.cmd.Wait()
	e.conn.Close()
}

func podConfig(name string) *runtimeapi.PodSandboxConfig {
	return &runtimeapi.PodSandboxConfig{
		Metadata: &runtimeapi.PodSandboxMetadata{Name: name, Namespace: "test", Uid: "uid-" + name},
		Hostname: name, LogDirectory: "",
		Linux: &runtimeapi.LinuxPodSandboxConfig{SecurityContext: &runtimeapi.LinuxSandboxSecurityContext{NamespaceOptions: &runtimeapi.NamespaceOption{}}},
	}
}

func (e *daemonEnv) runPod(name string) string {
	e.t.Helper()
	r, err := e.rs.RunPodSandbox(context.Background(), &runtimeapi.RunPodSandboxRequest{Config: podConfig(name)})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.PodSandboxId
}

// busyboxContainer is a container config of the test image.
func busyboxContainer(name string, cmd ...string) *runtimeapi.ContainerConfig {
	return &runtimeapi.ContainerConfig{Metadata: &runtimeapi.ContainerMetadata{Name: name}, Image: &runtimeapi.ImageSpec{Image: "busybox:test"}, Command: cmd}
}

// createContainer creates a container in a pod made with podCfg.
func (e *daemonEnv) createContainer(pod string, podCfg *runtimeapi.PodSandboxConfig, cfg *runtimeapi.ContainerConfig) string {
	e.t.Helper()
	r, err := e.rs.CreateContainer(context.Background(), &runtimeapi.CreateContainerRequest{PodSandboxId: pod, SandboxConfig: podCfg, Config: cfg})
	if err != nil {
		e.t.Fatal(err)
	}
	return r.ContainerId
}

// startContainer creates and starts a container in a pod made with podCfg.
func (e *daemonEnv) startContainer(pod string, podCfg *runtimeapi.PodSandboxConfig, cfg *runtimeapi.ContainerConfig) string {
	e.t.Helper()
	id := e.createContainer(pod, podCfg, cfg)
	if _, err := e.rs.StartContainer(context.Background(), &runtimeapi.StartContainerRequest{ContainerId: id}); err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *daemonEnv) runContainer(pod, name string, cmd ...string) string {
	e.t.Helper()
	return e.startContainer(pod, podConfig(name), busyboxContainer(name, cmd...))
}

// removePodAndStop stops and removes a pod through the daemon, stops the
// daemon and checks that nothing is left.
func (e *daemonEnv) removePodAndStop(pod string) {
	e.t.Helper()
	ctx := context.Background()
	if _, err := e.rs.StopPodSandbox(ctx, &runtimeapi.StopPodSandboxRequest{PodSandboxId: pod}); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.rs.RemovePodSandbox(ctx, &runtimeapi.RemovePodSandboxRequest{PodSandboxId: pod}); err != nil {
		e.t.Fatal(err)
	}
	e.stopDaemon()
	e.assertNothingLeft()
}

// TestDaemonSurvivesKill: a pod and its container keep running when the
// daemon is killed with SIGKILL; the next daemon serves them (status,
// exec, stop, remove).
func TestDaemonSurvivesKill(t *testing.T) {
	e := newDaemonEnv(t)
	ctx := context.Background()
	pod := e.runPod("survivor")
	ctr := e.runContainer(pod, "sleeper", "sleep", "1000")
	e.killDaemon()
	e.startDaemon()
	st, err := e.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: ctr})
	if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_RUNNING {
		t.Fatalf("after restart: %v %v", st, err)
	}
	ps, err := e.rs.PodSandboxStatus(ctx, &runtimeapi.PodSandboxStatusRequest{PodSandboxId: pod})
	if err != nil || ps.Status.State != runtimeapi.PodSandboxState_SANDBOX_READY || ps.Status.Network.GetIp() == "" {
		t.Fatalf("pod after restart: %v %v", ps, err)
	}
	ex, err := e.rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: ctr, Cmd: []string{"hostname"}, Timeout: 10})
	if err != nil || strings.TrimSpace(string(ex.Stdout)) != "survivor" {
		t.Fatalf("exec after restart: %q %v", ex.GetStdout(), err)
	}
	e.removePodAndStop(pod)
}

// A container created but not started when the daemon is killed is
// still CREATED for the next daemon (its monitor waits), which starts it;
// one whose start fails is EXITED with StartError and runc's reason.
func TestCreatedContainerSurvivesKill(t *testing.T) {
	e := newDaemonEnv(t)
	ctx := context.Background()
	pod := e.runPod("created")
	good := e.createContainer(pod, podConfig("created"), busyboxContainer("good", "sleep", "1000"))
	bad := e.createContainer(pod, podConfig("created"), busyboxContainer("bad", "/no/such/program"))
	e.killDaemon()
	e.startDaemon()
	for _, id := range []string{good, bad} {
		st, err := e.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: id})
		if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_CREATED {
			t.Fatalf("after restart, before start: %v %v", st, err)
		}
	}
	if _, err := e.rs.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: good}); err != nil {
		t.Fatal(err)
	}
	ex, err := e.rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: good, Cmd: []string{"hostname"}, Timeout: 10})
	if err != nil || strings.TrimSpace(string(ex.Stdout)) != "created" {
		t.Fatalf("exec in the container started by the new daemon: %q %v", ex.GetStdout(), err)
	}
	if _, err := e.rs.StartContainer(ctx, &runtimeapi.StartContainerRequest{ContainerId: bad}); err == nil || !strings.Contains(err.Error(), "/no/such/program") {
		t.Fatalf("starting a container whose program is missing: %v", err)
	}
	st, err := e.rs.ContainerStatus(ctx, &runtimeapi.ContainerStatusRequest{ContainerId: bad})
	if err != nil || st.Status.State != runtimeapi.ContainerState_CONTAINER_EXITED || st.Status.Reason != "StartError" ||
		st.Status.ExitCode != 128 || !strings.Contains(st.Status.Message, "/no/such/program") {
		t.Fatalf("status after a failed start: %v %v", st, err)
	}
	e.removePodAndStop(pod)
}

// TestHalfMadePodIsCleanedUp: a daemon killed in the middle of creating
// a pod leaves nothing once the next one has started.
func TestHalfMadePodIsCleanedUp(t *testing.T) {
	e := newDaemonEnv(t)
	e.stopDaemon()
	os.Setenv("OCID_CRASH_AT", "cri.pod-network")
	e.startDaemon()
	os.Unsetenv("OCID_CRASH_AT")
	e.rs.RunPodSandbox(context.Background(), &runtimeapi.RunPodSandboxRequest{Config: podConfig("halfmade")})
	e.cmd.Wait()
	e.conn.Close()
	e.startDaemon()
	pods, err := e.rs.ListPodSandbox(context.Background(), &runtimeapi.ListPodSandboxRequest{})
	if err != nil || len(pods.Items) != 0 {
		t.Fatalf("half-made pod still listed: %v %v", pods, err)
	}
	e.stopDaemon()
	e.assertNothingLeft()
}

// TestConcurrentRetriesGetTheSameResult: the kubelet retries a slow
// RunPodSandbox or CreateContainer; every retry gets the same ID.
func TestConcurrentRetriesGetTheSameResult(t *testing.T) {
	e := newDaemonEnv(t)
	ctx := context.Background()
	ids := make([]string, 4)
	var wg sync.WaitGroup
	for i := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: podConfig("retried")})
			if err == nil {
				ids[i] = r.PodSandboxId
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if id == "" || id != ids[0] {
			t.Fatalf("retried RunPodSandbox gave %v", ids)
		}
	}
	cids := make([]string, 4)
	for i := range cids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := e.rs.CreateContainer(ctx, &runtimeapi.CreateContainerRequest{
				PodSandboxId: ids[0], SandboxConfig: podConfig("retried"),
				Config: busyboxContainer("c", "true"),
			})
			if err == nil {
				cids[i] = r.ContainerId
			}
		}()
	}
	wg.Wait()
	for _, id := range cids {
		if id == "" || id != cids[0] {
			t.Fatalf("retried CreateContainer gave %v", cids)
		}
	}
}

func TestDaemonMetrics(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	e := &daemonEnv{ctrEnv: newCtrEnv(t)}
	e.socket = filepath.Join(e.dir, "run", "ocid.sock")
	e.extra = []string{"--cni-conf-dir", filepath.Join(e.dir, "cni"), "--metrics-address", addr}
	t.Cleanup(e.stopDaemon)
	e.startDaemon()
	if _, err := e.is.ListImages(context.Background(), &runtimeapi.ListImagesRequest{}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `ocid_cri_operation_duration_seconds_count{code="OK",method="/runtime.v1.ImageService/ListImages"} 1`
	if !strings.Contains(string(body), want) {
		t.Fatalf("metrics lack %s:\n%s", want, body)
	}
}

// TestPauseIsConfined: the pod's pause process (PID 1 of its PID
// namespace, seen from a container) has no capabilities and cannot gain
// any; its seccomp filter is the pod's: none, or the runtime default.
func TestPauseIsConfined(t *testing.T) {
	e := newDaemonEnv(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		seccomp *runtimeapi.SecurityProfile
		mode    string
	}{
		{"nofilter", nil, "0"},
		{"default", &runtimeapi.SecurityProfile{ProfileType: runtimeapi.SecurityProfile_RuntimeDefault}, "2"},
	} {
		cfg := podConfig("pause-" + tc.name)
		cfg.Linux.SecurityContext.Seccomp = tc.seccomp
		r, err := e.rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
		if err != nil {
			t.Fatal(err)
		}
		probe := busyboxContainer("probe", "sleep", "60")
		probe.Linux = &runtimeapi.LinuxContainerConfig{SecurityContext: &runtimeapi.LinuxContainerSecurityContext{
			NamespaceOptions: &runtimeapi.NamespaceOption{Pid: runtimeapi.NamespaceMode_POD}}}
		ctr := e.startContainer(r.PodSandboxId, cfg, probe)
		ex, err := e.rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: ctr, Cmd: []string{"cat", "/proc/1/status"}, Timeout: 10})
		if err != nil || ex.ExitCode != 0 {
			t.Fatalf("%s: reading pause's status: %v %v %s", tc.name, err, ex.GetExitCode(), ex.GetStderr())
		}
		fields := map[string]string{}
		for _, line := range strings.Split(string(ex.Stdout), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok {
				fields[k] = strings.TrimSpace(v)
			}
		}
		want := map[string]string{"Name": "pause", "CapEff": "0000000000000000", "CapPrm": "0000000000000000",
			"CapBnd": "0000000000000000", "NoNewPrivs": "1", "Seccomp": tc.mode}
		for k, v := range want {
			if fields[k] != v {
				t.Errorf("%s: pause's %s is %q, want %q", tc.name, k, fields[k], v)
			}
		}
	}
}

// An image volume of a pod in a user namespace is ID-mapped like the pod's
// root: the image's root-owned files are the pod root's, not nobody's.
func TestUserNamespacedPodImageVolume(t *testing.T) {
	e := newDaemonEnv(t)
	// The pod's root must traverse to its own directories, as it can
	// under /run and /var/lib (t.TempDir makes 0700 directories).
	for d := e.dir; d != "/tmp" && d != "/"; d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	ids := []*runtimeapi.IDMapping{{ContainerId: 0, HostId: 200000, Length: 65536}}
	cfg := podConfig("userns-vol")
	cfg.Linux.SecurityContext.NamespaceOptions.UsernsOptions = &runtimeapi.UserNamespace{Mode: runtimeapi.NamespaceMode_POD, Uids: ids, Gids: ids}
	r, err := e.rs.RunPodSandbox(ctx, &runtimeapi.RunPodSandboxRequest{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	withVol := busyboxContainer("c", "sleep", "60")
	withVol.Mounts = []*runtimeapi.Mount{{ContainerPath: "/vol", Image: &runtimeapi.ImageSpec{Image: "busybox:test"}, Readonly: true}}
	ctr := e.startContainer(r.PodSandboxId, cfg, withVol)
	ex, err := e.rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: ctr, Timeout: 10,
		Cmd: []string{"stat", "-c", "%u:%g", "/bin/busybox", "/vol/bin/busybox"}})
	if err != nil || ex.ExitCode != 0 {
		t.Fatalf("stat in the container: %v %v %s", err, ex.GetExitCode(), ex.GetStderr())
	}
	if got := strings.Fields(string(ex.Stdout)); len(got) != 2 || got[0] != "0:0" || got[1] != "0:0" {
		t.Fatalf("owners of the root's and the image volume's busybox: %q, want 0:0 for both", got)
	}
	ex, err = e.rs.ExecSync(ctx, &runtimeapi.ExecSyncRequest{ContainerId: ctr, Timeout: 10,
		Cmd: []string{"cat", "/proc/self/uid_map"}})
	if err != nil || !strings.Contains(string(ex.GetStdout()), "200000") {
		t.Fatalf("the container is not in the pod's user namespace: %v %q", err, ex.GetStdout())
	}
}
