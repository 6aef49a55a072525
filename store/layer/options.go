package layer

import (
	"os"
	"strings"
)

// Options tune Unpack. The zero value is the default everywhere.
type Options struct {
	// MaxFileSize refuses regular files larger than this (logical size).
	// 0 means DefaultMaxFileSize.
	MaxFileSize int64
	// Devices says whether device nodes and FIFOs are accepted.
	Devices DevicePolicy
	// Xattrs decides, per xattr name, what happens to it. nil means
	// DefaultXattrPolicy. Whatever it says, only names objects.XattrAllowed
	// accepts can be applied.
	Xattrs func(name string) XattrAction
	// MaxEntries refuses tars with more entries. 0 means DefaultMaxEntries.
	MaxEntries int
	// MaxMetadataBytes bounds the tar bytes that are not file content
	// (headers, padding, the physical data of sparse files, bytes after the
	// end marker), which are kept, compressed, in memory and in the layer's
	// tar-split data. 0 means DefaultMaxMetadataBytes.
	MaxMetadataBytes int64
}

const (
	DefaultMaxFileSize      = 64 << 30
	DefaultMaxEntries       = 2 << 20
	DefaultMaxMetadataBytes = 256 << 20
)

// DevicePolicy says whether a layer may carry device nodes and FIFOs.
type DevicePolicy uint8

const (
	// DevicesAuto accepts them when the process runs as root (euid 0),
	// which is what creating them in a checkout needs.
	DevicesAuto DevicePolicy = iota
	DevicesAllow
	DevicesRefuse
)

// XattrAction is what Unpack does with an xattr of a tar entry.
type XattrAction uint8

const (
	// XattrReject fails the unpack, naming the entry and the xattr.
	XattrReject XattrAction = iota
	// XattrApply records it: it becomes part of the object (regular
	// files) or is set on the directory by the checkout.
	XattrApply
	// XattrDrop ignores it silently.
	XattrDrop
)

// DefaultXattrPolicy applies "security.capability" and "user.*"; drops
// "security.selinux", "security.ima" and "security.evm", which describe the
// host that built the image (its SELinux labels, its integrity keys) and
// are the business of this host's policy; and rejects everything else:
// "trusted.*" above all (trusted.overlay.* in a checkout would steer
// overlayfs), ACLs ("system.posix_acl_*", whose meaning depends on the
// uid/gid map) and names nobody has reviewed.
func DefaultXattrPolicy(name string) XattrAction {
	switch {
	case name == "security.capability", strings.HasPrefix(name, "user."):
		return XattrApply
	case name == "security.selinux", name == "security.ima", name == "security.evm":
		return XattrDrop
	default:
		return XattrReject
	}
}

func (o Options) withDefaults() Options {
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.Devices == DevicesAuto {
		o.Devices = DevicesRefuse
		if os.Geteuid() == 0 {
			o.Devices = DevicesAllow
		}
	}
	if o.Xattrs == nil {
		o.Xattrs = DefaultXattrPolicy
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.MaxMetadataBytes <= 0 {
		o.MaxMetadataBytes = DefaultMaxMetadataBytes
	}
	return o
}
