package cgstats

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/errdefs"
)

// Input is what the runtime knows about one container.
type Input struct {
	// ID is the container ID (the "name" label).
	ID string
	// Name is the container's name in its pod (the "container" label).
	Name string
	// PodName and PodNamespace are the pod's (the "pod" and "namespace"
	// labels).
	PodName, PodNamespace string
	// Image is the image as the user asked for it (the "image" label).
	Image string
	// CgroupPath is the cgroupfs path given to the OCI runtime; it is
	// required, and is also the "id" label.
	CgroupPath string
	// Pid is the container's init process, 0 if it is not running. It is
	// needed for container_ulimits_soft only: process counts come from the
	// cgroup.
	Pid int
	// StartedAt is when the container started; zero leaves out
	// container_start_time_seconds.
	StartedAt time.Time
	// RootfsDir is the container's writable layer (the overlay upper
	// directory); "" leaves out the container_fs_{usage,limit,inodes}
	// metrics (a read-only root file system has no writable layer).
	RootfsDir string
}

// ContainerMetrics reads one container and returns its metrics, every one
// stamped with now. If the container's cgroup is gone the error wraps
// errdefs.ErrNotFound and there are no metrics. Any other error is about
// part of the data only: the metrics that could be read are returned with
// it, so a caller should log the error and still use them.
func ContainerMetrics(in Input, now time.Time) ([]*runtimeapi.Metric, error) {
	h, err := Default()
	if err != nil {
		return nil, err
	}
	return h.containerMetrics(in, now)
}

func (h Hierarchy) containerMetrics(in Input, now time.Time) ([]*runtimeapi.Metric, error) {
	if in.CgroupPath == "" {
		// "" would read the root cgroup: the whole machine.
		return nil, fmt.Errorf("metrics of container %s: no cgroup path: %w", in.ID, errdefs.ErrInvalidArgument)
	}
	st, err := h.Read(in.CgroupPath)
	if errors.Is(err, errdefs.ErrNotFound) {
		return nil, fmt.Errorf("metrics of container %s: %w", in.ID, err)
	}
	errs := []error{err}
	e := newEmitter(now, in.Name, cgroupID(in.CgroupPath), in.Image, in.ID, in.PodNamespace, in.PodName)
	e.cgroup(st)

	if p, err := h.ReadProcesses(in.CgroupPath); err != nil {
		errs = append(errs, err)
	} else {
		e.add(processes, p.Processes)
		e.add(threads, p.Threads)
		e.add(fileDescriptors, p.FDs)
		e.add(sockets, p.Sockets)
	}
	if in.Pid > 0 {
		if ls, err := ReadUlimits(in.Pid); err != nil {
			errs = append(errs, err)
		} else {
			for _, l := range ls {
				// cadvisor reports only this one; the others would multiply
				// series for limits nobody alerts on.
				if l.Name == "max_open_files" {
					e.add(ulimitsSoft, l.Soft, l.Name)
				}
			}
		}
	}
	if in.RootfsDir != "" {
		if fs, err := ReadFS(in.RootfsDir); err != nil {
			errs = append(errs, err)
		} else {
			e.add(fsUsage, fs.UsageBytes, fs.Device)
			e.add(fsLimit, fs.CapacityBytes, fs.Device)
			e.add(fsInodesFree, fs.InodesFree, fs.Device)
			e.add(fsInodesTotal, fs.Inodes, fs.Device)
		}
	}
	e.add(lastSeen, unixSeconds(now))
	if !in.StartedAt.IsZero() {
		e.add(startTime, unixSeconds(in.StartedAt))
	}
	if err := errors.Join(errs...); err != nil {
		return e.out, fmt.Errorf("metrics of container %s: %w", in.ID, err)
	}
	return e.out, nil
}

// Pod identifies a pod sandbox in pod-level metrics.
type Pod struct {
	// ID is the sandbox ID (the "name" label).
	ID string
	// Name and Namespace are the pod's (the "pod" and "namespace" labels).
	Name, Namespace string
	// CgroupPath is the pod's cgroup, the "id" label; may be empty.
	CgroupPath string
	// Pid is a process in the pod's network namespace, normally the
	// sandbox's pause process.
	Pid int
}

// PodNetworkMetrics returns the network counters of a pod's network
// namespace, one series per interface except "lo", labelled as container
// "POD". Network metrics are per pod because the containers of a pod share
// its network namespace. A pod on the host network would report the
// host's interfaces; leave it out.
func PodNetworkMetrics(p Pod, now time.Time) ([]*runtimeapi.Metric, error) {
	ifcs, err := ReadNetwork(p.Pid)
	if err != nil {
		return nil, fmt.Errorf("network metrics of pod %s: %w", p.ID, err)
	}
	e := newEmitter(now, "POD", cgroupID(p.CgroupPath), "", p.ID, p.Namespace, p.Name)
	for _, i := range ifcs {
		e.add(netRxBytes, i.RxBytes, i.Name)
		e.add(netRxPackets, i.RxPackets, i.Name)
		e.add(netRxDropped, i.RxDropped, i.Name)
		e.add(netRxErrors, i.RxErrors, i.Name)
		e.add(netTxBytes, i.TxBytes, i.Name)
		e.add(netTxPackets, i.TxPackets, i.Name)
		e.add(netTxDropped, i.TxDropped, i.Name)
		e.add(netTxErrors, i.TxErrors, i.Name)
	}
	return e.out, nil
}

