package cgstats

import (
	"slices"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

// baseLabelKeys start every metric's label keys, in this order; the kubelet
// exports them as cadvisor did:
//
//	container  the container's name in its pod ("POD" for pod-level metrics)
//	id         the cgroup path ("/ocid/<id>"), cadvisor's "id"
//	image      the image the container runs
//	name       the container ID (the pod sandbox ID for pod-level metrics)
//	namespace  the pod's namespace
//	pod        the pod's name
var baseLabelKeys = []string{"container", "id", "image", "name", "namespace", "pod"}

// desc is one metric: its descriptor and type. Every metric is emitted
// through one of these, so its labels cannot drift from its descriptor.
type desc struct {
	name  string
	help  string
	typ   runtimeapi.MetricType
	extra []string // label keys after baseLabelKeys
}

// allDescs holds every desc in definition order, for Descriptors.
var allDescs []*desc

func def(name string, typ runtimeapi.MetricType, help string, extra ...string) *desc {
	d := &desc{name: name, help: help, typ: typ, extra: extra}
	allDescs = append(allDescs, d)
	return d
}

const (
	counter = runtimeapi.MetricType_COUNTER
	gauge   = runtimeapi.MetricType_GAUGE
)

// Times in *_seconds_total and *_seconds metrics are whole seconds,
// truncated: the CRI carries integers and the kubelet exports them
// unscaled under the cadvisor names, so seconds keep dashboards and
// alerts right at the cost of sub-second resolution (CRI-O does the same).
var (
	cpuUsage = def("container_cpu_usage_seconds_total", counter,
		"Cumulative CPU time consumed, in whole seconds (truncated).", "cpu")
	cpuUser = def("container_cpu_user_seconds_total", counter,
		"Cumulative user-mode CPU time consumed, in whole seconds (truncated).")
	cpuSystem = def("container_cpu_system_seconds_total", counter,
		"Cumulative kernel-mode CPU time consumed, in whole seconds (truncated).")
	cfsPeriods = def("container_cpu_cfs_periods_total", counter,
		"Number of CFS enforcement periods that have elapsed with the container runnable.")
	cfsThrottledPeriods = def("container_cpu_cfs_throttled_periods_total", counter,
		"Number of CFS periods in which the container used up its quota.")
	cfsThrottledTime = def("container_cpu_cfs_throttled_seconds_total", counter,
		"Total time the container was throttled, in whole seconds (truncated).")

	memUsage = def("container_memory_usage_bytes", gauge,
		"Memory charged to the container, page cache included, in bytes.")
	memMaxUsage = def("container_memory_max_usage_bytes", gauge,
		"Peak memory usage in bytes (0 where the kernel does not record it).")
	memWorkingSet = def("container_memory_working_set_bytes", gauge,
		"Memory usage minus inactive page cache, in bytes.")
	memRSS = def("container_memory_rss", gauge,
		"Anonymous memory (RSS) in bytes.")
	memCache = def("container_memory_cache", gauge,
		"Page cache memory in bytes.")
	memMappedFile = def("container_memory_mapped_file", gauge,
		"Memory-mapped page cache in bytes.")
	memSwap = def("container_memory_swap", gauge,
		"Swap used by the container, in bytes.")
	memKernel = def("container_memory_kernel_usage", gauge,
		"Kernel memory charged to the container, in bytes.")
	memFailcnt = def("container_memory_failcnt", counter,
		"Number of times memory usage hit the limit.")
	memFailures = def("container_memory_failures_total", counter,
		"Cumulative page faults, by type (pgfault, pgmajfault) and scope (container alone or with its child cgroups).",
		"failure_type", "scope")
	oomEvents = def("container_oom_events_total", counter,
		"Number of processes of the container killed by the OOM killer.")

	specCPUPeriod = def("container_spec_cpu_period", gauge,
		"CFS period of the container, in microseconds.")
	specCPUQuota = def("container_spec_cpu_quota", gauge,
		"CFS quota of the container per period, in microseconds; absent when there is no quota.")
	specCPUShares = def("container_spec_cpu_shares", gauge,
		"CPU shares (relative weight) of the container.")
	specMemLimit = def("container_spec_memory_limit_bytes", gauge,
		"Memory limit of the container in bytes; 0 if unlimited.")
	specMemReservation = def("container_spec_memory_reservation_limit_bytes", gauge,
		"Memory reservation (soft limit on cgroup v1, memory.min on v2) in bytes; 0 if unset.")
	specMemSwapLimit = def("container_spec_memory_swap_limit_bytes", gauge,
		"Limit on memory plus swap of the container in bytes; 0 if unlimited.")

	processes = def("container_processes", gauge,
		"Number of processes in the container.")
	threads = def("container_threads", gauge,
		"Number of threads in the container.")
	threadsMax = def("container_threads_max", gauge,
		"Maximum number of threads (tasks) allowed in the container (pids.max); 0 if unlimited.")
	fileDescriptors = def("container_file_descriptors", gauge,
		"Number of open file descriptors of the container's processes.")
	sockets = def("container_sockets", gauge,
		"Number of open sockets of the container's processes.")
	ulimitsSoft = def("container_ulimits_soft", gauge,
		"Soft resource limit of the container's init process; 18446744073709551615 (RLIM_INFINITY) if unlimited.",
		"ulimit")

	fsUsage = def("container_fs_usage_bytes", gauge,
		"Disk space used by the container's writable layer, in bytes.", "device")
	fsLimit = def("container_fs_limit_bytes", gauge,
		"Size of the file system holding the container's writable layer, in bytes.", "device")
	fsInodesFree = def("container_fs_inodes_free", gauge,
		"Free inodes on the file system holding the container's writable layer.", "device")
	fsInodesTotal = def("container_fs_inodes_total", gauge,
		"Inodes on the file system holding the container's writable layer.", "device")
	fsReadBytes = def("container_fs_reads_bytes_total", counter,
		"Cumulative bytes read from a block device.", "device")
	fsWriteBytes = def("container_fs_writes_bytes_total", counter,
		"Cumulative bytes written to a block device.", "device")
	fsReads = def("container_fs_reads_total", counter,
		"Cumulative read operations completed on a block device.", "device")
	fsWrites = def("container_fs_writes_total", counter,
		"Cumulative write operations completed on a block device.", "device")
	blkioUsage = def("container_blkio_device_usage_total", counter,
		"Cumulative bytes of block I/O, by device and operation (Read, Write).",
		"device", "major", "minor", "operation")

	hugetlbUsage = def("container_hugetlb_usage_bytes", gauge,
		"Huge page memory in use, in bytes.", "pagesize")
	hugetlbMaxUsage = def("container_hugetlb_max_usage_bytes", gauge,
		"Peak huge page memory use, in bytes (cgroup v1 only).", "pagesize")

	cpuWaiting = def("container_pressure_cpu_waiting_seconds_total", counter,
		"Total time some tasks were stalled waiting for CPU, in whole seconds (truncated).")
	cpuStalled = def("container_pressure_cpu_stalled_seconds_total", counter,
		"Total time all non-idle tasks were stalled on CPU, in whole seconds (truncated).")
	memWaiting = def("container_pressure_memory_waiting_seconds_total", counter,
		"Total time some tasks were stalled waiting for memory, in whole seconds (truncated).")
	memStalled = def("container_pressure_memory_stalled_seconds_total", counter,
		"Total time all non-idle tasks were stalled on memory, in whole seconds (truncated).")
	ioWaiting = def("container_pressure_io_waiting_seconds_total", counter,
		"Total time some tasks were stalled waiting for I/O, in whole seconds (truncated).")
	ioStalled = def("container_pressure_io_stalled_seconds_total", counter,
		"Total time all non-idle tasks were stalled on I/O, in whole seconds (truncated).")

	lastSeen = def("container_last_seen", gauge,
		"Time the runtime last read the container's metrics, in Unix seconds.")
	startTime = def("container_start_time_seconds", gauge,
		"Time the container started, in Unix seconds.")

	netRxBytes = def("container_network_receive_bytes_total", counter,
		"Cumulative bytes received.", "interface")
	netRxPackets = def("container_network_receive_packets_total", counter,
		"Cumulative packets received.", "interface")
	netRxDropped = def("container_network_receive_packets_dropped_total", counter,
		"Cumulative packets dropped while receiving.", "interface")
	netRxErrors = def("container_network_receive_errors_total", counter,
		"Cumulative errors while receiving.", "interface")
	netTxBytes = def("container_network_transmit_bytes_total", counter,
		"Cumulative bytes transmitted.", "interface")
	netTxPackets = def("container_network_transmit_packets_total", counter,
		"Cumulative packets transmitted.", "interface")
	netTxDropped = def("container_network_transmit_packets_dropped_total", counter,
		"Cumulative packets dropped while transmitting.", "interface")
	netTxErrors = def("container_network_transmit_errors_total", counter,
		"Cumulative errors while transmitting.", "interface")
)

// Descriptors describes every metric ContainerMetrics and PodNetworkMetrics
// can return, for ListMetricDescriptors. The slice and its descriptors are
// new on each call.
func Descriptors() []*runtimeapi.MetricDescriptor {
	out := make([]*runtimeapi.MetricDescriptor, 0, len(allDescs))
	for _, d := range allDescs {
		out = append(out, &runtimeapi.MetricDescriptor{
			Name:      d.name,
			Help:      d.help,
			LabelKeys: append(slices.Clone(baseLabelKeys), d.extra...),
		})
	}
	return out
}
