package cri

import (
	"os"
	"strconv"
	"strings"
)

// canLowerOOMScore reports whether this process holds CAP_SYS_RESOURCE.
func canLowerOOMScore() bool {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<24) != 0
		}
	}
	return false
}
