package cgstats

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/errdefs"
)

func TestDescriptors(t *testing.T) {
	ds := Descriptors()
	names := map[string]bool{}
	for _, d := range ds {
		if names[d.Name] {
			t.Errorf("%s described twice", d.Name)
		}
		names[d.Name] = true
		if d.Help == "" || len(d.LabelKeys) == 0 {
			t.Errorf("%s: empty help or label keys", d.Name)
		}
		if !slices.Equal(d.LabelKeys[:len(baseLabelKeys)], baseLabelKeys) {
			t.Errorf("%s: label keys %v do not start with %v", d.Name, d.LabelKeys, baseLabelKeys)
		}
		keys := slices.Clone(d.LabelKeys)
		slices.Sort(keys)
		if len(slices.Compact(keys)) != len(d.LabelKeys) {
			t.Errorf("%s: repeated label key in %v", d.Name, d.LabelKeys)
		}
	}
	// Everything critest knows is described, the "unimplemented" ones too.
	for _, n := range critestExpected {
		if !names[n] {
			t.Errorf("no descriptor for %s", n)
		}
	}
	// The caller may change what it is given.
	ds[0].LabelKeys[0] = "changed"
	if Descriptors()[0].LabelKeys[0] == "changed" {
		t.Error("Descriptors shares its slices between calls")
	}
}

