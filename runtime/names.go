package runtime

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ocid-project/ocid/errdefs"
)

// NameInUseError says a name is taken, and by which container, so a
// retried create (the kubelet retries) can find what the first made.
type NameInUseError struct {
	Name, ID string
}

func (e *NameInUseError) Error() string {
	return fmt.Sprintf("the name %q is in use by container %s", e.Name, e.ID)
}

func (e *NameInUseError) Unwrap() error { return errdefs.ErrAlreadyExists }

func (m *Manager) namePath(name string) string {
	return filepath.Join(m.root, "names", base64.RawURLEncoding.EncodeToString([]byte(name)))
}

// reserveName claims name for id with an exclusive create, which is
// atomic across processes.
func (m *Manager) reserveName(name, id string) error {
	f, err := os.OpenFile(m.namePath(name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		owner, _ := os.ReadFile(m.namePath(name))
		return &NameInUseError{Name: name, ID: strings.TrimSpace(string(owner))}
	}
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(id)
	return err
}

// releaseName frees name if id holds it.
func (m *Manager) releaseName(name, id string) {
	if owner, err := os.ReadFile(m.namePath(name)); err == nil && strings.TrimSpace(string(owner)) == id {
		os.Remove(m.namePath(name))
	}
}

// Lookup finds a container by ID, unique ID prefix, or name.
func (m *Manager) Lookup(ref string) (*Container, error) {
	if c, err := m.readRecord(ref); err == nil {
		return c, nil
	}
	if owner, err := os.ReadFile(m.namePath(ref)); err == nil {
		return m.readRecord(strings.TrimSpace(string(owner)))
	}
	entries, err := os.ReadDir(filepath.Join(m.root, "containers"))
	if err != nil {
		return nil, err
	}
	var found []string
	for _, e := range entries {
		id := strings.TrimSuffix(e.Name(), ".json")
		if len(ref) >= 3 && strings.HasPrefix(id, ref) {
			found = append(found, id)
		}
	}
	switch len(found) {
	case 1:
		return m.readRecord(found[0])
	case 0:
		return nil, fmt.Errorf("no container %q: %w", ref, errdefs.ErrNotFound)
	}
	return nil, fmt.Errorf("container ID prefix %q is ambiguous: %w", ref, errdefs.ErrInvalidArgument)
}
