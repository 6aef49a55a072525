package cri

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/fsutil"
	"github.com/ocid-project/ocid/runtime/spec"
)

// sandbox is a pod's record, persisted in ROOT/cri/pods/<id>.json.
type sandbox struct {
	ID          string                         `json:"id"`
	Metadata    *runtimeapi.PodSandboxMetadata `json:"metadata"`
	Labels      map[string]string              `json:"labels,omitempty"`
	Annotations map[string]string              `json:"annotations,omitempty"`
	Created     time.Time                      `json:"created"`
	Ready       bool                           `json:"ready"`
	Handler     string                         `json:"handler,omitempty"`
	LogDir      string                         `json:"logDirectory,omitempty"`
	Hostname    string                         `json:"hostname,omitempty"`
	NetNS       string                         `json:"netns,omitempty"`
	IPCNS       string                         `json:"ipcns,omitempty"`
	UTSNS       string                         `json:"utsns,omitempty"`
	// UserNS is the pod's pinned user namespace (hostUsers: false), which
	// owns its network, IPC and UTS namespaces; empty: the host's.
	UserNS    string                                  `json:"userns,omitempty"`
	Options   *runtimeapi.NamespaceOption             `json:"namespaceOptions,omitempty"`
	PauseID   string                                  `json:"pauseID,omitempty"`
	IPs       []string                                `json:"ips,omitempty"`
	Ports     []*runtimeapi.PortMapping               `json:"portMappings,omitempty"`
	CgroupPar string                                  `json:"cgroupParent,omitempty"`
	Sysctls   map[string]string                       `json:"sysctls,omitempty"`
	Security  *runtimeapi.LinuxSandboxSecurityContext `json:"securityContext,omitempty"`
	Overhead  *runtimeapi.LinuxContainerResources     `json:"overhead,omitempty"`
	// Resources are the sum of the pod's containers' (NRI plugins see it).
	Resources *runtimeapi.LinuxContainerResources `json:"resources,omitempty"`
	// Complete is set once RunPodSandbox finished: a record without it
	// at start-up is a pod a crash left half-made, and is cleaned up.
	Complete bool `json:"complete"`
}

// podName is the key a pod's name is reserved under.
func podName(m *runtimeapi.PodSandboxMetadata) string {
	return fmt.Sprintf("%s_%s_%s_%d", m.Namespace, m.Name, m.Uid, m.Attempt)
}

func (s *Server) savePod(p *sandbox) error {
	raw, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return fsutil.WriteFileAtomic(filepath.Join(s.podRecordDir(), p.ID+".json"), raw, 0o600)
}

func (s *Server) deletePodRecord(id string) error {
	err := os.Remove(filepath.Join(s.podRecordDir(), id+".json"))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// userNS is what the pod's containers (and pause) are told about the
// pod's user namespace: nil when the pod uses the host's.
func (p *sandbox) userNS() *spec.UserNamespace {
	u := p.Security.GetNamespaceOptions().GetUsernsOptions()
	if p.UserNS == "" || u == nil {
		return nil
	}
	conv := func(ms []*runtimeapi.IDMapping) []specs.LinuxIDMapping {
		var out []specs.LinuxIDMapping
		for _, m := range ms {
			out = append(out, specs.LinuxIDMapping{ContainerID: m.ContainerId, HostID: m.HostId, Size: m.Length})
		}
		return out
	}
	return &spec.UserNamespace{Path: p.UserNS, UIDMappings: conv(u.Uids), GIDMappings: conv(u.Gids)}
}

func (p *sandbox) hostNetwork() bool {
	return p.Options != nil && p.Options.Network == runtimeapi.NamespaceMode_NODE
}

func (p *sandbox) hostIPC() bool {
	return p.Options != nil && p.Options.Ipc == runtimeapi.NamespaceMode_NODE
}

func (p *sandbox) hostPID() bool {
	return p.Options != nil && p.Options.Pid == runtimeapi.NamespaceMode_NODE
}

// sharedPID: POD is the zero value of the CRI's namespace mode, so a pod
// that says nothing shares one PID namespace (the kubelet says
// CONTAINER unless shareProcessNamespace is set).
func (p *sandbox) sharedPID() bool {
	return p.Options == nil || p.Options.Pid == runtimeapi.NamespaceMode_POD
}

// findPod resolves a pod ID or a unique ID prefix.
func (s *Server) findPod(id string) (*sandbox, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return findByID(s.pods, id, "pod sandbox")
}

// findByID looks an ID or a unique ID prefix up in one of the server's
// maps, as crictl users type short IDs.
func findByID[T any](m map[string]*T, id, what string) (*T, error) {
	if id == "" {
		return nil, invalid(what + " ID is required")
	}
	if v, ok := m[id]; ok {
		return v, nil
	}
	var found *T
	for key, v := range m {
		if strings.HasPrefix(key, id) {
			if found != nil {
				return nil, invalid(fmt.Sprintf("%s ID prefix %q is ambiguous", what, id))
			}
			found = v
		}
	}
	if found == nil {
		return nil, notFound(what, id)
	}
	return found, nil
}
