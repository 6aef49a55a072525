package nri

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/containerd/nri/pkg/api"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/spec"
)

var errInvalid = errdefs.ErrInvalidArgument

// applyMounts removes mounts ("-/path") and adds or replaces mounts by
// destination. ocid's default mounts (/proc, /dev, ...) can be replaced
// but not removed.
func applyMounts(o *spec.Options, in []*api.Mount, view *api.Container) error {
	if len(in) == 0 {
		return nil
	}
	out := slices.Clone(o.Mounts)
	var errs []error
	for _, m := range in {
		dest, rm := m.IsMarkedForRemoval()
		n := len(out)
		out = slices.DeleteFunc(out, func(x spec.Mount) bool { return x.Destination == dest })
		if rm {
			if n == len(out) && slices.ContainsFunc(view.GetMounts(), func(x *api.Mount) bool { return x.Destination == dest }) {
				errs = append(errs, fmt.Errorf("removing the mount on %s, one of ocid's default mounts: %w", dest, errInvalid))
			}
			continue
		}
		sm, err := convertMount(m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, sm)
	}
	o.Mounts = out
	return errors.Join(errs...)
}

// convertMount turns an OCI-style mount into ocid's: a bind (type bind,
// or options naming bind or rbind; binds are always recursive) or a
// tmpfs. Flags other than read-only, propagation, size and mode are left
// for spec.Generate, which refuses those it does not know.
func convertMount(m *api.Mount) (spec.Mount, error) {
	sm := spec.Mount{Destination: m.Destination, Source: m.Source}
	bind := m.Type == "bind" || ((m.Type == "" || m.Type == "none") && (slices.Contains(m.Options, "bind") || slices.Contains(m.Options, "rbind")))
	switch {
	case bind:
		sm.Type = spec.MountBind
	case m.Type == "tmpfs":
		sm.Type, sm.Source = spec.MountTmpfs, ""
	default:
		return spec.Mount{}, fmt.Errorf("mount on %s: type %q (ocid mounts binds and tmpfs only): %w", m.Destination, m.Type, errInvalid)
	}
	for _, opt := range m.Options {
		key, val, hasVal := strings.Cut(opt, "=")
		switch {
		case opt == "bind" || opt == "rbind":
		case opt == "ro":
			sm.ReadOnly = true
		case opt == "rw":
			sm.ReadOnly = false
		case opt == "rro":
			sm.RecursiveReadOnly = true
		case opt == "private" || opt == "rprivate":
			sm.Propagation = propagationFor(sm.Type, spec.PropagationPrivate)
		case opt == "slave" || opt == "rslave":
			sm.Propagation = propagationFor(sm.Type, spec.PropagationSlave)
		case opt == "shared" || opt == "rshared":
			sm.Propagation = propagationFor(sm.Type, spec.PropagationShared)
		case sm.Type == spec.MountTmpfs && key == "size" && hasVal:
			size, err := parseSize(val)
			if err != nil {
				return spec.Mount{}, fmt.Errorf("mount on %s: %w", m.Destination, err)
			}
			sm.TmpfsSize = size
		case sm.Type == spec.MountTmpfs && key == "mode" && hasVal:
			mode, err := strconv.ParseUint(val, 8, 32)
			if err != nil {
				return spec.Mount{}, fmt.Errorf("mount on %s: tmpfs mode %q: %w", m.Destination, val, errInvalid)
			}
			sm.TmpfsMode = os.FileMode(mode)
		default:
			sm.Options = append(sm.Options, opt)
		}
	}
	return sm, nil
}

// propagationFor: a tmpfs has no propagation of its own to set.
func propagationFor(t spec.MountType, p spec.Propagation) spec.Propagation {
	if t == spec.MountTmpfs {
		return ""
	}
	return p
}

// parseSize reads a tmpfs size: bytes, or k, m, g suffixed.
func parseSize(s string) (int64, error) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"), strings.HasSuffix(s, "K"):
		mult = 1 << 10
	case strings.HasSuffix(s, "m"), strings.HasSuffix(s, "M"):
		mult = 1 << 20
	case strings.HasSuffix(s, "g"), strings.HasSuffix(s, "G"):
		mult = 1 << 30
	}
	num := s
	if mult > 1 {
		num = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("tmpfs size %q is not bytes, or a number with k, m or g: %w", s, errInvalid)
	}
	return n * mult, nil
}
