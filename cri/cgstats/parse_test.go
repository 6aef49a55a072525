package cgstats

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// Each parser has a fuzz target that checks it never panics and that
// whatever it accepts survives a round trip: formatting the result back
// into the kernel's format and parsing that gives the same result. The
// seeds are the host's real files plus edge cases.

// hostFiles reads real kernel files to seed a fuzzer; missing ones are
// skipped.
func hostFiles(f *testing.F, patterns ...string) {
	for _, p := range patterns {
		names, _ := filepath.Glob(p)
		for _, n := range names {
			if b, err := os.ReadFile(n); err == nil {
				f.Add(string(b))
			}
		}
	}
}

func formatFlat(m map[string]uint64) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, "%s %d\n", k, m[k])
	}
	return b.String()
}

func FuzzParseFlatKeyed(f *testing.F) {
	hostFiles(f, "/sys/fs/cgroup/memory/memory.stat", "/sys/fs/cgroup/cpu/cpu.stat",
		"/sys/fs/cgroup/memory/*/memory.oom_control", "/sys/fs/cgroup/cpu.stat", "/sys/fs/cgroup/memory.stat")
	for _, s := range []string{"", "\n\n", "a 1", "a 1\na 2\n", "a -1", "a 1 2", "a", "a 18446744073709551616"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		m, err := parseFlatKeyed(data)
		if err != nil {
			if !errors.Is(err, errSyntax) {
				t.Fatalf("error %v does not wrap errSyntax", err)
			}
			return
		}
		again, err := parseFlatKeyed(formatFlat(m))
		if err != nil || !maps.Equal(m, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, m)
		}
	})
}

func TestParseFlatKeyed(t *testing.T) {
	m, err := parseFlatKeyed("nr_periods 4\nnr_throttled 3\n\nthrottled_time 194074312\n")
	if err != nil || !maps.Equal(m, map[string]uint64{"nr_periods": 4, "nr_throttled": 3, "throttled_time": 194074312}) {
		t.Errorf("got %v, %v", m, err)
	}
	for _, bad := range []string{"a", "a 1 2", "a -1", "a 1.5"} {
		if _, err := parseFlatKeyed(bad); err == nil {
			t.Errorf("parseFlatKeyed(%q) succeeded", bad)
		}
	}
}

func formatNested(m map[string]map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString(k)
		for _, sk := range slices.Sorted(maps.Keys(m[k])) {
			fmt.Fprintf(&b, " %s=%s", sk, m[k][sk])
		}
		b.WriteString("\n")
	}
	return b.String()
}

func FuzzParseNestedKeyed(f *testing.F) {
	hostFiles(f, "/sys/fs/cgroup/unified/*/cpu.pressure", "/sys/fs/cgroup/unified/*/io.pressure",
		"/sys/fs/cgroup/*/io.stat", "/proc/pressure/*")
	for _, s := range []string{
		"254:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0\n8:0\n",
		"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
		"a b", "a =1", "a b=", "a b=c=d", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		m, err := parseNestedKeyed(data)
		if err != nil {
			return
		}
		again, err := parseNestedKeyed(formatNested(m))
		if err != nil || !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, m)
		}
		// The consumers of the result must not panic either.
		psiTotals(m)
		for dev := range m {
			parseDevice(dev)
		}
	})
}

func formatBlkio(es []blkioEntry) string {
	var b strings.Builder
	for _, e := range es {
		fmt.Fprintf(&b, "%d:%d %s %d\n", e.Major, e.Minor, e.Op, e.Value)
	}
	b.WriteString("Total 0\n")
	return b.String()
}

func FuzzParseBlkioV1(f *testing.F) {
	hostFiles(f, "/sys/fs/cgroup/blkio/blkio.throttle.io_service*", "/sys/fs/cgroup/blkio/*/blkio.throttle.io_serviced")
	for _, s := range []string{"8:0 Read 4096\n8:0 Write 0\n8:0 Total 4096\nTotal 4096\n", "Total 0", "8:0 Read", "x:0 Read 1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		es, err := parseBlkioV1(data)
		if err != nil {
			return
		}
		again, err := parseBlkioV1(formatBlkio(es))
		if err != nil || !slices.Equal(es, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, es)
		}
	})
}

func formatNetDev(ifcs []NetInterface) string {
	var b strings.Builder
	b.WriteString("Inter-|   Receive\n face |bytes\n")
	for _, i := range ifcs {
		fmt.Fprintf(&b, "%s: %d %d %d %d 0 0 0 0 %d %d %d %d 0 0 0 0\n", i.Name,
			i.RxBytes, i.RxPackets, i.RxErrors, i.RxDropped, i.TxBytes, i.TxPackets, i.TxErrors, i.TxDropped)
	}
	return b.String()
}

