package nri

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/containerd/nri/pkg/api"
	"google.golang.org/protobuf/proto"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/spec"
)

func criResources() *runtimeapi.LinuxContainerResources {
	return &runtimeapi.LinuxContainerResources{
		CpuShares: 256, CpuQuota: 20000, CpuPeriod: 100000, MemoryLimitInBytes: 64 << 20, OomScoreAdj: 100,
		CpusetCpus: "0-1", Unified: map[string]string{"memory.high": "1"},
		HugepageLimits: []*runtimeapi.HugepageLimit{{PageSize: "2MB", Limit: 2 << 20}},
	}
}

// A plugin's update on top of the CRI's resources: what it sets
// replaces, what it leaves stays, and the base is not written through.
func TestMergeIntoCRI(t *testing.T) {
	base := criResources()
	upd := &api.LinuxResources{
		Cpu:            &api.LinuxCPU{Shares: api.UInt64(uint64(1024)), Mems: "0"},
		Memory:         &api.LinuxMemory{Limit: api.Int64(int64(256 << 20)), Swap: api.Int64(int64(512 << 20))},
		HugepageLimits: []*api.HugepageLimit{{PageSize: "2MB", Limit: 8 << 20}, {PageSize: "1GB", Limit: 1 << 30}},
		Unified:        map[string]string{"memory.max": "268435456"},
	}
	got, err := MergeIntoCRI(base, upd)
	if err != nil {
		t.Fatal(err)
	}
	want := &runtimeapi.LinuxContainerResources{
		CpuShares: 1024, CpuQuota: 20000, CpuPeriod: 100000, MemoryLimitInBytes: 256 << 20, MemorySwapLimitInBytes: 512 << 20,
		OomScoreAdj: 100, CpusetCpus: "0-1", CpusetMems: "0",
		Unified:        map[string]string{"memory.high": "1", "memory.max": "268435456"},
		HugepageLimits: []*runtimeapi.HugepageLimit{{PageSize: "2MB", Limit: 8 << 20}, {PageSize: "1GB", Limit: 1 << 30}},
	}
	if !proto.Equal(got, want) {
		t.Errorf("merged\n got %v\nwant %v", got, want)
	}
	if !proto.Equal(base, criResources()) {
		t.Errorf("base changed: %v", base)
	}
	if got, err := MergeIntoCRI(nil, nil); err != nil || !proto.Equal(got, &runtimeapi.LinuxContainerResources{}) {
		t.Errorf("nil merge: %v, %v", got, err)
	}
}

// What the CRI's update cannot carry is refused by name.
func TestMergeIntoCRIRefuses(t *testing.T) {
	_, err := MergeIntoCRI(criResources(), &api.LinuxResources{
		Pids:   &api.LinuxPids{Limit: 10},
		Memory: &api.LinuxMemory{Reservation: api.Int64(int64(1))},
		Cpu:    &api.LinuxCPU{RealtimeRuntime: api.Int64(int64(1))},
	})
	if !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("got %v, want an invalid-argument error", err)
	}
	for _, w := range []string{"pids limit", "memory reservation", "CPU realtime runtime"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not name %q", err, w)
		}
	}
}

// The CRI's resources shown to plugins and back are the same resources.
func TestResourcesRoundTrip(t *testing.T) {
	in := criResources()
	got, err := MergeIntoCRI(&runtimeapi.LinuxContainerResources{OomScoreAdj: in.OomScoreAdj}, ResourcesFromCRI(in))
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(got, in) {
		t.Errorf("round trip\n got %v\nwant %v", got, in)
	}
	r := ResourcesFromCRI(&runtimeapi.LinuxContainerResources{})
	if r.Cpu.Shares != nil || r.Cpu.Quota != nil || r.Memory.Limit != nil || r.Memory.Swap != nil {
		t.Errorf("unset CRI fields shown as set: %v", r)
	}
	if ResourcesFromCRI(nil) != nil {
		t.Error("nil resources shown as some")
	}
}

// CRIResources reports what a container got after plugins adjusted it.
func TestCRIResources(t *testing.T) {
	r := spec.Resources{CPUShares: 2, CPUQuota: -1, CPUPeriod: 100000, CPUSetCPUs: "1", MemoryLimit: 1 << 30,
		Hugepages: map[string]uint64{"2MB": 1, "1GB": 2}}
	oom := 7
	got := CRIResources(r, &runtimeapi.LinuxContainerResources{OomScoreAdj: 3}, &oom)
	want := &runtimeapi.LinuxContainerResources{CpuShares: 2, CpuQuota: -1, CpuPeriod: 100000, CpusetCpus: "1",
		MemoryLimitInBytes: 1 << 30, OomScoreAdj: 7,
		HugepageLimits: []*runtimeapi.HugepageLimit{{PageSize: "1GB", Limit: 2}, {PageSize: "2MB", Limit: 1}}}
	if !proto.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	if got := CRIResources(r, &runtimeapi.LinuxContainerResources{OomScoreAdj: 3}, nil); got.OomScoreAdj != 3 {
		t.Errorf("base OOM score adjustment lost: %d", got.OomScoreAdj)
	}
}

// FillFromSpec shows plugins a container as its OCI spec describes it.
func TestFillFromSpec(t *testing.T) {
	so := baseOptions()
	so.Rootfs = t.TempDir() // an empty root: the user is root
	so.OOMScoreAdj = new(int)
	*so.OOMScoreAdj = -5
	sp, err := spec.Generate(nil, so)
	if err != nil {
		t.Fatal(err)
	}
	var c api.Container
	FillFromSpec(&c, sp)
	if !reflect.DeepEqual(c.Args, sp.Process.Args) || c.User.GetUid() != sp.Process.User.UID || c.Linux.GetOomScoreAdj().GetValue() != -5 {
		t.Errorf("process: args %v user %v oom %v", c.Args, c.User, c.Linux.GetOomScoreAdj())
	}
	if c.Annotations["keep"] != "1" || c.Linux.Sysctl["kernel.msgmax"] != "8192" {
		t.Errorf("annotations %v sysctls %v", c.Annotations, c.Linux.Sysctl)
	}
	if len(c.Mounts) != len(sp.Mounts) || len(c.Linux.Devices) != len(sp.Linux.Devices) || len(c.Linux.Namespaces) != len(sp.Linux.Namespaces) {
		t.Errorf("mounts %d/%d devices %d/%d namespaces %d/%d", len(c.Mounts), len(sp.Mounts),
			len(c.Linux.Devices), len(sp.Linux.Devices), len(c.Linux.Namespaces), len(sp.Linux.Namespaces))
	}
	if c.Linux.Resources.GetMemory().GetLimit().GetValue() != 64<<20 || c.Linux.Resources.GetCpu().GetShares().GetValue() != 2 {
		t.Errorf("resources %v", c.Linux.Resources)
	}
	FillFromSpec(&c, nil) // a container without a bundle: nothing to add, no panic
}
