package nri

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/containerd/nri/pkg/api"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/errdefs"
)

// FillFromSpec sets what an OCI spec says of a container on c: its
// process (arguments, environment, user, rlimits), annotations, mounts,
// hooks and Linux settings. Identity and state are the caller's.
func FillFromSpec(c *api.Container, sp *specs.Spec) {
	if sp == nil {
		return
	}
	if p := sp.Process; p != nil {
		c.Args = slices.Clone(p.Args)
		c.Env = slices.Clone(p.Env)
		c.User = &api.User{Uid: p.User.UID, Gid: p.User.GID, AdditionalGids: slices.Clone(p.User.AdditionalGids)}
		for _, r := range p.Rlimits {
			c.Rlimits = append(c.Rlimits, &api.POSIXRlimit{Type: r.Type, Hard: r.Hard, Soft: r.Soft})
		}
	}
	if sp.Annotations != nil { // plugins' adjustments included
		c.Annotations = maps.Clone(sp.Annotations)
	}
	c.Mounts = api.FromOCIMounts(sp.Mounts)
	c.Hooks = api.FromOCIHooks(sp.Hooks)
	l := sp.Linux
	if l == nil {
		return
	}
	c.Linux = &api.LinuxContainer{
		Namespaces:  api.FromOCILinuxNamespaces(l.Namespaces),
		Devices:     api.FromOCILinuxDevices(l.Devices),
		Resources:   api.FromOCILinuxResources(l.Resources, sp.Annotations),
		CgroupsPath: l.CgroupsPath,
		Sysctl:      maps.Clone(l.Sysctl),
	}
	if p := sp.Process; p != nil && p.OOMScoreAdj != nil {
		c.Linux.OomScoreAdj = api.Int(*p.OOMScoreAdj)
	}
}

func unsupportedError(bad []string) error {
	return fmt.Errorf("NRI plugins asked for what ocid does not support: %s: %w", strings.Join(bad, "; "), errdefs.ErrInvalidArgument)
}
