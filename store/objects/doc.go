// Package objects is the store's file object store: every regular file of
// every layer is kept once, as an inode whose identity (its Key) covers its
// content and all the metadata that hardlinks to it share. Image checkouts
// are trees of hardlinks into this store, so ten images carrying the same
// files share one set of inodes on disk and in the page cache.
//
// # Layout (on-disk format, version 1)
//
//	<root>/objects/                  mode 0700
//	<root>/objects/<xx>/<yy…>        the object with key hex "<xx><yy…>" (2 + 62 hex digits)
//	<root>/objects/<xx>/<yy…>.<n>    overflow copy n (n = 1, 2, …) of that object, made when
//	                                 the object reached the filesystem's hardlink limit
//	<root>/objects/tmp/              staging (named temp files only when O_TMPFILE is unsupported)
//
// All 256 <xx> directories are created by Open, so Put never has to.
//
// # Keys
//
// A Key is the SHA-256 of a canonical encoding of the content digest and
// the shared metadata; see [FileMeta.Key] for the exact bytes. The mtime
// is kept at the precision the tar header gives (seconds for USTAR/GNU,
// nanoseconds for PAX), so two layers that stored the same file with
// different precision produce different objects, and a checkout reproduces
// what the tar said, no more.
//
// # Metadata and xattrs
//
// Objects carry mode (permission bits plus setuid, setgid, sticky), uid,
// gid, mtime and xattrs. Only xattrs for which [XattrAllowed] is true are
// stored: "security.capability" (file capabilities, e.g. ping) and "user.*".
// Put refuses every other name, in particular "trusted.*": overlayfs reads
// trusted.overlay.* from its lower layers (redirects, metacopy, opaque), so
// an image able to set them could change what a container sees through
// overlay. Which names a layer may carry, and which are silently dropped
// (such as security.selinux, which the host's policy sets), is decided above
// this package (store/layer).
//
// Put needs the privileges to give a file any owner and mode (CAP_CHOWN,
// CAP_FOWNER, CAP_FSETID, and CAP_SETFCAP for capabilities): the store runs
// as root. Setting metadata follows the kernel's rules: content is written first,
// then chown (which clears setuid/setgid and security.capability), then
// chmod, then xattrs, then the timestamps.
//
// # Durability contract
//
// Put does not fsync. An object becomes visible (linked into place) only
// when it is complete, content and metadata, so a process killed at any
// instant leaves either no object or a complete one. Durability against
// power loss is the caller's job: before recording anything that depends on
// objects (a layer's metadata), call [Store.Sync] once; it runs syncfs(2) on
// the objects' filesystem and so covers every object put before it, whoever
// put it. After a power loss, objects put after the last Sync may be
// truncated; [Store.Verify] finds them.
//
// An mtime the filesystem cannot store exactly (ext4 clamps to 1901…2446)
// is keyed as stored, so Verify agrees with the disk; see [Store.Put].
//
// # Concurrency
//
// A Store is safe for concurrent use by many goroutines, and several
// processes may use the same root at once: a Put of an object that another
// process is putting at the same moment ends with one object either way.
// Remove and CleanTemp are for the store's garbage collector, which must
// hold the store's exclusive lock while it runs them.
package objects
