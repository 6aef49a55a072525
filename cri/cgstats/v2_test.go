package cgstats

import (
	"os"
	"path/filepath"
	"testing"
)

// TestReadV2Files runs the v2 reader over a directory laid out as a pure
// cgroup v2 host shows a container with every controller enabled. This
// host may not be pure v2, so this is how the controller files the real
// v2 tests cannot reach (memory, io, pids, cpu.max) are covered; the text
// is copied from a Linux 6.x host, trimmed.
func TestReadV2Files(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "ocid", "abc")
	files := map[string]string{
		"cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n" +
			"nr_periods 40\nnr_throttled 7\nthrottled_usec 350000\nnr_bursts 0\nburst_usec 0\n",
		"cpu.weight":          "100\n",
		"cpu.max":             "20000 100000\n",
		"memory.current":      "41943040\n",
		"memory.peak":         "50331648\n",
		"memory.max":          "67108864\n",
		"memory.min":          "0\n",
		"memory.swap.max":     "max\n",
		"memory.swap.current": "4096\n",
		"memory.events":       "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n",
		"memory.stat": "anon 33554432\nfile 8388608\nkernel 1048576\nkernel_stack 65536\n" +
			"file_mapped 2097152\ninactive_file 6291456\nactive_file 2097152\n" +
			"pgfault 9000\npgmajfault 3\n",
		"io.stat":                  "254:0 rbytes=1048576 wbytes=4096 rios=16 wios=1 dbytes=0 dios=0\n253:0 rbytes=0 wbytes=8192 rios=0 wios=2 dbytes=0 dios=0\n",
		"pids.current":             "3\n",
		"pids.max":                 "max\n",
		"cpu.pressure":             "some avg10=0.00 avg60=0.00 avg300=0.00 total=2500000\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n",
		"memory.pressure":          "some avg10=0.00 avg60=0.00 avg300=0.00 total=7\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=5\n",
		"io.pressure":              "some avg10=1.50 avg60=0.20 avg300=0.04 total=300\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=200\n",
		"hugetlb.2MB.current":      "4194304\n",
		"hugetlb.1GB.current":      "0\n",
		"hugetlb.2MB.max":          "max\n",
		"hugetlb.2MB.rsvd.current": "0\n",
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	st, err := Hierarchy{Root: root, V2: true}.Read("/ocid/abc")
	if err != nil {
		t.Fatal(err)
	}

	wantCPU := CPU{Valid: true, UsageNs: 2500000000, UserNs: 2000000000, SystemNs: 500000000,
		Periods: 40, ThrottledPeriods: 7, ThrottledNs: 350000000,
		Shares: sharesFromWeight(100), QuotaUs: 20000, PeriodUs: 100000}
	if st.CPU != wantCPU {
		t.Errorf("CPU\n got %+v\nwant %+v", st.CPU, wantCPU)
	}
	wantMem := Memory{Valid: true, Usage: 41943040, MaxUsage: 50331648,
		WorkingSet: 41943040 - 6291456, RSS: 33554432, Cache: 8388608, MappedFile: 2097152,
		Swap: 4096, Kernel: 1048576, Failcnt: 12, OOMKills: 1,
		PgFault: 9000, PgMajFault: 3, HierPgFault: 9000, HierPgMajFault: 3,
		Limit: 67108864, SwapLimit: Unlimited, Reservation: 0}
	if st.Memory != wantMem {
		t.Errorf("memory\n got %+v\nwant %+v", st.Memory, wantMem)
	}
	if want := (Pids{Valid: true, Current: 3, Max: Unlimited}); st.Pids != want {
		t.Errorf("pids %+v, want %+v", st.Pids, want)
	}
	wantIO := []BlkioDevice{
		{Major: 253, Minor: 0, WriteBytes: 8192, Writes: 2},
		{Major: 254, Minor: 0, ReadBytes: 1048576, WriteBytes: 4096, Reads: 16, Writes: 1},
	}
	if len(st.Blkio) != len(wantIO) || st.Blkio[0] != wantIO[0] || st.Blkio[1] != wantIO[1] {
		t.Errorf("io %+v, want %+v", st.Blkio, wantIO)
	}
	wantPSI := Pressure{CPUSomeNs: 2500000000, CPUFullNs: 1000000000, MemorySomeNs: 7000,
		MemoryFullNs: 5000, IOSomeNs: 300000, IOFullNs: 200000}
	if st.Pressure == nil || *st.Pressure != wantPSI {
		t.Errorf("pressure %+v, want %+v", st.Pressure, wantPSI)
	}
	// Glob order: 1GB before 2MB; no max usage on v2; rsvd skipped.
	wantHuge := []Hugetlb{{PageSize: "1GB"}, {PageSize: "2MB", Usage: 4194304}}
	if len(st.Hugetlb) != 2 || st.Hugetlb[0] != wantHuge[0] || st.Hugetlb[1] != wantHuge[1] {
		t.Errorf("hugetlb %+v, want %+v", st.Hugetlb, wantHuge)
	}

	// A limited swap adds to the memory limit, as the CRI counts it.
	os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("1048576\n"), 0o644)
	st, err = Hierarchy{Root: root, V2: true}.Read("ocid/abc")
	if err != nil || st.Memory.SwapLimit != 67108864+1048576 {
		t.Errorf("swap limit %d, %v; want memory.max + memory.swap.max", st.Memory.SwapLimit, err)
	}

	// A malformed file is an error, and the rest is still read.
	os.WriteFile(filepath.Join(dir, "memory.events"), []byte("max twelve\n"), 0o644)
	st, err = Hierarchy{Root: root, V2: true}.Read("ocid/abc")
	if err == nil || st.Memory.Usage != 41943040 || st.CPU.UsageNs == 0 {
		t.Errorf("malformed memory.events: err %v, memory %+v", err, st.Memory)
	}
}

