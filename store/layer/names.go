package layer

import (
	"errors"
	"path"
	"strings"
)

const (
	maxPath      = 4095 // PATH_MAX without its NUL
	maxComponent = 255  // NAME_MAX
)

var (
	errDotDot  = errors.New(`has a ".." component`)
	errNUL     = errors.New("contains a NUL byte")
	errTooLong = errors.New("is too long")
	errEmpty   = errors.New("is empty")
)

// CleanName turns a tar entry or hardlink-target name into a store path:
// leading slashes are stripped (absolute names are contained, as if the
// layer's root were "/"), the rest is cleaned lexically, and a result that
// still climbs out (a ".." component) is refused. The root is ".".
func CleanName(name string) (string, error) {
	if name == "" {
		return "", errEmpty
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", errNUL
	}
	p := path.Clean(strings.TrimLeft(name, "/"))
	if p == "" {
		p = "."
	}
	if !IsCleanPath(p) {
		if p == ".." || strings.HasPrefix(p, "../") {
			return "", errDotDot
		}
		return "", errTooLong
	}
	return p, nil
}

// IsCleanPath reports whether p is a path CleanName can return: relative,
// clean, without ".." components or NUL bytes, at most PATH_MAX bytes with
// components of at most NAME_MAX bytes. The checkout builder checks every
// path with it again, whatever produced the layer.
func IsCleanPath(p string) bool {
	if p == "" || len(p) > maxPath || p[0] == '/' || path.Clean(p) != p {
		return false
	}
	if p == "." {
		return true
	}
	for {
		i := strings.IndexByte(p, '/')
		c := p
		if i >= 0 {
			c = p[:i]
		}
		if c == ".." || c == "." || c == "" || len(c) > maxComponent || strings.IndexByte(c, 0) >= 0 {
			return false
		}
		if i < 0 {
			return true
		}
		p = p[i+1:]
	}
}
