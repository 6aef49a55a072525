package cgstats

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ReadNetwork reads the interface counters of the network namespace that
// process pid is in, from /proc/PID/net/dev, leaving out the loopback
// interface "lo" as cadvisor does (its traffic never leaves the pod).
func ReadNetwork(pid int) ([]NetInterface, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("read network counters: invalid pid %d", pid)
	}
	p := filepath.Join(procRoot, strconv.Itoa(pid), "net", "dev")
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("read network counters of process %d: %w", pid, err)
	}
	all, err := parseNetDev(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	out := all[:0]
	for _, ifc := range all {
		if ifc.Name != "lo" {
			out = append(out, ifc)
		}
	}
	return out, nil
}
