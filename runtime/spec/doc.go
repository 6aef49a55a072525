// Package spec turns an image config plus run options into an OCI runtime
// spec (config.json) that runc 1.1 and crun accept.
//
// It is pure generation: it writes nothing and starts nothing. It reads
// only what a spec must be derived from — the image rootfs's /etc/passwd
// and /etc/group (never following a symlink out of the rootfs), a
// Localhost seccomp profile, and for privileged containers the host's /dev
// and capability count.
//
// Defaults are those of a careful production runtime (CRI-O's, not
// docker's): nine capabilities, the default seccomp profile, masked and
// read-only /proc and /sys paths, the standard devices only.
package spec
