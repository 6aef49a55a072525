package main

import (
	"os"
	"os/exec"
	"path/filepath"
)

// monitorProgram picks the program run once per container (as its
// monitor) and once per pod (as pause): runtime.monitor_path if set, else
// ocid-monitor next to this executable, else ocid-monitor on PATH, else
// this executable. args is what goes before the monitor's config path.
// ocid-monitor is preferred because it links only what a monitor needs
// (about 1 MiB of private memory per process instead of 4).
func (a *app) monitorProgram() (path string, args []string, err error) {
	if p := a.cfg.Runtime.MonitorPath; p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", nil, err
		}
		return p, []string{p}, nil
	}
	self, err := os.Executable()
	if err != nil {
		return "", nil, err
	}
	if p := filepath.Join(filepath.Dir(self), "ocid-monitor"); isExecutable(p) {
		return p, []string{p}, nil
	}
	if p, err := exec.LookPath("ocid-monitor"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			return abs, []string{abs}, nil
		}
	}
	return self, []string{self, "monitor"}, nil
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}