// TestContainerMetrics builds the metrics of a real process in a cgroup
// with critest's limits and checks them the way critest does, and more:
// every metric (not just the first of a name) matches its descriptor.
func TestContainerMetrics(t *testing.T) {
	h := hostHierarchy(t)
	cg := newTestCgroup(t, h)
	rootfs := t.TempDir()
	c := startChild(t, cg, rootfs)
	started := time.Now().Add(-time.Minute)
	now := time.Now()

	in := Input{ID: "0123abcd", Name: "ctr", PodName: "pod", PodNamespace: "ns", Image: "busybox:latest",
		CgroupPath: cg.path, Pid: c.pid, StartedAt: started, RootfsDir: rootfs}
	cms, err := ContainerMetrics(in, now)
	if err != nil {
		t.Fatal(err)
	}
	pms, err := PodNetworkMetrics(Pod{ID: "feed", Name: "pod", Namespace: "ns", Pid: c.pid}, now)
	if err != nil {
		t.Fatal(err)
	}
	all := append(slices.Clone(pms), cms...)

	descs := map[string]*runtimeapi.MetricDescriptor{}
	for _, d := range Descriptors() {
		descs[d.Name] = d
	}
	first := map[string]*runtimeapi.Metric{}
	seen := map[string]bool{}
	for _, m := range all {
		d, ok := descs[m.Name]
		if !ok {
			t.Errorf("metric %s has no descriptor", m.Name)
			continue
		}
		if len(m.LabelValues) != len(d.LabelKeys) {
			t.Errorf("%s: %d label values %v for keys %v", m.Name, len(m.LabelValues), m.LabelValues, d.LabelKeys)
		}
		key := m.Name + "\x00" + strings.Join(m.LabelValues, "\x00")
		if seen[key] {
			t.Errorf("%s%v emitted twice", m.Name, m.LabelValues)
		}
		seen[key] = true
		if m.Timestamp != now.UnixNano() || m.Value == nil {
			t.Errorf("%s: timestamp %d, value %v", m.Name, m.Timestamp, m.Value)
		}
		wantType := runtimeapi.MetricType_GAUGE
		// Cumulative values end in _total, except the inode count of a file
		// system; failcnt is cumulative too.
		if strings.HasSuffix(m.Name, "_total") && m.Name != "container_fs_inodes_total" || m.Name == "container_memory_failcnt" {
			wantType = runtimeapi.MetricType_COUNTER
		}
		if m.MetricType != wantType {
			t.Errorf("%s: type %v, want %v", m.Name, m.MetricType, wantType)
		}
		if first[m.Name] == nil {
			first[m.Name] = m
		}
	}
	for _, n := range critestExpected {
		if first[n] == nil && !slices.Contains(critestOptionalValues, n) && !slices.Contains(critestUnimplemented, n) {
			t.Errorf("no %s metric", n)
		}
	}
	// What this host can give beyond critest's minimum.
	for _, n := range []string{"container_spec_cpu_quota", "container_ulimits_soft", "container_spec_memory_reservation_limit_bytes"} {
		if first[n] == nil {
			t.Errorf("no %s metric", n)
		}
	}
	if h.HybridUnified != "" && first["container_pressure_cpu_waiting_seconds_total"] == nil {
		t.Error("no pressure metrics")
	}

	value := func(name string, extra ...string) uint64 {
		t.Helper()
		for _, m := range all {
			if m.Name == name && slices.Equal(m.LabelValues[len(baseLabelKeys):], extra) {
				return m.Value.Value
			}
		}
		t.Errorf("no %s%v", name, extra)
		return 0
	}
	labels := first["container_memory_usage_bytes"].LabelValues
	if want := []string{"ctr", cg.path, "busybox:latest", "0123abcd", "ns", "pod"}; !slices.Equal(labels, want) {
		t.Errorf("labels %v, want %v", labels, want)
	}
	if labels := first["container_network_receive_bytes_total"].LabelValues; labels[0] != "POD" || labels[3] != "feed" {
		t.Errorf("pod labels %v", labels)
	}
	var nofile unix.Rlimit
	if err := unix.Prlimit(c.pid, unix.RLIMIT_NOFILE, nil, &nofile); err != nil {
		t.Fatal(err)
	}
	fs, err := ReadFS(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		extra []string
		want  uint64
	}{
		{"container_spec_cpu_quota", nil, testQuotaUs},
		{"container_spec_cpu_period", nil, testPeriodUs},
		{"container_spec_memory_limit_bytes", nil, testMemLimit},
		{"container_threads_max", nil, testPidsMax},
		{"container_processes", nil, 1},
		{"container_ulimits_soft", []string{"max_open_files"}, nofile.Cur},
		{"container_last_seen", nil, uint64(now.Unix())},
		{"container_start_time_seconds", nil, uint64(started.Unix())},
		{"container_fs_usage_bytes", []string{fs.Device}, fs.UsageBytes},
		{"container_fs_inodes_total", []string{fs.Device}, fs.Inodes},
		{"container_oom_events_total", nil, 0},
	} {
		if got := value(tc.name, tc.extra...); got != tc.want {
			t.Errorf("%s%v = %d, want %d", tc.name, tc.extra, got, tc.want)
		}
	}
	if !h.V2 {
		if got := value("container_spec_cpu_shares"); got != testShares {
			t.Errorf("shares %d, want %d", got, testShares)
		}
	}
	if got := value("container_memory_usage_bytes"); got < childAlloc || got > testMemLimit {
		t.Errorf("memory usage %d: implausible", got)
	}
	// 10 files of at most 1000 bytes: 11 inodes (the directory too), at
	// least a block each.
	if got := value("container_fs_usage_bytes", fs.Device); got < 10*512 || fs.UsageInodes != 11 {
		t.Errorf("fs usage %d bytes, %d inodes: want the 10 files", got, fs.UsageInodes)
	}
}

func TestContainerMetricsMissing(t *testing.T) {
	hostHierarchy(t)
	ms, err := ContainerMetrics(Input{ID: "x", CgroupPath: "/" + testPrefix + "absent/x"}, time.Now())
	if !errdefs.IsNotFound(err) || ms != nil {
		t.Errorf("got %d metrics, error %v; want none and ErrNotFound", len(ms), err)
	}
	ms, err = ContainerMetrics(Input{ID: "x"}, time.Now())
	if !errdefs.IsInvalidArgument(err) || ms != nil {
		t.Errorf("no cgroup path: got %d metrics, error %v; want none and ErrInvalidArgument", len(ms), err)
	}
}

// TestContainerMetricsPartial reads a container whose writable layer is
// gone: the cgroup metrics still come, with an error about the layer.
func TestContainerMetricsPartial(t *testing.T) {
	h := hostHierarchy(t)
	cg := newTestCgroup(t, h)
	gone := filepath.Join(t.TempDir(), "upper")
	ms, err := ContainerMetrics(Input{ID: "x", CgroupPath: cg.path, RootfsDir: gone}, time.Now())
	if err == nil || !strings.Contains(err.Error(), gone) {
		t.Errorf("error %v, want one naming %s", err, gone)
	}
	if !slices.ContainsFunc(ms, func(m *runtimeapi.Metric) bool { return m.Name == "container_memory_usage_bytes" }) {
		t.Error("no cgroup metrics beside the error")
	}
	if _, statErr := os.Stat(gone); statErr == nil {
		t.Fatal("test directory exists")
	}
}

