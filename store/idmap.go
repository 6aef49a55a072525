package store

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// IDMap shifts a container's root filesystem into a user namespace: the
// checkout is mounted ID-mapped through Userns, so a file the image gives
// to root belongs to the namespace's root (host ID HostID of the range
// holding container ID 0) without one byte of the shared checkout
// changing, and the container's writable upper directory belongs to that
// host ID too.
type IDMap struct {
	// Userns is a user namespace file, such as a pod's pinned
	// /proc/PID/ns/user. Its mappings must be UIDs and GIDs.
	Userns string    `json:"userns"`
	UIDs   []IDRange `json:"uids"`
	GIDs   []IDRange `json:"gids"`
}

// IDRange maps Size IDs from ContainerID inside to HostID outside.
type IDRange struct {
	ContainerID uint32 `json:"containerID"`
	HostID      uint32 `json:"hostID"`
	Size        uint32 `json:"size"`
}

// toHost maps a container ID to the host's, if the ranges hold it.
func toHost(ranges []IDRange, id uint32) (uint32, bool) {
	for _, r := range ranges {
		if id >= r.ContainerID && uint64(id) < uint64(r.ContainerID)+uint64(r.Size) {
			return r.HostID + (id - r.ContainerID), true
		}
	}
	return 0, false
}

// validate checks an IDMap before anything is made with it.
func (m *IDMap) validate() error {
	if m.Userns == "" || len(m.UIDs) == 0 || len(m.GIDs) == 0 {
		return fmt.Errorf("an ID map needs a user namespace and UID and GID ranges")
	}
	for _, r := range append(append([]IDRange{}, m.UIDs...), m.GIDs...) {
		if r.Size == 0 || uint64(r.HostID)+uint64(r.Size) > 1<<32 || uint64(r.ContainerID)+uint64(r.Size) > 1<<32 {
			return fmt.Errorf("ID range %d:%d:%d is out of bounds", r.ContainerID, r.HostID, r.Size)
		}
	}
	return nil
}

// chownInto gives path, owned by container IDs as the image has it, the
// host IDs they map to.
func (m *IDMap) chownInto(path string) error {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return err
	}
	uid, ok1 := toHost(m.UIDs, st.Uid)
	gid, ok2 := toHost(m.GIDs, st.Gid)
	if !ok1 || !ok2 {
		return fmt.Errorf("%s is owned by %d:%d, which the user namespace does not map", path, st.Uid, st.Gid)
	}
	return os.Lchown(path, int(uid), int(gid))
}

// chownToRoot gives path to the user namespace's root.
func (m *IDMap) chownToRoot(path string) error {
	uid, ok1 := toHost(m.UIDs, 0)
	gid, ok2 := toHost(m.GIDs, 0)
	if !ok1 || !ok2 {
		return fmt.Errorf("the user namespace does not map root")
	}
	return os.Lchown(path, int(uid), int(gid))
}

// bindIDMapped mounts src at dst read-only and ID-mapped through the user
// namespace file userns (kernel 5.12+; overlayfs takes such a mount as a
// lower layer from 5.19), with the MOUNT_ATTR_* flags in extra too.
func bindIDMapped(src, dst, userns string, extra uint64) error {
	ns, err := os.Open(userns)
	if err != nil {
		return fmt.Errorf("ID-mapped mount: %w", err)
	}
	defer ns.Close()
	tree, err := unix.OpenTree(unix.AT_FDCWD, src, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
	if err != nil {
		return fmt.Errorf("ID-mapped mount: cloning %s: %w", src, err)
	}
	defer unix.Close(tree)
	attr := unix.MountAttr{Attr_set: unix.MOUNT_ATTR_IDMAP | unix.MOUNT_ATTR_RDONLY | extra, Userns_fd: uint64(ns.Fd())}
	if err := unix.MountSetattr(tree, "", unix.AT_EMPTY_PATH, &attr); err != nil {
		return fmt.Errorf("ID-mapped mount of %s (does its file system support ID-mapped mounts?): %w", src, err)
	}
	if err := unix.MoveMount(tree, "", unix.AT_FDCWD, dst, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
		return fmt.Errorf("ID-mapped mount: attaching at %s: %w", dst, err)
	}
	return nil
}

// ProbeIDMap tells whether the store's file system takes ID-mapped mounts
// through the user namespace file userns: it mounts the store's checkout
// directory that way on a temporary directory and takes it down again.
func (s *Store) ProbeIDMap(userns string) error {
	dir, err := os.MkdirTemp(s.runroot, "idmap-probe-")
	if err != nil {
		return err
	}
	defer os.Remove(dir)
	src := s.path("checkouts")
	if err := os.MkdirAll(src, 0o700); err != nil {
		return err
	}
	if err := bindIDMapped(src, dir, userns, 0); err != nil {
		return err
	}
	return unix.Unmount(dir, unix.MNT_DETACH)
}
