package cri

import (
	"context"
	"fmt"
	"reflect"

	"github.com/containerd/nri/pkg/api"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/cri/nri"
	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime/spec"
	"github.com/ocid-project/ocid/store"
)

// NRI: the CRI calls tell plugins of lifecycle events where the NRI
// specification puts them. A plugin may refuse a pod or container being
// made (the request fails and leaves nothing) or a container starting;
// events about things ending (stop, remove) cannot be refused, so their
// errors are only logged. While plugins are told of a new pod or
// container, plugin registration waits (Service.BlockSync): the new one is
// listed before a registering plugin's Synchronize, or the plugin is
// registered before it is told.

// StartNRI starts NRI once the server has restored its state: it watches
// the running containers' exits, starts the pre-installed plugins (which
// are synchronized with every pod and container) and opens the plugin
// socket. Without NRI configured it does nothing.
func (s *Server) StartNRI() error {
	if s.nri == nil {
		return nil
	}
	go s.exits.run()
	for _, c := range s.allContainers() {
		if err := s.watchExit(c); err != nil {
			s.log.Warn("cannot watch a container's exit for NRI", "container", c.ID, "error", err)
		}
	}
	return s.nri.Start()
}

// Close ends the server's background work: the store collection removals
// left pending runs now (a running one finishes) and NRI plugins are
// disconnected.
func (s *Server) Close() {
	s.gc.Stop(true)
	s.StopNRI()
}

// StopNRI disconnects the plugins.
func (s *Server) StopNRI() {
	if s.nri != nil {
		s.nri.Stop()
		s.exits.close()
	}
}

// nriRuntime is what NRI asks of the server.
type nriRuntime struct{ s *Server }

// Snapshot lists every pod and container (for a registering plugin).
func (r nriRuntime) Snapshot(ctx context.Context) ([]*api.PodSandbox, []*api.Container, error) {
	s := r.s
	s.mu.RLock()
	pods := make([]*sandbox, 0, len(s.pods))
	for _, p := range s.pods {
		pods = append(pods, p)
	}
	s.mu.RUnlock()
	var outPods []*api.PodSandbox
	for _, p := range pods {
		outPods = append(outPods, s.nriPod(p))
	}
	var outCtrs []*api.Container
	for _, c := range s.allContainers() {
		outCtrs = append(outCtrs, s.nriCtr(c))
	}
	return outPods, outCtrs, nil
}

// UpdateContainers applies plugins' resource updates through the CRI's
// UpdateContainerResources path and returns those that failed.
func (r nriRuntime) UpdateContainers(ctx context.Context, updates []*api.ContainerUpdate) ([]*api.ContainerUpdate, error) {
	s := r.s
	var failed []*api.ContainerUpdate
	for _, u := range updates {
		if err := s.nriUpdate(ctx, u); err != nil {
			s.log.Warn("NRI plugin's container update failed", "container", u.ContainerId, "error", err)
			failed = append(failed, u)
		}
	}
	return failed, nil
}

func (s *Server) nriUpdate(ctx context.Context, u *api.ContainerUpdate) error {
	c, err := s.findCtr(u.ContainerId)
	if err != nil {
		return err
	}
	s.mu.RLock()
	base := c.Resources
	s.mu.RUnlock()
	res, err := nri.MergeIntoCRI(base, u.GetLinux().GetResources())
	if err != nil {
		return err
	}
	return s.setResources(ctx, c, res)
}

// nriRunPod tells plugins of a pod about to be listed; if the pod is not
// made after all, they are told it stopped and was removed.
func (s *Server) nriRunPod(ctx context.Context, p *sandbox, u *undo.Stack) error {
	if !s.nri.Active() {
		return nil
	}
	pod := s.nriPod(p)
	u.Add(func() {
		s.logNRI("StopPodSandbox", s.nri.StopPodSandbox(context.Background(), pod))
		s.logNRI("RemovePodSandbox", s.nri.RemovePodSandbox(context.Background(), pod))
	})
	return s.nri.RunPodSandbox(ctx, pod)
}

// nriStopPod tells plugins a pod's containers stopped; its network is
// still up.
func (s *Server) nriStopPod(ctx context.Context, p *sandbox) {
	if s.nri.Active() {
		s.logNRI("StopPodSandbox", s.nri.StopPodSandbox(ctx, s.nriPod(p)))
	}
}

func (s *Server) nriRemovePod(ctx context.Context, pod *api.PodSandbox) {
	if pod != nil && s.nri.Active() {
		s.logNRI("RemovePodSandbox", s.nri.RemovePodSandbox(ctx, pod))
	}
}