// TestEveryDescriptorEmitted feeds the emitter a reading with every
// optional part filled, so the metrics this host cannot produce (block
// I/O, huge pages) are checked against their descriptors too.
func TestEveryDescriptorEmitted(t *testing.T) {
	st := Stats{
		CPU:      CPU{Valid: true, UsageNs: 3.9e9, QuotaUs: 1000, PeriodUs: 100000, Shares: 2},
		Memory:   Memory{Valid: true, Limit: Unlimited, SwapLimit: Unlimited, Reservation: 1 << 20},
		Pids:     Pids{Valid: true, Max: Unlimited},
		Blkio:    []BlkioDevice{{Major: 254, Minor: 0, ReadBytes: 10, WriteBytes: 20, Reads: 1, Writes: 2}},
		Hugetlb:  []Hugetlb{{PageSize: "2MB", Usage: 1, MaxUsage: 2, HasMaxUsage: true}},
		Pressure: &Pressure{CPUSomeNs: 2.5e9},
	}
	now := time.Unix(1700000000, 0)
	e := newEmitter(now, "c", "/id", "img", "n", "ns", "p")
	e.cgroup(st)
	pe := newEmitter(now, "POD", "", "", "sb", "ns", "p")
	pe.add(netRxBytes, 1, "eth0")
	pe.add(netRxPackets, 1, "eth0")
	pe.add(netRxDropped, 1, "eth0")
	pe.add(netRxErrors, 1, "eth0")
	pe.add(netTxBytes, 1, "eth0")
	pe.add(netTxPackets, 1, "eth0")
	pe.add(netTxDropped, 1, "eth0")
	pe.add(netTxErrors, 1, "eth0")
	e.add(processes, 1)
	e.add(threads, 1)
	e.add(fileDescriptors, 1)
	e.add(sockets, 1)
	e.add(ulimitsSoft, 1, "max_open_files")
	for _, d := range []*desc{fsUsage, fsLimit, fsInodesFree, fsInodesTotal} {
		e.add(d, 1, "/dev/vda")
	}
	e.add(lastSeen, 1)
	e.add(startTime, 1)

	got := map[string]int{}
	for _, m := range append(e.out, pe.out...) {
		got[m.Name] = len(m.LabelValues)
	}
	for _, d := range Descriptors() {
		if n, ok := got[d.Name]; !ok || n != len(d.LabelKeys) {
			t.Errorf("%s: emitted %v with %d labels, descriptor has %d", d.Name, ok, n, len(d.LabelKeys))
		}
	}
	// Seconds are truncated; unlimited limits read 0.
	for _, m := range e.out {
		switch m.Name {
		case "container_cpu_usage_seconds_total":
			if m.Value.Value != 3 || m.LabelValues[6] != "total" {
				t.Errorf("%s%v = %d, want 3", m.Name, m.LabelValues, m.Value.Value)
			}
		case "container_pressure_cpu_waiting_seconds_total":
			if m.Value.Value != 2 {
				t.Errorf("%s = %d, want 2", m.Name, m.Value.Value)
			}
		case "container_spec_memory_limit_bytes", "container_threads_max":
			if m.Value.Value != 0 {
				t.Errorf("%s = %d, want 0 for unlimited", m.Name, m.Value.Value)
			}
		case "container_blkio_device_usage_total":
			if dev := m.LabelValues[6]; dev != blockDeviceName(254, 0) || m.LabelValues[7] != "254" || m.LabelValues[8] != "0" {
				t.Errorf("blkio labels %v", m.LabelValues)
			}
		}
	}
	// A wrong label count is dropped, not sent.
	n := len(e.out)
	e.add(fsUsage, 1)
	if len(e.out) != n {
		t.Error("metric with a missing label was emitted")
	}
}
