package spec

import (
	"fmt"
	"sync"

	"golang.org/x/sys/unix"
)

// kernelRelease is the running kernel's major and minor version; 0.0 when
// uname fails, which makes every feature check answer "no" (the safe side).
var kernelRelease = sync.OnceValues(func() (int, int) {
	var uts unix.Utsname
	if err := unix.Uname(&uts); err != nil {
		return 0, 0
	}
	var major, minor int
	if _, err := fmt.Sscanf(unix.ByteSliceToString(uts.Release[:]), "%d.%d", &major, &minor); err != nil {
		return 0, 0
	}
	return major, minor
})

// kernelAtLeast reports whether the running kernel is major.minor or newer.
func kernelAtLeast(major, minor int) bool {
	kmaj, kmin := kernelRelease()
	return kmaj > major || (kmaj == major && kmin >= minor)
}
