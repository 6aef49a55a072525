package spec

import "strings"

// reservedAnnotationPrefixes are annotations OCI runtimes act on: crun's
// run.oci.* (a seccomp program that replaces the profile, extra hooks,
// keeping the original groups, …) and runc's org.systemd.property.*
// (properties of the container's systemd unit, limits included). They
// would let whoever writes a pod's annotations undo its confinement, so
// annotations from outside never reach the runtime under these names;
// ocid sets the ones it means itself (runtime.precompileSeccomp).
var reservedAnnotationPrefixes = []string{"run.oci.", "org.systemd.property."}

// passedAnnotations copies the annotations the runtime may see.
func passedAnnotations(in map[string]string) map[string]string {
	if in == nil {
		return nil
	}
	out := make(map[string]string, len(in))
	for k, v := range in {
		if !reservedAnnotation(k) {
			out[k] = v
		}
	}
	return out
}

func reservedAnnotation(k string) bool {
	for _, p := range reservedAnnotationPrefixes {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}
