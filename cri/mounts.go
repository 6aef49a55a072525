package cri

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	securejoin "github.com/cyphar/filepath-securejoin"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/internal/undo"
	"github.com/ocid-project/ocid/runtime/spec"
)

// mounts are the container's volumes, image volumes, and the pod's
// files (/etc/hosts, /etc/resolv.conf, /etc/hostname, /dev/shm) where the
// config does not mount its own.
func (s *Server) mounts(p *sandbox, cfg *runtimeapi.ContainerConfig, c *container, u *undo.Stack) ([]spec.Mount, error) {
	var out []spec.Mount
	has := map[string]bool{}
	for _, m := range cfg.Mounts {
		if m.ContainerPath == "" {
			return nil, fmt.Errorf("a mount has no container path: %w", errInvalid)
		}
		has[m.ContainerPath] = true
		if m.GetImage().GetImage() != "" {
			sm, err := s.imageVolume(p, c, m, u)
			if err != nil {
				return nil, err
			}
			out = append(out, sm)
			continue
		}
		if m.HostPath == "" {
			return nil, fmt.Errorf("mount %s has no host path: %w", m.ContainerPath, errInvalid)
		}
		// As containerd: a missing host path becomes a directory.
		if _, err := os.Stat(m.HostPath); os.IsNotExist(err) {
			if err := os.MkdirAll(m.HostPath, 0o755); err != nil {
				return nil, err
			}
		}
		sm := spec.Mount{Type: spec.MountBind, Source: m.HostPath, Destination: m.ContainerPath, ReadOnly: m.Readonly, RecursiveReadOnly: m.RecursiveReadOnly}
		switch m.Propagation {
		case runtimeapi.MountPropagation_PROPAGATION_HOST_TO_CONTAINER:
			sm.Propagation = spec.PropagationSlave
		case runtimeapi.MountPropagation_PROPAGATION_BIDIRECTIONAL:
			sm.Propagation = spec.PropagationShared
		}
		out = append(out, sm)
	}
	dir := s.podRunDir(p.ID)
	add := func(src, dst string) {
		if !has[dst] {
			if _, err := os.Stat(src); err == nil {
				out = append(out, spec.Mount{Type: spec.MountBind, Source: src, Destination: dst})
			}
		}
	}
	add(filepath.Join(dir, "hosts"), "/etc/hosts")
	add(filepath.Join(dir, "resolv.conf"), "/etc/resolv.conf")
	add(filepath.Join(dir, "hostname"), "/etc/hostname")
	if p.hostIPC() {
		add("/dev/shm", "/dev/shm")
	} else {
		add(filepath.Join(dir, "shm"), "/dev/shm")
	}
	return out, nil
}

// imageVolume mounts an image read-only for a container (an image
// volume), or the directory ImageSubPath names in it, and returns the
// bind mount of it. It records the image's ID in m, which ContainerStatus
// reports. Image volumes are read-only by definition: a writable one is
// refused rather than silently made read-only.
func (s *Server) imageVolume(p *sandbox, c *container, m *runtimeapi.Mount, u *undo.Stack) (spec.Mount, error) {
	if !m.Readonly {
		return spec.Mount{}, fmt.Errorf("image volume %s: image volumes are read-only; set readonly: %w", m.ContainerPath, errInvalid)
	}
	img, err := s.st.Lookup(m.Image.Image)
	if err != nil {
		return spec.Mount{}, fmt.Errorf("image volume %s: %w", m.ContainerPath, err)
	}
	sum := sha256.Sum256([]byte(m.ContainerPath))
	dir := filepath.Join(s.podRunDir(p.ID), "image-volumes", c.ID, hex.EncodeToString(sum[:8]))
	// Traversable for a user-namespaced pod's root; the pod's directory
	// above keeps everyone else out.
	if err := os.MkdirAll(dir, 0o711); err != nil {
		return spec.Mount{}, err
	}
	mount := s.st.MountImage
	if p.UserNS != "" {
		// As the pod's root filesystem: the image's root-owned files are
		// the pod's root's, not the overflow IDs.
		mount = func(ref, dir string) (string, error) { return s.st.MountImageIDMapped(ref, dir, p.UserNS) }
	}
	mp, err := mount(img.ID.String(), dir)
	if err != nil {
		return spec.Mount{}, fmt.Errorf("image volume %s: %w", m.ContainerPath, err)
	}
	u.Add(func() { s.st.UnmountImage(mp) })
	c.ImageMounts = append(c.ImageMounts, mp)
	src := mp
	if m.ImageSubPath != "" {
		// The checkout never changes, so a path resolved inside it
		// (symlinks included) stays inside it.
		src, err = securejoin.SecureJoin(mp, m.ImageSubPath)
		if err != nil {
			return spec.Mount{}, fmt.Errorf("image volume %s: sub-path %q: %w", m.ContainerPath, m.ImageSubPath, err)
		}
		if _, err := os.Stat(src); err != nil {
			return spec.Mount{}, fmt.Errorf("image volume %s: sub-path %q is not in image %s: %w", m.ContainerPath, m.ImageSubPath, img.ID, errInvalid)
		}
	}
	m.Image.ImageRef = img.ID.String()
	// nosuid and nodev as the store's mount of it: a user namespace's root
	// may not drop them in its remount, and no image file should gain
	// privileges through a volume.
	return spec.Mount{Type: spec.MountBind, Source: src, Destination: m.ContainerPath, ReadOnly: true, Options: []string{"nosuid", "nodev"}}, nil
}
