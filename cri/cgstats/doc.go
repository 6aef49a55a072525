// Package cgstats reads a container's resource use from the kernel
// (cgroup v1 or v2 files, /proc, the file system) and renders it as Stats
// or as CRI metrics named and labelled like cadvisor's, for
// ListMetricDescriptors and ListPodSandboxMetrics.
//
// The cgroup mode is told by the file system type of /sys/fs/cgroup: a
// cgroup2 mount is the unified hierarchy; anything else is read as v1, one
// mount per controller (/sys/fs/cgroup/memory/PATH, ...), with per-cgroup
// pressure taken from the cgroup2 mount at /sys/fs/cgroup/unified when the
// host is hybrid. Cgroup paths are cgroupfs paths ("/ocid/<id>"), the same
// under every v1 controller, or systemd-driver names ("slice:prefix:name",
// or a slice), read where runc's systemd driver puts them
// (internal/cgpath).
//
// Units: Stats holds nanoseconds and bytes. In metrics, *_seconds_total
// counters and Unix times are whole seconds, truncated, because the CRI
// carries integers and the kubelet exports them unscaled; byte and count
// metrics are exact. A limit that is not set is Unlimited in Stats and 0 in
// metrics, as cadvisor reports it.
package cgstats