// nriCreateContainer shows plugins the container about to be created and
// applies their adjustment to so (and to c's recorded resources). If the
// container is not made after all, plugins are told it was removed.
func (s *Server) nriCreateContainer(ctx context.Context, p *sandbox, c *container, img *store.Image, so *spec.Options, tty bool, u *undo.Stack) error {
	if !s.nri.Active() {
		return nil
	}
	view, err := s.nriCreateView(c, img, *so, tty)
	if err != nil {
		return fmt.Errorf("NRI: the container's spec: %w", err)
	}
	pod := s.nriPod(p)
	// The library adds the adjustments to the request's container.
	shown := proto.Clone(view).(*api.Container)
	u.Add(func() { s.logNRI("RemoveContainer", s.nri.RemoveContainer(context.Background(), pod, view)) })
	adj, err := s.nri.CreateContainer(ctx, pod, view)
	if err != nil {
		return err
	}
	before := so.Resources
	if err := nri.Apply(adj, so, shown); err != nil {
		return fmt.Errorf("NRI CreateContainer: %w", err)
	}
	if v := adj.GetLinux().GetOomScoreAdj(); v != nil {
		adj := clampOOMScoreAdj(int(v.GetValue()))
		so.OOMScoreAdj = &adj
	}
	if !reflect.DeepEqual(before, so.Resources) || adj.GetLinux().GetOomScoreAdj() != nil {
		// ContainerStatus reports what the container got.
		c.Resources = nri.CRIResources(so.Resources, c.Resources, so.OOMScoreAdj)
	}
	return nil
}

// nriPostCreate tells plugins the container exists.
func (s *Server) nriPostCreate(ctx context.Context, c *container) {
	if s.nri.Active() {
		s.logNRI("PostCreateContainer", s.nri.PostCreateContainer(ctx, s.nriPodOf(c), s.nriCtr(c)))
	}
}

// nriStartContainer tells plugins a container is about to start (they may
// refuse) and watches for its exit; post tells them it started.
func (s *Server) nriStartContainer(ctx context.Context, c *container) (post func(), err error) {
	if s.nri == nil {
		return func() {}, nil
	}
	if s.nri.Active() {
		if err := s.nri.StartContainer(ctx, s.nriPodOf(c), s.nriCtr(c)); err != nil {
			return nil, err
		}
	}
	if err := s.watchExit(c); err != nil {
		s.log.Warn("cannot watch a container's exit for NRI", "container", c.ID, "error", err)
	}
	return func() {
		if s.nri.Active() {
			s.logNRI("PostStartContainer", s.nri.PostStartContainer(ctx, s.nriPodOf(c), s.nriCtr(c)))
		}
	}, nil
}

// nriStopped tells plugins, once, that a container stopped: when stopped
// through the CRI, when it exited by itself, or at the latest before it
// is removed. view, when given, is the container as it was (its bundle
// may be gone).
func (s *Server) nriStopped(ctx context.Context, c *container, view *api.Container) {
	if s.nri == nil {
		return
	}
	c.nriMu.Lock()
	defer c.nriMu.Unlock()
	if c.nriStopped {
		return
	}
	c.nriStopped = true
	if !s.nri.Active() {
		return
	}
	if view == nil {
		view = s.nriCtr(c)
	}
	s.logNRI("StopContainer", s.nri.StopContainer(ctx, s.nriPodOf(c), view))
}

// nriRemoved tells plugins a container was removed (stopped first).
func (s *Server) nriRemoved(ctx context.Context, c *container, view *api.Container) {
	if view == nil {
		return
	}
	view.State, view.Pid = api.ContainerState_CONTAINER_STOPPED, 0
	s.nriStopped(ctx, c, view)
	s.logNRI("RemoveContainer", s.nri.RemoveContainer(ctx, s.nriPodOf(c), view))
}

// nriUpdateResources asks plugins about a resource update; post tells
// them it was made.
func (s *Server) nriUpdateResources(ctx context.Context, c *container, res *runtimeapi.LinuxContainerResources) (*runtimeapi.LinuxContainerResources, func(), error) {
	if !s.nri.Active() {
		return res, func() {}, nil
	}
	pod := s.nriPodOf(c)
	got, err := s.nri.UpdateContainer(ctx, pod, s.nriCtr(c), nri.ResourcesFromCRI(res))
	if err != nil {
		return nil, nil, err
	}
	if res, err = nri.MergeIntoCRI(res, got); err != nil {
		return nil, nil, fmt.Errorf("NRI UpdateContainer: %w", err)
	}
	return res, func() { s.logNRI("PostUpdateContainer", s.nri.PostUpdateContainer(ctx, pod, s.nriCtr(c))) }, nil
}

// nriPodOf is the pod of c as plugins see it (bare if already gone).
func (s *Server) nriPodOf(c *container) *api.PodSandbox {
	p, err := s.findPod(c.PodID)
	if err != nil {
		return &api.PodSandbox{Id: c.PodID}
	}
	return s.nriPod(p)
}

func (s *Server) logNRI(event string, err error) {
	if err != nil {
		s.log.Warn("NRI plugins failed an event", "event", event, "error", err)
	}
}

func (s *Server) allContainers() []*container {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*container, 0, len(s.ctrs))
	for _, c := range s.ctrs {
		out = append(out, c)
	}
	return out
}
