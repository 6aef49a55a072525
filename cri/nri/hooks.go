package nri

import (
	"context"
	"fmt"

	"github.com/containerd/nri/pkg/api"
)

// The lifecycle events, in the order a pod and its containers see them.
// Errors name the event, so a CRI error says a plugin refused.

// RunPodSandbox tells plugins of a pod whose sandbox is ready but which
// the CRI does not list yet; an error fails RunPodSandbox.
func (s *Service) RunPodSandbox(ctx context.Context, pod *api.PodSandbox) error {
	if s == nil {
		return nil
	}
	if err := s.a.RunPodSandbox(ctx, &api.RunPodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI RunPodSandbox: %w", err)
	}
	return nil
}

// StopPodSandbox tells plugins of a pod whose containers have stopped;
// its network and namespaces are still there.
func (s *Service) StopPodSandbox(ctx context.Context, pod *api.PodSandbox) error {
	if s == nil {
		return nil
	}
	if err := s.a.StopPodSandbox(ctx, &api.StopPodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI StopPodSandbox: %w", err)
	}
	return nil
}

// RemovePodSandbox tells plugins of a removed pod.
func (s *Service) RemovePodSandbox(ctx context.Context, pod *api.PodSandbox) error {
	if s == nil {
		return nil
	}
	if err := s.a.RemovePodSandbox(ctx, &api.RemovePodSandboxRequest{Pod: pod}); err != nil {
		return fmt.Errorf("NRI RemovePodSandbox: %w", err)
	}
	return nil
}

// CreateContainer asks plugins about a container about to be created. It
// applies the updates of other containers they ask for and returns the
// adjustment of this one (nil when none).
func (s *Service) CreateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) (*api.ContainerAdjustment, error) {
	if s == nil {
		return nil, nil
	}
	resp, err := s.a.CreateContainer(ctx, &api.CreateContainerRequest{Pod: pod, Container: ctr})
	if err != nil {
		return nil, fmt.Errorf("NRI CreateContainer: %w", err)
	}
	if err := s.applyUpdates(ctx, resp.GetUpdate()); err != nil {
		return nil, fmt.Errorf("NRI CreateContainer: %w", err)
	}
	return resp.GetAdjust(), nil
}

// PostCreateContainer tells plugins the container was created.
func (s *Service) PostCreateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	return s.a.PostCreateContainer(ctx, &api.PostCreateContainerRequest{Pod: pod, Container: ctr})
}

// StartContainer tells plugins a container is about to start; an error
// fails StartContainer.
func (s *Service) StartContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	if err := s.a.StartContainer(ctx, &api.StartContainerRequest{Pod: pod, Container: ctr}); err != nil {
		return fmt.Errorf("NRI StartContainer: %w", err)
	}
	return nil
}

// PostStartContainer tells plugins the container started.
func (s *Service) PostStartContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	return s.a.PostStartContainer(ctx, &api.PostStartContainerRequest{Pod: pod, Container: ctr})
}

// UpdateContainer asks plugins about a resource update of ctr; it applies
// their updates of other containers and returns the resources to give
// ctr (res, or what plugins made of it).
func (s *Service) UpdateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container, res *api.LinuxResources) (*api.LinuxResources, error) {
	if s == nil {
		return res, nil
	}
	resp, err := s.a.UpdateContainer(ctx, &api.UpdateContainerRequest{Pod: pod, Container: ctr, LinuxResources: res})
	if err != nil {
		return nil, fmt.Errorf("NRI UpdateContainer: %w", err)
	}
	var others []*api.ContainerUpdate
	for _, u := range resp.GetUpdate() {
		switch {
		case u == nil:
		case u.ContainerId == ctr.Id:
			if r := u.GetLinux().GetResources(); r != nil {
				res = r
			}
		default:
			others = append(others, u)
		}
	}
	if err := s.applyUpdates(ctx, others); err != nil {
		return nil, fmt.Errorf("NRI UpdateContainer: %w", err)
	}
	return res, nil
}

// PostUpdateContainer tells plugins a container's resources changed.
func (s *Service) PostUpdateContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	return s.a.PostUpdateContainer(ctx, &api.PostUpdateContainerRequest{Pod: pod, Container: ctr})
}

// StopContainer tells plugins a container stopped (asked to, or on its
// own) and applies the updates of other containers they ask for.
func (s *Service) StopContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	resp, err := s.a.StopContainer(ctx, &api.StopContainerRequest{Pod: pod, Container: ctr})
	if err != nil {
		return fmt.Errorf("NRI StopContainer: %w", err)
	}
	return s.applyUpdates(ctx, resp.GetUpdate())
}

// RemoveContainer tells plugins a container was removed.
func (s *Service) RemoveContainer(ctx context.Context, pod *api.PodSandbox, ctr *api.Container) error {
	if s == nil {
		return nil
	}
	return s.a.RemoveContainer(ctx, &api.RemoveContainerRequest{Pod: pod, Container: ctr})
}