func FuzzParseNetDev(f *testing.F) {
	hostFiles(f, "/proc/self/net/dev")
	f.Add("h\nh\n  eth0:123 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15\n")
	f.Add("h\nh\n: 1\n")
	f.Add("h\nh\neth0 1 2\n")
	f.Fuzz(func(t *testing.T, data string) {
		ifcs, err := parseNetDev(data)
		if err != nil {
			return
		}
		again, err := parseNetDev(formatNetDev(ifcs))
		if err != nil || !slices.Equal(ifcs, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, ifcs)
		}
	})
}

func TestParseNetDev(t *testing.T) {
	data := "Inter-|   Receive                                                |  Transmit\n" +
		" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n" +
		"    lo: 100 2 0 0 0 0 0 0 100 2 0 0 0 0 0 0\n" +
		"  eth0:123456789012 10 1 2 0 0 0 0 555 20 3 4 0 0 0 0\n"
	got, err := parseNetDev(data)
	want := []NetInterface{
		{Name: "lo", RxBytes: 100, RxPackets: 2, TxBytes: 100, TxPackets: 2},
		{Name: "eth0", RxBytes: 123456789012, RxPackets: 10, RxErrors: 1, RxDropped: 2,
			TxBytes: 555, TxPackets: 20, TxErrors: 3, TxDropped: 4},
	}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %+v, %v\nwant %+v", got, err, want)
	}
}

func formatLimits(ls []Ulimit) string {
	var b strings.Builder
	b.WriteString("Limit                     Soft Limit           Hard Limit           Units     \n")
	for _, l := range ls {
		soft := "unlimited"
		if l.Soft != Unlimited {
			soft = fmt.Sprint(l.Soft)
		}
		fmt.Fprintf(&b, "%-25s %-20s %-20s\n", l.Name, soft, "unlimited")
	}
	return b.String()
}

func FuzzParseLimits(f *testing.F) {
	hostFiles(f, "/proc/self/limits", "/proc/1/limits")
	f.Add("Max open files 18446744073709551615 18446744073709551615 files\n")
	f.Add("Max open files 1024\n")
	f.Add("1 2 3\n")
	f.Fuzz(func(t *testing.T, data string) {
		ls, err := parseLimits(data)
		if err != nil {
			return
		}
		again, err := parseLimits(formatLimits(ls))
		if err != nil || !slices.Equal(ls, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, ls)
		}
	})
}

func TestParseLimits(t *testing.T) {
	data := "Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max cpu time              unlimited            unlimited            seconds   \n" +
		"Max open files            12345678901234567890 12345678901234567890 files     \n" +
		"Max nice priority         0                    0                    \n"
	got, err := parseLimits(data)
	want := []Ulimit{{"max_cpu_time", Unlimited}, {"max_open_files", 12345678901234567890}, {"max_nice_priority", 0}}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
}

func escapeOctal(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			fmt.Fprintf(&b, "\\%03o", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func formatMountinfo(ms []mountEntry) string {
	var b strings.Builder
	for i, m := range ms {
		fmt.Fprintf(&b, "%d 1 %d:%d / %s rw shared:1 - ext4 %s rw\n", i+2, m.Major, m.Minor, escapeOctal(m.MountPoint), escapeOctal(m.Source))
	}
	return b.String()
}

func FuzzParseMountinfo(f *testing.F) {
	hostFiles(f, "/proc/self/mountinfo")
	f.Add(`36 35 98:0 /mnt1 /mnt\0402 rw,noatime master:1 - ext3 /dev/root rw,errors=continue` + "\n")
	f.Add("1 2 3:4 / / rw - x\n")
	f.Add(`1 2 3:4 / /a\\b\07 rw - x y z`)
	f.Fuzz(func(t *testing.T, data string) {
		ms, err := parseMountinfo(data)
		if err != nil {
			return
		}
		again, err := parseMountinfo(formatMountinfo(ms))
		if err != nil || !slices.Equal(ms, again) {
			t.Fatalf("round trip: %v, %v != %v", err, again, ms)
		}
	})
}

func TestUnescapeOctal(t *testing.T) {
	for in, want := range map[string]string{
		`/a\040b`: "/a b", `\134`: `\`, `\0`: `\0`, `a\`: `a\`, `\777x`: `\777x`, `\011\012`: "\t\n",
	} {
		if got := unescapeOctal(in); got != want {
			t.Errorf("unescapeOctal(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseLimit(f *testing.F) {
	for _, s := range []string{"max\n", "-1", "9223372036854771712\n", "67108864", "", "max 100000", "20000 100000\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		if v, err := parseLimit(data); err == nil && v != Unlimited {
			if again, err := parseLimit(fmt.Sprint(v)); err != nil || again != v {
				t.Fatalf("limit round trip: %d -> %d, %v", v, again, err)
			}
		}
		if q, p, err := parseCPUMax(data); err == nil {
			s := fmt.Sprintf("max %d", p)
			if q != 0 {
				s = fmt.Sprintf("%d %d", q, p)
			}
			if q2, p2, err := parseCPUMax(s); err != nil || q2 != q || p2 != p {
				t.Fatalf("cpu.max round trip: %d %d -> %d %d, %v", q, p, q2, p2, err)
			}
		}
	})
}
