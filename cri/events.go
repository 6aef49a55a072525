package cri

import (
	"sync"

	"google.golang.org/grpc"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// eventBus fans container events out to GetContainerEvents streams. A
// subscriber that does not keep up loses events rather than stalling
// the runtime (the kubelet relists anyway).
type eventBus struct {
	mu   sync.Mutex
	subs map[chan *runtimeapi.ContainerEventResponse]struct{}
}

func newEventBus() *eventBus {
	return &eventBus{subs: map[chan *runtimeapi.ContainerEventResponse]struct{}{}}
}

func (b *eventBus) subscribe() chan *runtimeapi.ContainerEventResponse {
	ch := make(chan *runtimeapi.ContainerEventResponse, 256)
	b.mu.Lock()
	b.subs[ch] = struct{}{}
	b.mu.Unlock()
	return ch
}

func (b *eventBus) unsubscribe(ch chan *runtimeapi.ContainerEventResponse) {
	b.mu.Lock()
	delete(b.subs, ch)
	b.mu.Unlock()
}

func (b *eventBus) publish(ev *runtimeapi.ContainerEventResponse) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ch := range b.subs {
		select {
		case ch <- ev:
		default:
		}
	}
}

func (s *Server) emit(c *container, t runtimeapi.ContainerEventType) {
	ev := &runtimeapi.ContainerEventResponse{ContainerId: c.ID, ContainerEventType: t, CreatedAt: now().UnixNano()}
	if p, err := s.findPod(c.PodID); err == nil {
		ev.PodSandboxStatus = s.podStatus(p)
	}
	if st, err := s.containerStatus(c); err == nil {
		ev.ContainersStatuses = []*runtimeapi.ContainerStatus{st}
	}
	s.events.publish(ev)
}

// GetContainerEvents streams container lifecycle events.
func (s *Server) GetContainerEvents(req *runtimeapi.GetEventsRequest, stream grpc.ServerStreamingServer[runtimeapi.ContainerEventResponse]) error {
	ch := s.events.subscribe()
	defer s.events.unsubscribe(ch)
	for {
		select {
		case <-stream.Context().Done():
			return nil
		case ev := <-ch:
			if err := stream.Send(ev); err != nil {
				return err
			}
		}
	}
}
