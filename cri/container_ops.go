package cri

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/containerd/nri/pkg/api"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/runtime"
	"github.com/ocid-project/ocid/runtime/spec"
)

// StartContainer starts a created container.
func (s *Server) StartContainer(ctx context.Context, req *runtimeapi.StartContainerRequest) (*runtimeapi.StartContainerResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	started, err := s.nriStartContainer(ctx, c)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.rt.Start(ctx, c.ID); err != nil {
		return nil, toStatus(err)
	}
	s.emit(c, runtimeapi.ContainerEventType_CONTAINER_STARTED_EVENT)
	started()
	return &runtimeapi.StartContainerResponse{}, nil
}

// StopContainer stops a container within the timeout (then kills it).
// Stopping a stopped or removed container is not an error.
func (s *Server) StopContainer(ctx context.Context, req *runtimeapi.StopContainerRequest) (*runtimeapi.StopContainerResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		if isNotFound(err) {
			return &runtimeapi.StopContainerResponse{}, nil
		}
		return nil, err
	}
	if err := s.rt.Stop(ctx, c.ID, time.Duration(req.Timeout)*time.Second); err != nil {
		return nil, toStatus(err)
	}
	s.emit(c, runtimeapi.ContainerEventType_CONTAINER_STOPPED_EVENT)
	s.nriStopped(ctx, c, nil)
	return &runtimeapi.StopContainerResponse{}, nil
}

// RemoveContainer removes a container (killing it if it runs). Removing
// a removed container is not an error.
func (s *Server) RemoveContainer(ctx context.Context, req *runtimeapi.RemoveContainerRequest) (*runtimeapi.RemoveContainerResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		if isNotFound(err) {
			return &runtimeapi.RemoveContainerResponse{}, nil
		}
		return nil, err
	}
	if err := s.removeContainer(ctx, c); err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.RemoveContainerResponse{}, nil
}

func (s *Server) removeContainer(ctx context.Context, c *container) error {
	var view *api.Container // read before the bundle goes
	if s.nri.Active() {
		view = s.nriCtr(c)
	}
	if err := s.rt.Delete(ctx, c.ID, true); err != nil {
		return err
	}
	for _, mp := range c.ImageMounts {
		s.st.UnmountImage(mp)
	}
	if err := s.deleteCtrRecord(c.ID); err != nil {
		return err
	}
	s.mu.Lock()
	delete(s.ctrs, c.ID)
	s.mu.Unlock()
	s.nriRemoved(ctx, c, view)
	s.emit(c, runtimeapi.ContainerEventType_CONTAINER_DELETED_EVENT)
	return nil
}

// ContainerStatus reports a container.
func (s *Server) ContainerStatus(ctx context.Context, req *runtimeapi.ContainerStatusRequest) (*runtimeapi.ContainerStatusResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	st, err := s.containerStatus(c)
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &runtimeapi.ContainerStatusResponse{Status: st}
	if req.Verbose {
		rst, _ := s.rt.Status(c.ID)
		raw, _ := json.Marshal(map[string]any{"cri": c, "runtime": rst})
		resp.Info = map[string]string{"info": string(raw)}
	}
	return resp, nil
}

func (s *Server) containerStatus(c *container) (*runtimeapi.ContainerStatus, error) {
	rst, err := s.rt.Status(c.ID)
	if err != nil {
		return nil, err
	}
	st := &runtimeapi.ContainerStatus{
		Id: c.ID, Metadata: c.Metadata, State: criState(rst.State), CreatedAt: c.Created.UnixNano(),
		Image: c.Image, ImageRef: c.ImageRef, ImageId: c.ImageRef, Labels: c.Labels, Annotations: c.Annotations,
		Mounts: c.Mounts, LogPath: c.LogPath, User: c.User,
	}
	if c.Resources != nil {
		st.Resources = &runtimeapi.ContainerResources{Linux: c.Resources}
	}
	if !rst.Started.IsZero() {
		st.StartedAt = rst.Started.UnixNano()
	}
	if rst.State == runtime.Exited || rst.State == runtime.Unknown {
		st.FinishedAt = rst.Finished.UnixNano()
		if rst.Finished.IsZero() {
			st.FinishedAt = now().UnixNano()
		}
		st.ExitCode = int32(rst.ExitCode)
		st.Reason = rst.Reason
		if rst.State == runtime.Unknown {
			st.Message = rst.Reason
		}
		if rst.Message != "" {
			st.Message = rst.Message
		}
	}
	return st, nil
}

