// Package checkout applies an image's layers, in order, into a new
// directory: a tree of real directories, symlinks, device nodes and FIFOs,
// and hardlinks into the object store for regular files, so files shared
// between images are shared inodes. A checkout is never written after
// Build returns; containers get it read-only or as overlayfs' lower layer.
//
// # Semantics
//
// Per layer, its deletions come first: a whiteout removes its path (and
// everything under it) as lower layers left it, an opaque marker removes
// every child of its directory. Then its entries, in tar order:
// directories are created (an existing one is kept, a non-directory in the
// way replaced); regular files are hardlinks to their object (through
// objects.Store.LinkInto, which falls back to an overflow copy at the
// filesystem's link limit); hardlinks link their target's object (a target
// from a lower layer is looked up in the checkout, inside it, and must be a
// regular file); symlinks are created as given, targets never resolved or
// checked; device nodes and FIFOs are made with mknod. Whatever is at an
// entry's path is removed first. Missing parent directories are created
// 0755 root:root. A path whose parent is not a directory (a file, or a
// symlink to nowhere) fails the build.
//
// Directory metadata (owner, mode, xattrs, mtime) is applied after all
// layers, mtimes last, since creating children changes a directory's
// mtime. Symlinks, devices and FIFOs get owner and mtime (and mode, for
// devices and FIFOs) when made; xattrs are applied to directories only
// (regular files carry theirs in the object; the kernel refuses user.* on
// symlinks and devices).
//
// # Confinement
//
// Every path operation stays inside the checkout directory, whatever the
// layers hold. Parent directories are opened with openat2(2) and
// RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV, so a symlink
// planted by a layer (etc -> /, a -> ../../.., a directory replaced by a
// symlink to a host path) resolves as if the checkout were "/": a later
// entry written "through" it lands inside the checkout or fails, never
// outside. The last component is always handled by an *at syscall on the
// parent's descriptor that does not follow it (mkdirat, linkat, symlinkat,
// mknodat, unlinkat, fstatat/fchownat/utimensat/fchmodat with
// AT_SYMLINK_NOFOLLOW); directory metadata is set through a descriptor
// opened with O_NOFOLLOW. Descriptors of directories reached without any
// symlink are cached; they are dropped when their directory is removed.
//
// Paths of entries are checked again here (layer.Entry.Validate), so a
// damaged layer file cannot name "..". A hardlink target from a lower layer
// is resolved inside the checkout too: "/etc/passwd" means the image's
// /etc/passwd or an error, never the host's.
package checkout
