package nri

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/nri/pkg/api"
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/spec"
)

// baseOptions is a container as the CRI server would create it.
func baseOptions() spec.Options {
	return spec.Options{
		Command:     []string{"/bin/sh"},
		Args:        []string{"-c", "sleep 1"},
		Env:         []string{"A=1", "B=2"},
		Annotations: map[string]string{"keep": "1", "drop": "2"},
		Mounts:      []spec.Mount{{Source: "/var/lib/x", Destination: "/x"}},
		Devices:     []spec.Device{{Path: "/dev/extra", Type: "c", Major: 1, Minor: 9}},
		Sysctls:     map[string]string{"net.ipv4.ip_forward": "0", "kernel.msgmax": "8192"},
		Rlimits:     []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}},
		Resources:   spec.Resources{CPUShares: 2, MemoryLimit: 64 << 20, Hugepages: map[string]uint64{"2MB": 0}},
	}
}

// baseView is what plugins were shown of it: ocid's default mounts and
// devices included.
func baseView() *api.Container {
	return &api.Container{
		Mounts: []*api.Mount{{Destination: "/proc", Type: "proc"}, {Destination: "/x", Type: "bind", Source: "/var/lib/x"}},
		Linux:  &api.LinuxContainer{Devices: []*api.LinuxDevice{{Path: "/dev/null", Type: "c", Major: 1, Minor: 3}}},
	}
}

func TestApplyAdjustment(t *testing.T) {
	so := baseOptions()
	orig := baseOptions()
	adj := &api.ContainerAdjustment{
		Annotations: map[string]string{api.MarkForRemoval("drop"): "", "added": "yes"},
		Env:         []*api.KeyValue{{Key: "B", Value: "20"}, {Key: api.MarkForRemoval("A")}, {Key: "C", Value: "3"}},
		Args:        []string{"/bin/true", "x"},
		Hooks:       &api.Hooks{CreateRuntime: []*api.Hook{{Path: "/usr/bin/hook", Args: []string{"hook", "create"}}}},
		Rlimits:     []*api.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 4096, Soft: 2048}, {Type: "RLIMIT_CORE"}},
		Mounts: []*api.Mount{
			{Destination: "/x", Type: "bind", Source: "/srv/x", Options: []string{"rbind", "ro", "rslave", "nosuid"}},
			{Destination: "/scratch", Type: "tmpfs", Source: "tmpfs", Options: []string{"size=16m", "mode=0750", "noexec"}},
		},
		Linux: &api.LinuxContainerAdjustment{
			Devices: []*api.LinuxDevice{
				{Path: api.MarkForRemoval("/dev/extra")},
				{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, FileMode: api.FileMode(os.FileMode(0o640)), Uid: api.UInt32(uint32(5)), Gid: api.UInt32(uint32(6))},
			},
			Namespaces: []*api.LinuxNamespace{{Type: "network", Path: "/run/netns/other"}, {Type: api.MarkForRemoval("ipc")}},
			Resources: &api.LinuxResources{
				Cpu:            &api.LinuxCPU{Shares: api.UInt64(uint64(512)), Quota: api.Int64(int64(5000)), Period: api.UInt64(uint64(10000)), Cpus: "0"},
				Memory:         &api.LinuxMemory{Limit: api.Int64(int64(128 << 20))},
				Pids:           &api.LinuxPids{Limit: 0},
				HugepageLimits: []*api.HugepageLimit{{PageSize: "2MB", Limit: 4 << 20}},
				Unified:        map[string]string{"memory.high": "100000000"},
			},
			CgroupsPath: "/nri/ctr",
			OomScoreAdj: api.Int(500),
			Sysctl:      map[string]string{api.MarkForRemoval("kernel.msgmax"): "", "net.ipv4.ip_forward": "1"},
		},
	}
	if err := Apply(adj, &so, baseView()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(so.Annotations, map[string]string{"keep": "1", "added": "yes"}) {
		t.Errorf("annotations %v", so.Annotations)
	}
	if !reflect.DeepEqual(so.Env, []string{"B=20", "C=3"}) || !reflect.DeepEqual(so.UnsetEnv, []string{"A"}) {
		t.Errorf("env %v unset %v", so.Env, so.UnsetEnv)
	}
	if !reflect.DeepEqual(so.Command, []string{"/bin/true", "x"}) || so.Args != nil {
		t.Errorf("command %v args %v", so.Command, so.Args)
	}
	if so.Hooks == nil || len(so.Hooks.CreateRuntime) != 1 || so.Hooks.CreateRuntime[0].Path != "/usr/bin/hook" {
		t.Errorf("hooks %+v", so.Hooks)
	}
	wantRl := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 4096, Soft: 2048}, {Type: "RLIMIT_CORE"}}
	if !reflect.DeepEqual(so.Rlimits, wantRl) {
		t.Errorf("rlimits %v", so.Rlimits)
	}
	wantMounts := []spec.Mount{
		{Type: spec.MountBind, Source: "/srv/x", Destination: "/x", ReadOnly: true, Propagation: spec.PropagationSlave, Options: []string{"nosuid"}},
		{Type: spec.MountTmpfs, Destination: "/scratch", TmpfsSize: 16 << 20, TmpfsMode: 0o750, Options: []string{"noexec"}},
	}
	if !reflect.DeepEqual(so.Mounts, wantMounts) {
		t.Errorf("mounts\n got %+v\nwant %+v", so.Mounts, wantMounts)
	}
	wantDev := []spec.Device{{Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229, Permissions: "rw", FileMode: 0o640, UID: 5, GID: 6}}
	if !reflect.DeepEqual(so.Devices, wantDev) {
		t.Errorf("devices %+v", so.Devices)
	}
	wantNS := []spec.Namespace{{Type: specs.NetworkNamespace, Path: "/run/netns/other"}, {Type: specs.IPCNamespace, Host: true}}
	if !reflect.DeepEqual(so.Namespaces, wantNS) {
		t.Errorf("namespaces %+v", so.Namespaces)
	}
	wantRes := spec.Resources{CPUShares: 512, CPUQuota: 5000, CPUPeriod: 10000, CPUSetCPUs: "0", MemoryLimit: 128 << 20,
		PidsLimit: -1, Hugepages: map[string]uint64{"2MB": 4 << 20}, Unified: map[string]string{"memory.high": "100000000"}}
	if !reflect.DeepEqual(so.Resources, wantRes) {
		t.Errorf("resources %+v", so.Resources)
	}
	if so.CgroupsPath != "/nri/ctr" || so.OOMScoreAdj == nil || *so.OOMScoreAdj != 500 {
		t.Errorf("cgroups path %q oom %v", so.CgroupsPath, so.OOMScoreAdj)
	}
	if !reflect.DeepEqual(so.Sysctls, map[string]string{"net.ipv4.ip_forward": "1"}) {
		t.Errorf("sysctls %v", so.Sysctls)
	}
	// The caller's maps and slices were not written through.
	if !reflect.DeepEqual(baseOptions(), orig) || orig.Annotations["drop"] != "2" || orig.Resources.Hugepages["2MB"] != 0 {
		t.Error("Apply changed the options' shared maps or slices")
	}
}

