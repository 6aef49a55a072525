package main

import (
	"fmt"
	"sort"

	"github.com/ocid-project/ocid/runtime"
)

// runtime opens the container runtime on first use.
func (a *app) runtime() (*runtime.Manager, error) {
	if a.rt != nil {
		return a.rt, nil
	}
	st, err := a.store()
	if err != nil {
		return nil, err
	}
	var handlers []runtime.Handler
	for name, h := range a.cfg.Runtime.Handlers {
		handlers = append(handlers, runtime.Handler{Name: name, Path: h.Path, SystemdCgroup: a.cfg.Runtime.CgroupManager == "systemd",
			SeccompBPF: runtime.SeccompBPFMode(h.SeccompBPF)})
	}
	sort.Slice(handlers, func(i, j int) bool { return handlers[i].Name < handlers[j].Name })
	_, monitor, err := a.monitorProgram()
	if err != nil {
		return nil, fmt.Errorf("runtime.monitor_path: %w", err)
	}
	rt, err := runtime.New(runtime.Options{
		Store: st, Root: a.cfg.Root, RunRoot: a.cfg.RunRoot, MonitorCommand: monitor,
		Handlers: handlers, DefaultHandler: a.cfg.Runtime.DefaultRuntime,
		CgroupParent: a.cfg.Runtime.CgroupParent, SeccompKeepX32: a.cfg.Runtime.SeccompX32 == "always", Log: a.log,
	})
	if err != nil {
		return nil, err
	}
	a.rt = rt
	return rt, nil
}