// emitter builds metrics that share a timestamp and base labels.
type emitter struct {
	ts   int64
	base []string
	out  []*runtimeapi.Metric
}

// newEmitter takes the base label values in baseLabelKeys order.
func newEmitter(now time.Time, container, id, image, name, namespace, pod string) *emitter {
	return &emitter{ts: now.UnixNano(), base: []string{container, id, image, name, namespace, pod}}
}

// add emits one sample of d. A label count that does not match d's keys is
// a bug in this package; the sample is dropped rather than sent with labels
// the kubelet would reject (the tests check every metric).
func (e *emitter) add(d *desc, v uint64, extra ...string) {
	if len(extra) != len(d.extra) {
		return
	}
	labels := make([]string, 0, len(e.base)+len(extra))
	labels = append(append(labels, e.base...), extra...)
	e.out = append(e.out, &runtimeapi.Metric{
		Name: d.name, Timestamp: e.ts, MetricType: d.typ,
		LabelValues: labels, Value: &runtimeapi.UInt64Value{Value: v},
	})
}

// cgroup emits everything read from the cgroup files.
func (e *emitter) cgroup(st Stats) {
	if c := st.CPU; c.Valid {
		e.add(cpuUsage, seconds(c.UsageNs), "total") // "total": no per-CPU series, as the kubelet configures cadvisor
		e.add(cpuUser, seconds(c.UserNs))
		e.add(cpuSystem, seconds(c.SystemNs))
		e.add(cfsPeriods, c.Periods)
		e.add(cfsThrottledPeriods, c.ThrottledPeriods)
		e.add(cfsThrottledTime, seconds(c.ThrottledNs))
	}
	// The settings are emitted when the files were there (a real period or
	// weight is never 0); cadvisor also leaves out an unset quota.
	if c := st.CPU; c.PeriodUs != 0 {
		e.add(specCPUPeriod, c.PeriodUs)
	}
	if c := st.CPU; c.QuotaUs != 0 {
		e.add(specCPUQuota, c.QuotaUs)
	}
	if c := st.CPU; c.Shares != 0 {
		e.add(specCPUShares, c.Shares)
	}
	if m := st.Memory; m.Valid {
		e.add(memUsage, m.Usage)
		e.add(memMaxUsage, m.MaxUsage)
		e.add(memWorkingSet, m.WorkingSet)
		e.add(memRSS, m.RSS)
		e.add(memCache, m.Cache)
		e.add(memMappedFile, m.MappedFile)
		e.add(memSwap, m.Swap)
		e.add(memKernel, m.Kernel)
		e.add(memFailcnt, m.Failcnt)
		e.add(memFailures, m.PgFault, "pgfault", "container")
		e.add(memFailures, m.PgMajFault, "pgmajfault", "container")
		e.add(memFailures, m.HierPgFault, "pgfault", "hierarchy")
		e.add(memFailures, m.HierPgMajFault, "pgmajfault", "hierarchy")
		e.add(oomEvents, m.OOMKills)
		e.add(specMemLimit, limitValue(m.Limit))
		e.add(specMemReservation, limitValue(m.Reservation))
		e.add(specMemSwapLimit, limitValue(m.SwapLimit))
	}
	if st.Pids.Valid {
		e.add(threadsMax, limitValue(st.Pids.Max))
	}
	for _, d := range st.Blkio {
		dev := blockDeviceName(d.Major, d.Minor)
		major, minor := strconv.FormatUint(d.Major, 10), strconv.FormatUint(d.Minor, 10)
		e.add(fsReadBytes, d.ReadBytes, dev)
		e.add(fsWriteBytes, d.WriteBytes, dev)
		e.add(fsReads, d.Reads, dev)
		e.add(fsWrites, d.Writes, dev)
		e.add(blkioUsage, d.ReadBytes, dev, major, minor, "Read")
		e.add(blkioUsage, d.WriteBytes, dev, major, minor, "Write")
	}
	for _, h := range st.Hugetlb {
		e.add(hugetlbUsage, h.Usage, h.PageSize)
		if h.HasMaxUsage {
			e.add(hugetlbMaxUsage, h.MaxUsage, h.PageSize)
		}
	}
	if p := st.Pressure; p != nil {
		e.add(cpuWaiting, seconds(p.CPUSomeNs))
		e.add(cpuStalled, seconds(p.CPUFullNs))
		e.add(memWaiting, seconds(p.MemorySomeNs))
		e.add(memStalled, seconds(p.MemoryFullNs))
		e.add(ioWaiting, seconds(p.IOSomeNs))
		e.add(ioStalled, seconds(p.IOFullNs))
	}
}

// seconds truncates nanoseconds to whole seconds (see the note on the
// metric definitions).
func seconds(ns uint64) uint64 { return ns / uint64(time.Second) }

// unixSeconds is t in whole seconds since the epoch, 0 before it.
func unixSeconds(t time.Time) uint64 {
	if s := t.Unix(); s > 0 {
		return uint64(s)
	}
	return 0
}

// limitValue is how a limit appears in a metric: cadvisor's 0 for "none".
func limitValue(v uint64) uint64 {
	if v == Unlimited {
		return 0
	}
	return v
}

// cgroupID is the "id" label: the cgroup path, absolute as cadvisor shows it.
func cgroupID(cgroupPath string) string {
	if cgroupPath == "" {
		return ""
	}
	return cgroupDir(cgroupPath)
}