func criState(s runtime.State) runtimeapi.ContainerState {
	switch s {
	case runtime.Created:
		return runtimeapi.ContainerState_CONTAINER_CREATED
	case runtime.Running:
		return runtimeapi.ContainerState_CONTAINER_RUNNING
	case runtime.Exited:
		return runtimeapi.ContainerState_CONTAINER_EXITED
	}
	return runtimeapi.ContainerState_CONTAINER_UNKNOWN
}

// ListContainers lists containers, filtered by ID (or prefix), state,
// pod and labels.
func (s *Server) ListContainers(ctx context.Context, req *runtimeapi.ListContainersRequest) (*runtimeapi.ListContainersResponse, error) {
	f := req.GetFilter()
	s.mu.RLock()
	ctrs := make([]*container, 0, len(s.ctrs))
	for _, c := range s.ctrs {
		ctrs = append(ctrs, c)
	}
	s.mu.RUnlock()
	var out []*runtimeapi.Container
	for _, c := range ctrs {
		if f != nil {
			if f.Id != "" && !strings.HasPrefix(c.ID, f.Id) {
				continue
			}
			if f.PodSandboxId != "" && !strings.HasPrefix(c.PodID, f.PodSandboxId) {
				continue
			}
			if !labelsMatch(c.Labels, f.LabelSelector) {
				continue
			}
		}
		rst, err := s.rt.Status(c.ID)
		if err != nil {
			continue
		}
		state := criState(rst.State)
		if f != nil && f.State != nil && f.State.State != state {
			continue
		}
		out = append(out, &runtimeapi.Container{
			Id: c.ID, PodSandboxId: c.PodID, Metadata: c.Metadata, Image: c.Image, ImageRef: c.ImageRef, ImageId: c.ImageRef,
			State: state, CreatedAt: c.Created.UnixNano(), Labels: c.Labels, Annotations: c.Annotations,
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].CreatedAt < out[j].CreatedAt })
	return &runtimeapi.ListContainersResponse{Containers: out}, nil
}

// UpdateContainerResources changes a running container's cgroup limits.
func (s *Server) UpdateContainerResources(ctx context.Context, req *runtimeapi.UpdateContainerResourcesRequest) (*runtimeapi.UpdateContainerResourcesResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	if req.Linux == nil {
		return &runtimeapi.UpdateContainerResourcesResponse{}, nil
	}
	res, updated, err := s.nriUpdateResources(ctx, c, req.Linux)
	if err != nil {
		return nil, toStatus(err)
	}
	if err := s.setResources(ctx, c, res); err != nil {
		return nil, toStatus(err)
	}
	updated()
	return &runtimeapi.UpdateContainerResourcesResponse{}, nil
}

// setResources changes a container's cgroup limits and records them.
func (s *Server) setResources(ctx context.Context, c *container, r *runtimeapi.LinuxContainerResources) error {
	lr, err := spec.LinuxResources(resources(r))
	if err != nil {
		return err
	}
	raw, err := json.Marshal(lr)
	if err != nil {
		return err
	}
	if err := s.rt.Update(ctx, c.ID, raw); err != nil {
		return err
	}
	s.mu.Lock()
	c.Resources = r
	s.mu.Unlock()
	return s.saveCtr(c)
}

// ReopenContainerLog makes the container's monitor reopen its log file.
func (s *Server) ReopenContainerLog(ctx context.Context, req *runtimeapi.ReopenContainerLogRequest) (*runtimeapi.ReopenContainerLogResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	if err := s.rt.ReopenLog(c.ID); err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.ReopenContainerLogResponse{}, nil
}

// ExecSync runs a command in a container and returns its output.
func (s *Server) ExecSync(ctx context.Context, req *runtimeapi.ExecSyncRequest) (*runtimeapi.ExecSyncResponse, error) {
	c, err := s.findCtr(req.ContainerId)
	if err != nil {
		return nil, err
	}
	if len(req.Cmd) == 0 {
		return nil, invalid("exec: no command")
	}
	out, errOut, code, err := s.rt.ExecSync(ctx, c.ID, req.Cmd, time.Duration(req.Timeout)*time.Second)
	if errors.Is(err, runtime.ErrTimeout) {
		return nil, toStatus(&timeoutError{err})
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.ExecSyncResponse{Stdout: out, Stderr: errOut, ExitCode: int32(code)}, nil
}

// timeoutError is reported as DeadlineExceeded.
type timeoutError struct{ err error }

func (t *timeoutError) Error() string { return t.err.Error() }
func (t *timeoutError) Unwrap() error { return context.DeadlineExceeded }