func TestApplyEnvReAdd(t *testing.T) {
	so := spec.Options{Env: []string{"A=1"}, UnsetEnv: []string{"B"}}
	adj := &api.ContainerAdjustment{Env: []*api.KeyValue{{Key: "B", Value: "back"}, {Key: "A", Value: "2"}}}
	if err := Apply(adj, &so, &api.Container{}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(so.Env, []string{"B=back", "A=2"}) || len(so.UnsetEnv) != 0 {
		t.Errorf("env %v unset %v", so.Env, so.UnsetEnv)
	}
}

// What ocid cannot do fails with every such adjustment named, and leaves
// the options as they were.
func TestApplyRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		adj  *api.ContainerAdjustment
		want []string
	}{
		{"unsupported", &api.ContainerAdjustment{
			CDIDevices: []*api.CDIDevice{{Name: "vendor.com/gpu=0"}},
			Env:        []*api.KeyValue{{Key: "X", Value: "1"}},
			Linux: &api.LinuxContainerAdjustment{
				Resources: &api.LinuxResources{
					Memory:       &api.LinuxMemory{Swappiness: api.UInt64(uint64(10)), Kernel: api.Int64(int64(1))},
					BlockioClass: api.String("slow"),
					Devices:      []*api.LinuxDeviceCgroup{{Allow: true, Access: "rwm"}},
				},
				IoPriority: &api.LinuxIOPriority{Class: api.IOPrioClass_IOPRIO_CLASS_RT},
				Namespaces: []*api.LinuxNamespace{{Type: "mount"}},
				NetDevices: map[string]*api.LinuxNetDevice{"eth1": {Name: "net1"}},
				Rdt:        &api.LinuxRdt{ClosId: api.String("gold")},
			},
		}, []string{"CDI devices", "memory swappiness", "kernel memory limit", "block I/O class", "device cgroup rules",
			"I/O priority", "mount namespace", "network devices", "RDT class of service"}},
		{"remove default mount", &api.ContainerAdjustment{Mounts: []*api.Mount{{Destination: api.MarkForRemoval("/proc")}}},
			[]string{"/proc, one of ocid's default mounts"}},
		{"remove standard device", &api.ContainerAdjustment{Linux: &api.LinuxContainerAdjustment{
			Devices: []*api.LinuxDevice{{Path: api.MarkForRemoval("/dev/null")}}}}, []string{"/dev/null, one of ocid's standard devices"}},
		{"overlay mount", &api.ContainerAdjustment{Mounts: []*api.Mount{{Destination: "/o", Type: "overlay", Source: "overlay"}}},
			[]string{`type "overlay"`}},
		{"bad tmpfs size", &api.ContainerAdjustment{Mounts: []*api.Mount{{Destination: "/t", Type: "tmpfs", Options: []string{"size=lots"}}}},
			[]string{`tmpfs size "lots"`}},
		{"bad tmpfs mode", &api.ContainerAdjustment{Mounts: []*api.Mount{{Destination: "/t", Type: "tmpfs", Options: []string{"mode=999"}}}},
			[]string{`tmpfs mode "999"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			so := baseOptions()
			err := Apply(tc.adj, &so, baseView())
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("got %v, want an invalid-argument error", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
			if !reflect.DeepEqual(so, baseOptions()) {
				t.Errorf("options changed by a refused adjustment: %+v", so)
			}
		})
	}
}

// The library sends an empty RDT adjustment with every container; that
// is no request.
func TestEmptyRdtAccepted(t *testing.T) {
	so := baseOptions()
	if err := Apply(&api.ContainerAdjustment{Linux: &api.LinuxContainerAdjustment{Rdt: &api.LinuxRdt{}}}, &so, baseView()); err != nil {
		t.Fatal(err)
	}
	if err := Apply(nil, &so, baseView()); err != nil {
		t.Fatal(err)
	}
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "4096": 4096, "64k": 64 << 10, "16M": 16 << 20, "2g": 2 << 30} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "k", "-1", "1t", "1.5m", "99999999999999999g"} {
		if _, err := parseSize(in); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("parseSize(%q): %v, want an invalid-argument error", in, err)
		}
	}
}
