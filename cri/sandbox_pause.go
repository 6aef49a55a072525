package cri

// A pod's set-up beside its namespaces: the network and the pause
// process, and the namespaces its containers join.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
)

// networkAndPause sets up the pod network (CNI ADD) and starts the pause
// process at the same time: both need only the pinned namespaces, and
// each waits tens of milliseconds on other programs (the CNI plugins; the
// monitor and runc). It sets p.IPs and p.PauseID; each side's undo is
// registered whether or not the other failed.
func (s *Server) networkAndPause(ctx context.Context, p *sandbox, u *undo.Stack) error {
	start := time.Now()
	var netUndo, pauseUndo undo.Stack
	var ips []string
	var netErr, pauseErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		if p.hostNetwork() {
			return
		}
		res, err := s.net.SetUp(ctx, s.podNetwork(p))
		s.log.Debug("pod network set up", "pod", p.ID, "took", time.Since(start))
		if err != nil {
			netErr = fmt.Errorf("setting up the pod network: %w", err)
			return
		}
		netUndo.Add(func() { s.net.TearDown(context.Background(), s.podNetwork(p)) })
		for _, ip := range res.IPs {
			ips = append(ips, ip.String())
		}
	}()
	var pauseID string
	if p.sharedPID() {
		pauseID, pauseErr = s.startPause(ctx, p, &pauseUndo)
		s.log.Debug("pod pause started", "pod", p.ID, "took", time.Since(start))
		if pauseErr != nil {
			pauseErr = fmt.Errorf("starting the pod's PID namespace holder: %w", pauseErr)
		}
	}
	<-done
	u.Add(netUndo.Run)
	u.Add(pauseUndo.Run)
	p.IPs, p.PauseID = ips, pauseID
	return errors.Join(netErr, pauseErr)
}

// startPause runs the pod's PID namespace holder: the pause binary
// (ocid-monitor, or ocid) bind-mounted read-only into an empty root, in
// the pod's other namespaces. The binary is the host's file, not a copy,
// so every pod shares its pages with each other and with the monitors.
func (s *Server) startPause(ctx context.Context, p *sandbox, u *undo.Stack) (id string, err error) {
	root, err := s.pauseRootfs()
	if err != nil {
		return "", err
	}
	// The pod's seccomp profile, as containerd and CRI-O give the
	// sandbox (none unless the pod names one: the kubelet sends
	// RuntimeDefault when the pod or the node asks for it); and no
	// capabilities at all, nor a way to gain any: pause only waits for
	// signals and reaps, and a filter costs runc ~20 ms to load.
	sc := p.Security
	seccomp, err := seccompFor(&runtimeapi.LinuxContainerSecurityContext{
		Privileged: sc.GetPrivileged(), Seccomp: sc.GetSeccomp(), SeccompProfilePath: sc.GetSeccompProfilePath(),
	})
	if err != nil {
		return "", err
	}
	so := spec.Options{
		Seccomp: seccomp, CapDrop: []string{"ALL"}, NoNewPrivileges: true,
		Args: []string{"/pause", "pause"}, Namespaces: s.podNamespaces(p),
		CgroupsPath: s.pauseCgroupsPath(p), Hostname: p.Hostname,
		Mounts: []spec.Mount{{Source: s.o.PauseBinary, Destination: "/pause", ReadOnly: true}},
		UserNS: p.userNS(),
	}
	st, err := s.rt.Create(ctx, runtime.CreateOptions{Name: pauseName(p.ID), Rootfs: root, Spec: so, Handler: p.Handler})
	if err != nil {
		return "", err
	}
	u.Add(func() { s.rt.Delete(context.Background(), st.ID, true) })
	if err := s.rt.Start(ctx, st.ID); err != nil {
		return "", err
	}
	return st.ID, nil
}

// pauseCgroupsPath is the cgroup of a pod's pause process.
func (s *Server) pauseCgroupsPath(p *sandbox) string {
	return s.cgroupsPath(p, "pause-"+p.ID[:12])
}

// pauseName is the runtime's name of a pod's pause container: a crash
// before the pod record names its ID still leaves it findable.
func pauseName(podID string) string { return "pause-" + podID }

// pauseRootfs is RUNROOT/cri/pause, the pause containers' shared root:
// empty directories to mount /proc, /dev and /sys on, and an empty file
// for the binary's bind mount.
func (s *Server) pauseRootfs() (string, error) {
	root := filepath.Join(s.o.RunRoot, "cri", "pause")
	if _, err := os.Stat(s.o.PauseBinary); err != nil {
		return "", fmt.Errorf("pause binary: %w", err)
	}
	for _, d := range []string{"proc", "dev", "sys"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", err
		}
	}
	// A file the mount covers; older ocids put a copy of the binary here.
	bin := filepath.Join(root, "pause")
	f, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return "", err
	}
	return root, f.Close()
}

// podNamespaces are the namespaces a pod's containers (and its pause)
// join, PID aside: the caller decides about that.
func (s *Server) podNamespaces(p *sandbox) []spec.Namespace {
	var ns []spec.Namespace
	if p.hostNetwork() {
		ns = append(ns, spec.Namespace{Type: specs.NetworkNamespace, Host: true}, spec.Namespace{Type: specs.UTSNamespace, Host: true})
	} else {
		ns = append(ns, spec.Namespace{Type: specs.NetworkNamespace, Path: p.NetNS}, spec.Namespace{Type: specs.UTSNamespace, Path: p.UTSNS})
	}
	if p.hostIPC() {
		ns = append(ns, spec.Namespace{Type: specs.IPCNamespace, Host: true})
	} else {
		ns = append(ns, spec.Namespace{Type: specs.IPCNamespace, Path: p.IPCNS})
	}
	return ns
}

// pausePid is the PID of the pod's running pause process.
func (s *Server) pausePid(p *sandbox) (int, error) {
	st, err := s.rt.Status(p.PauseID)
	if err != nil {
		return 0, fmt.Errorf("the pod's pause process (shared PID namespace): %w", err)
	}
	if st.Pid <= 0 {
		return 0, fmt.Errorf("the pod's pause process (shared PID namespace) is %s: %w", st.State, errPrecondition)
	}
	return st.Pid, nil
}

// pausePIDNamespace is the pod's shared PID namespace, its pause
// process's. A pause that is gone fails the container: running it in a
// PID namespace of its own instead would quietly break what the pod asked.
func (s *Server) pausePIDNamespace(p *sandbox) (spec.Namespace, error) {
	pid, err := s.pausePid(p)
	if err != nil {
		return spec.Namespace{}, err
	}
	return spec.Namespace{Type: specs.PIDNamespace, Path: fmt.Sprintf("/proc/%d/ns/pid", pid)}, nil
}