func TestSharesFromWeight(t *testing.T) {
	for _, tc := range []struct{ weight, shares uint64 }{
		{1, 2}, {39, 998}, {100, 2597}, {10000, 262144},
	} {
		if got := sharesFromWeight(tc.weight); got != tc.shares {
			t.Errorf("sharesFromWeight(%d) = %d, want %d", tc.weight, got, tc.shares)
		}
	}
}

// TestReadV1BlkioHugetlb covers v1 files this host leaves empty (its
// virtual disk keeps no per-cgroup I/O counts, and it has no hugetlb
// mount), in a directory laid out like a v1 host.
func TestReadV1BlkioHugetlb(t *testing.T) {
	root := t.TempDir()
	write := func(controller, name, text string) {
		dir := filepath.Join(root, controller, "ocid", "abc")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The throttle files are empty, so the BFQ ones are used.
	write("blkio", "blkio.throttle.io_service_bytes_recursive", "Total 0\n")
	write("blkio", "blkio.throttle.io_serviced_recursive", "Total 0\n")
	write("blkio", "blkio.bfq.io_service_bytes_recursive",
		"254:0 Read 1048576\n254:0 Write 8192\n254:0 Sync 1056768\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 1056768\n"+
			"7:1 Read 4096\n7:1 Write 0\n7:1 Total 4096\nTotal 1060864\n")
	write("blkio", "blkio.bfq.io_serviced_recursive", "254:0 Read 16\n254:0 Write 2\n254:0 Total 18\nTotal 18\n")
	write("hugetlb", "hugetlb.2MB.usage_in_bytes", "2097152\n")
	write("hugetlb", "hugetlb.2MB.max_usage_in_bytes", "6291456\n")
	write("hugetlb", "hugetlb.2MB.rsvd.usage_in_bytes", "0\n")

	st, err := Hierarchy{Root: root}.Read("/ocid/abc")
	if err != nil {
		t.Fatal(err)
	}
	want := []BlkioDevice{
		{Major: 7, Minor: 1, ReadBytes: 4096},
		{Major: 254, Minor: 0, ReadBytes: 1048576, WriteBytes: 8192, Reads: 16, Writes: 2},
	}
	if len(st.Blkio) != 2 || st.Blkio[0] != want[0] || st.Blkio[1] != want[1] {
		t.Errorf("blkio %+v, want %+v", st.Blkio, want)
	}
	wantHuge := Hugetlb{PageSize: "2MB", Usage: 2097152, MaxUsage: 6291456, HasMaxUsage: true}
	if len(st.Hugetlb) != 1 || st.Hugetlb[0] != wantHuge {
		t.Errorf("hugetlb %+v, want %+v", st.Hugetlb, wantHuge)
	}
	if st.CPU.Valid || st.Memory.Valid || st.Pids.Valid || st.Pressure != nil {
		t.Errorf("controllers that are not there read as valid: %+v", st)
	}
}
