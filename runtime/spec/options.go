package spec

import (
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Options is everything about a container that is not in its image. The
// zero value asks for the production defaults; Rootfs is the only field
// that must be set.
type Options struct {
	// Hostname is set when the UTS namespace is not the host's; it is
	// also exported as $HOSTNAME, as CRI runtimes do.
	Hostname string

	// Command replaces the image Entrypoint and Args replaces the image
	// Cmd, with the CRI/docker rule: a Command drops the image Cmd too.
	Command []string
	Args    []string
	// Env entries (KEY=VALUE) override the image's, key by key.
	Env []string
	// UnsetEnv names variables removed after that merge, the image's
	// included (an NRI plugin may remove them); $PATH and $HOME then
	// still get their defaults.
	UnsetEnv []string
	// WorkingDir replaces the image's; "/" when neither sets one.
	WorkingDir string
	// User replaces the image's: "", "name", "uid", "name:group",
	// "uid:gid", "uid:group"; resolved against the rootfs (ResolveUser).
	User string
	// AdditionalGIDs are supplementary groups beyond the image's.
	AdditionalGIDs           []int64
	SupplementalGroupsPolicy SupplementalGroupsPolicy
	Terminal                 bool
	NoNewPrivileges          bool
	// OOMScoreAdj is passed through when set (-1000..1000).
	OOMScoreAdj *int
	// Rlimits are set on the process; type names may omit "RLIMIT_".
	Rlimits []specs.POSIXRlimit

	// Rootfs is the path of the container's root directory (required).
	Rootfs         string
	ReadOnlyRootfs bool
	// Mounts come after the default mounts; one with the destination of a
	// default mount (/dev/shm, say) replaces it.
	Mounts []Mount

	// Privileged gives every capability ocid holds and every host device,
	// no seccomp, no masked or read-only paths, and writable /sys and
	// /sys/fs/cgroup; CapAdd, CapDrop, Seccomp, MaskedPaths and
	// ReadonlyPaths are then ignored (capability names still checked).
	Privileged bool
	// CapAdd and CapDrop change the default set; names with or without
	// "CAP_", any case; "ALL" in either.
	CapAdd, CapDrop []string
	Seccomp         Seccomp
	// MaskedPaths and ReadonlyPaths: nil means the defaults, an empty
	// non-nil slice means none (the kubelet sends explicit lists).
	MaskedPaths, ReadonlyPaths []string
	// ApparmorProfile and SelinuxLabel are passed through unchecked: the
	// runtime knows whether the host has the LSM.
	ApparmorProfile, SelinuxLabel string

	Resources Resources
	// CgroupsPath is "/ocid/<id>" style for cgroupfs or
	// "slice:prefix:name" for the systemd driver; empty leaves the choice
	// to the runtime.
	CgroupsPath string

	// Namespaces override the defaults (new mount, pid, ipc, uts and
	// network namespaces) type by type.
	Namespaces []Namespace
	// UserNS, when set, adds a user namespace with these mappings.
	UserNS *UserNamespace
	// Sysctls must be namespaced ones whose namespace is not the host's.
	Sysctls map[string]string
	// Devices are added to the standard ones (and to the host's when
	// Privileged); see HostDevice.
	Devices     []Device
	Annotations map[string]string
	// Hooks are OCI hooks run by the OCI runtime, passed through
	// unchecked (NRI plugins inject them; only root configures those).
	Hooks *specs.Hooks
}

// SupplementalGroupsPolicy says whether the image's /etc/group memberships
// of the user count (Kubernetes' supplementalGroupsPolicy).
type SupplementalGroupsPolicy int

const (
	// SupplementalGroupsMerge adds every group of the image's /etc/group
	// listing the user to AdditionalGIDs (the default).
	SupplementalGroupsMerge SupplementalGroupsPolicy = iota
	// SupplementalGroupsStrict uses AdditionalGIDs only.
	SupplementalGroupsStrict
)

// SeccompKind selects where the seccomp filter comes from.
type SeccompKind int

const (
	// SeccompRuntimeDefault is moby's default profile (the zero value).
	SeccompRuntimeDefault SeccompKind = iota
	// SeccompUnconfined sets no filter.
	SeccompUnconfined
	// SeccompLocalhost loads a profile (docker/OCI JSON) from a host file.
	SeccompLocalhost
)

// Seccomp chooses the container's seccomp filter.
type Seccomp struct {
	Kind SeccompKind
	// LocalhostPath is the absolute host path of the profile, for
	// SeccompLocalhost.
	LocalhostPath string
	// KeepX32 keeps x32 in the default profile's architectures even when
	// the kernel cannot run x32 programs (see runnableArchitectures).
	KeepX32 bool
}

// MountType is the kind of a Mount.
type MountType string

const (
	// MountBind bind-mounts (recursively) a host path; the default.
	MountBind MountType = "bind"
	// MountTmpfs mounts a fresh tmpfs.
	MountTmpfs MountType = "tmpfs"
)

// Propagation is the mount propagation of a bind mount (CRI's
// PROPAGATION_PRIVATE, _HOST_TO_CONTAINER, _BIDIRECTIONAL).
type Propagation string

const (
	PropagationPrivate Propagation = "private" // the default
	PropagationSlave   Propagation = "rslave"
	PropagationShared  Propagation = "rshared"
)

// Mount is a volume of the container.
type Mount struct {
	Type        MountType // "" means MountBind
	Source      string    // absolute host path, for binds
	Destination string    // absolute path in the container
	ReadOnly    bool
	// RecursiveReadOnly makes submounts of a bind read-only too (runc's
	// "rro", kernel 5.12+); it needs ReadOnly and private propagation.
	RecursiveReadOnly bool
	Propagation       Propagation
	// TmpfsSize is in bytes (0: the kernel's default, half of RAM) and
	// TmpfsMode the root directory's mode (0: 01777).
	TmpfsSize int64
	TmpfsMode os.FileMode
	// Options are extra mount flags from a fixed list (nosuid, nodev,
	// noexec, exec, noatime, relatime, strictatime, nodiratime, sync,
	// dirsync). Read-only and propagation have their own fields.
	Options []string
}

// Namespace overrides one namespace type of the defaults.
type Namespace struct {
	Type specs.LinuxNamespaceType
	// Path joins an existing namespace (a pod's pinned netns, say).
	Path string
	// Host shares the host's namespace (not allowed for mount).
	Host bool
}

// UserNamespace maps container ids to host ids.
type UserNamespace struct {
	// Path joins an existing user namespace; the mappings must still be
	// those of that namespace (runc needs them to find the root ids).
	Path        string
	UIDMappings []specs.LinuxIDMapping
	GIDMappings []specs.LinuxIDMapping
}

// Device is a device node created in the container and allowed by its
// device cgroup.
type Device struct {
	Path         string // in the container
	Type         string // "c", "b" or "u" (unbuffered char), "p" (fifo)
	Major, Minor int64
	// Permissions is the cgroup access, any of "rwm"; "" means "rwm".
	Permissions string
	FileMode    os.FileMode // 0 means 0666
	UID, GID    uint32
}

// Resources are the cgroup limits of a container; zero fields are unset.
type Resources struct {
	CPUShares  uint64
	CPUQuota   int64 // microseconds per CPUPeriod; -1 for none
	CPUPeriod  uint64
	CPUSetCPUs string // "0-3,6"
	CPUSetMems string
	// MemoryLimit is in bytes.
	MemoryLimit int64
	// MemorySwapLimit is memory plus swap, in bytes (-1: unlimited swap).
	MemorySwapLimit int64
	// PidsLimit is the number of tasks (-1: unlimited).
	PidsLimit int64
	// Hugepages maps a page size ("2MB", "1GB") to a limit in bytes.
	Hugepages map[string]uint64
	// Unified are cgroup v2 files and values, passed through.
	Unified map[string]string
}
