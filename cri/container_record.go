package cri

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/fsutil"
)

// container is what the CRI keeps about a container beyond the
// runtime's record: ROOT/cri/containers/<id>.json.
type container struct {
	ID          string                              `json:"id"`
	PodID       string                              `json:"podID"`
	Metadata    *runtimeapi.ContainerMetadata       `json:"metadata"`
	Image       *runtimeapi.ImageSpec               `json:"image"`
	ImageRef    string                              `json:"imageRef"`
	Labels      map[string]string                   `json:"labels,omitempty"`
	Annotations map[string]string                   `json:"annotations,omitempty"`
	LogPath     string                              `json:"logPath,omitempty"`
	Mounts      []*runtimeapi.Mount                 `json:"mounts,omitempty"`
	Resources   *runtimeapi.LinuxContainerResources `json:"resources,omitempty"`
	User        *runtimeapi.ContainerUser           `json:"user,omitempty"`
	Created     time.Time                           `json:"created"`
	// ImageMounts are image volumes mounted for this container.
	ImageMounts []string `json:"imageMounts,omitempty"`
	Complete    bool     `json:"complete"`

	// nriStopped: NRI plugins were told the container stopped (once).
	nriMu      sync.Mutex
	nriStopped bool
}

// ctrKey is the name a container is unique by within its pod.
func ctrKey(podID string, m *runtimeapi.ContainerMetadata) string {
	return fmt.Sprintf("%s_%s_%d", podID, m.Name, m.Attempt)
}

func (s *Server) saveCtr(c *container) error {
	raw, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.ctrRecordDir(), c.ID+".json"), raw, 0o600)
}

func (s *Server) deleteCtrRecord(id string) error {
	err := os.Remove(filepath.Join(s.ctrRecordDir(), id+".json"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

func (s *Server) findCtr(id string) (*container, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return findByID(s.ctrs, id, "container")
}

func (s *Server) podContainers(podID string) []*container {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var out []*container
	for _, c := range s.ctrs {
		if c.PodID == podID {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) ctrByKey(key string) *container {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, c := range s.ctrs {
		if ctrKey(c.PodID, c.Metadata) == key {
			return c
		}
	}
	return nil
}
