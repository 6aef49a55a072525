package network

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Every test run claims a number N (0-255) and names its resources after
// it: the bridge and CNI network ocidtNNN, the subnet 10.213.N.0/24, netns
// pins under a directory named ocidtNNN-netns. The claim is an abstract
// unix socket held for the run, so runs side by side never collide, and a
// run finds what a killed run left by numbers nobody holds.
const (
	testPrefix  = "ocidt"
	testBlock   = "10.213" // /16 of the test subnets
	claimSocket = "@ocid-cri-network-test-"
)

var run struct {
	n       int
	bridge  string // also the CNI network name
	subnet  *net.IPNet
	dataDir string // host-local leases, one dir for the whole run
	claim   net.Listener
	before  map[string]bool // tool/table/chain that existed before the run
	// cleaned says a killed run's leftovers were removed: the shared
	// chains that existed before this run are then most likely its too.
	cleaned bool
}

var (
	tagRE = regexp.MustCompile(testPrefix + `(\d{3})`)
	// Shared chains the plugins create once per node and never remove, in
	// groups that are removed together, first chain being the one that
	// holds per-pod rules.
	sharedChains = map[string][][]string{
		"nat":    {{"CNI-HOSTPORT-DNAT", "CNI-HOSTPORT-SETMARK", "CNI-HOSTPORT-MASQ"}},
		"filter": {{"CNI-FORWARD", "CNI-ADMIN"}},
	}
	tools = []string{"iptables", "ip6tables"}
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	if err := checkHost(); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests:", err)
		return 1
	}
	if err := claimRun(); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests:", err)
		return 1
	}
	defer run.claim.Close()
	if err := cleanStale(); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests: cleaning up after an earlier run:", err)
		return 1
	}
	var err error
	if run.before, err = chainSet(); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests:", err)
		return 1
	}
	if run.dataDir, err = os.MkdirTemp("", run.bridge+"-ipam-"); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests:", err)
		return 1
	}
	code := m.Run()

	// Tests clean up after themselves and check they did; this is the
	// net for a failed one, then the proof that nothing is left.
	if err := cleanRun(run.n); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests: cleanup:", err)
		code = 1
	}
	if err := removeSharedChains(); err != nil {
		fmt.Fprintln(os.Stderr, "cri/network tests: cleanup:", err)
		code = 1
	}
	os.RemoveAll(run.dataDir)
	if left := leftovers(run.n); len(left) > 0 {
		fmt.Fprintf(os.Stderr, "cri/network tests: left behind:\n  %s\n", strings.Join(left, "\n  "))
		code = 1
	}
	return code
}

// checkHost fails loudly, naming the Debian package, when a tool the tests
// run for real is missing.
func checkHost() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("must run as root (network namespaces, bridges, iptables)")
	}
	for _, p := range []string{"bridge", "host-local", "portmap", "firewall", "tuning"} {
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p)); err != nil {
			return fmt.Errorf("CNI plugin %s missing: install the Debian package containernetworking-plugins (make deps): %w", p, err)
		}
	}
	for tool, pkg := range map[string]string{"iptables": "iptables", "ip6tables": "iptables", "iptables-save": "iptables", "ip": "iproute2"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s missing: install the Debian package %s (make deps): %w", tool, pkg, err)
		}
	}
	if out, err := exec.Command("iptables", "-w", "-t", "nat", "-S").CombinedOutput(); err != nil {
		return fmt.Errorf("iptables does not work here: %v: %s", err, out)
	}
	return nil
}

// claimRun picks a free number for this run and holds it.
func claimRun() error {
	for _, n := range rand.Perm(256) {
		subnet := &net.IPNet{IP: net.ParseIP(fmt.Sprintf("%s.%d.0", testBlock, n)).To4(), Mask: net.CIDRMask(24, 32)}
		if inUse, err := subnetInUse(subnet); err != nil {
			return err
		} else if inUse {
			continue
		}
		l, err := net.Listen("unix", claimSocket+strconv.Itoa(n))
		if err != nil {
			continue // another run holds it
		}
		if _, err := os.Stat("/sys/class/net/" + tagName(n)); err == nil {
			// A killed run's bridge: cleanStale removes it, but another
			// number is quicker than waiting for that.
			l.Close()
			continue
		}
		run.n, run.bridge, run.subnet, run.claim = n, tagName(n), subnet, l
		return nil
	}
	return fmt.Errorf("no free test subnet in %s.0.0/16", testBlock)
}

func tagName(n int) string { return fmt.Sprintf("%s%03d", testPrefix, n) }

// claimed tells whether a live run holds number n.
func claimed(n int) bool {
	if n == run.n && run.claim != nil {
		return true
	}
	l, err := net.Listen("unix", claimSocket+strconv.Itoa(n))
	if err != nil {
		return true
	}
	l.Close()
	return false
}

// subnetInUse tells whether the host has an address or route overlapping
// subnet (so the test bridge would shadow something real).
func subnetInUse(subnet *net.IPNet) (bool, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !strings.HasPrefix(a.String(), testBlock+".") && overlaps(ipn, subnet) {
			return true, nil
		}
	}
	data, err := os.ReadFile("/proc/net/route")
	if err != nil {
		return false, err
	}
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) < 8 || strings.HasPrefix(f[0], testPrefix) {
			continue
		}
		dst, err1 := strconv.ParseUint(f[1], 16, 32)
		mask, err2 := strconv.ParseUint(f[7], 16, 32)
		if err1 != nil || err2 != nil || mask == 0 {
			continue // the default route overlaps everything and is fine
		}
		ipn := &net.IPNet{IP: make(net.IP, 4), Mask: make(net.IPMask, 4)}
		binary.LittleEndian.PutUint32(ipn.IP, uint32(dst))
		binary.LittleEndian.PutUint32(ipn.Mask, uint32(mask))
		if overlaps(ipn, subnet) {
			return true, nil
		}
	}
	return false, nil
}

func overlaps(a, b *net.IPNet) bool { return a.Contains(b.IP) || b.Contains(a.IP) }

// runNumber is the test run a name or address belongs to, or -1.
func runNumber(s string) int {
	if m := tagRE.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	if ip := net.ParseIP(strings.SplitN(s, "/", 2)[0]).To4(); ip != nil && ip[0] == 10 && ip[1] == 213 {
		return int(ip[2])
	}
	return -1
}

// cleanStale removes what runs that are no longer alive left behind.
func cleanStale() error {
	stale := map[int]bool{}
	for _, n := range foundRuns() {
		if !claimed(n) {
			stale[n] = true
		}
	}
	for n := range stale {
		if err := cleanRun(n); err != nil {
			return err
		}
		run.cleaned = true
	}
	return nil
}

// foundRuns lists the run numbers that have anything on this host.
func foundRuns() []int {
	var ns []int
	add := func(s string) {
		if n := runNumber(s); n >= 0 && !slices.Contains(ns, n) {
			ns = append(ns, n)
		}
	}
	leftDirs, _ := filepath.Glob(filepath.Join(os.TempDir(), testPrefix+"*-ipam-*"))
	pinDirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "*", "*", testPrefix+"*-netns"))
	leftDirs = append(leftDirs, pinDirs...)
	for _, d := range leftDirs {
		add(filepath.Base(d))
	}
	links, _ := os.ReadDir("/sys/class/net")
	for _, l := range links {
		if strings.HasPrefix(l.Name(), testPrefix) {
			add(l.Name())
		}
	}
	for _, mp := range netnsMounts(-1) {
		add(mp)
	}
	for _, tool := range tools {
		for table := range sharedChains {
			rules, _ := listRules(context.Background(), tool, table, "")
			for _, r := range rules {
				for _, a := range r {
					add(a)
				}
			}
		}
	}
	return ns
}

// netnsMounts lists the mounted netns pins of run n (any run when n < 0).
func netnsMounts(n int) []string {
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 5 || !strings.Contains(f[4], "-netns/") {
			continue
		}
		if m := tagRE.FindStringSubmatch(f[4]); m != nil && (n < 0 || m[1] == fmt.Sprintf("%03d", n)) {
			out = append(out, unescapeMountinfo(f[4]))
		}
	}
	return out
}

func unescapeMountinfo(s string) string {
	// mountinfo escapes space, tab, newline and backslash as \ooo.
	return regexp.MustCompile(`\\[0-7]{3}`).ReplaceAllStringFunc(s, func(o string) string {
		v, _ := strconv.ParseUint(o[1:], 8, 8)
		return string(rune(v))
	})
}

// cleanRun removes everything of run n: netns pins (which frees the pod
// ends of its veths), iptables rules naming its network or subnet and the
// per-pod chains they jump to, and its bridge.
func cleanRun(n int) error {
	for _, mp := range netnsMounts(n) {
		if err := removeNetNS(mp); err != nil {
			return err
		}
	}
	ctx := context.Background()
	shared := map[string]bool{}
	for _, groups := range sharedChains {
		for _, g := range groups {
			for _, c := range g {
				shared[c] = true
			}
		}
	}
	for _, tool := range tools {
		for table := range sharedChains {
			rules, err := listRules(ctx, tool, table, "")
			if err != nil {
				return err
			}
			var chains []string
			for _, r := range rules {
				if !slices.ContainsFunc(r, func(a string) bool { return runNumber(a) == n }) {
					continue
				}
				if _, err := runIPTables(ctx, tool, r.deleteArgs(table)...); err != nil && !isNotExist(err) {
					return err
				}
				// The per-pod chains it jumps to or sits in go too: a run
				// killed half-way through a teardown leaves a chain whose
				// jump is gone already.
				for _, c := range []string{r.opt("-j"), r.chain()} {
					if strings.HasPrefix(c, "CNI-") && !shared[c] && !slices.Contains(chains, c) {
						chains = append(chains, c)
					}
				}
			}
			for _, c := range chains {
				if err := removeChain(ctx, tool, table, c); err != nil {
					return err
				}
			}
		}
	}
	if _, err := os.Stat("/sys/class/net/" + tagName(n)); err == nil {
		if out, err := exec.Command("ip", "link", "del", tagName(n)).CombinedOutput(); err != nil {
			return fmt.Errorf("ip link del %s: %v: %s", tagName(n), err, out)
		}
	}
	return removeRunFiles(n)
}

// removeRunFiles removes the temporary dirs of run n: the IPAM dir, and
// the test dirs (TMP/TestXxx/NNN/ocidtNNN-netns) its netns pins were in,
// which a killed run leaves behind. Its pins are unmounted by now.
func removeRunFiles(n int) error {
	tmp := os.TempDir()
	ipam, _ := filepath.Glob(filepath.Join(tmp, tagName(n)+"-ipam-*"))
	pins, _ := filepath.Glob(filepath.Join(tmp, "*", "*", tagName(n)+"-netns"))
	for _, p := range pins {
		rel, err := filepath.Rel(tmp, p)
		if err != nil {
			continue
		}
		ipam = append(ipam, filepath.Join(tmp, strings.Split(rel, string(filepath.Separator))[0]))
	}
	for _, d := range ipam {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
	}
	return nil
}

// chainSet lists tool/table/chain for the tables the plugins use.
func chainSet() (map[string]bool, error) {
	set := map[string]bool{}
	for _, tool := range tools {
		for table := range sharedChains {
			out, err := runIPTables(context.Background(), tool, "-t", table, "-S")
			if err != nil {
				return nil, err
			}
			for _, line := range strings.Split(out, "\n") {
				if f := strings.Fields(line); len(f) >= 2 && (f[0] == "-N" || f[0] == "-P") {
					set[tool+"/"+table+"/"+f[1]] = true
				}
			}
		}
	}
	return set, nil
}

// removeSharedChains removes the node-wide chains the plugins created
// during this run, once no pod of any network uses them, so a host where
// the tests ran first is left as it was.
func removeSharedChains() error {
	ctx := context.Background()
	now, err := chainSet()
	if err != nil {
		return err
	}
	for _, tool := range tools {
		for table, groups := range sharedChains {
			for _, g := range groups {
				if !groupRemovable(ctx, tool, table, g, now) {
					continue
				}
				rules, err := listRules(ctx, tool, table, "")
				if err != nil {
					return err
				}
				for _, r := range rules {
					if slices.Contains(g, r.opt("-j")) && !slices.Contains(g, r.chain()) {
						if _, err := runIPTables(ctx, tool, r.deleteArgs(table)...); err != nil && !isNotExist(err) {
							return err
						}
					}
				}
				for _, c := range g {
					if _, err := runIPTables(ctx, tool, "-t", table, "-F", c); err != nil && !isNotExist(err) {
						return err
					}
				}
				for _, c := range g {
					if _, err := runIPTables(ctx, tool, "-t", table, "-X", c); err != nil && !isNotExist(err) {
						return err
					}
				}
			}
		}
	}
	return nil
}

// groupRemovable: every chain of the group was made during this run (or
// by a killed run that this one cleaned up after), and none holds anything
// but jumps within the group and the plugins' static rules: no pod's
// rules, no administrator's (CNI-ADMIN is theirs).
func groupRemovable(ctx context.Context, tool, table string, g []string, now map[string]bool) bool {
	present := false
	for _, c := range g {
		key := tool + "/" + table + "/" + c
		if run.before[key] && !run.cleaned {
			return false
		}
		present = present || now[key]
	}
	if !present {
		return false
	}
	for _, c := range g {
		rules, err := listRules(ctx, tool, table, c)
		if err != nil {
			return false
		}
		for _, r := range rules {
			target := r.opt("-j")
			static := slices.Contains(g, target) ||
				(c == "CNI-HOSTPORT-MASQ" && target == "MASQUERADE") ||
				(c == "CNI-HOSTPORT-SETMARK" && target == "MARK")
			if !static {
				return false
			}
		}
	}
	return true
}

// leftovers describes what of run n is still on the host.
func leftovers(n int) []string {
	var out []string
	if _, err := os.Stat("/sys/class/net/" + tagName(n)); err == nil {
		out = append(out, "link "+tagName(n))
	}
	for _, mp := range netnsMounts(n) {
		out = append(out, "netns mount "+mp)
	}
	for _, tool := range []string{"iptables-save", "ip6tables-save"} {
		data, err := exec.Command(tool).Output()
		if err != nil {
			out = append(out, fmt.Sprintf("%s: %v", tool, err))
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.Contains(line, tagName(n)) || strings.Contains(line, fmt.Sprintf("%s.%d.", testBlock, n)) {
				out = append(out, tool+": "+line)
			}
		}
	}
	if _, err := os.Stat(run.dataDir); err == nil {
		out = append(out, "ipam dir "+run.dataDir)
	}
	return out
}

// randomID is a sandbox id like the CRI's: 64 hex digits.
func randomID() string {
	var b [32]byte
	binary.LittleEndian.PutUint64(b[:], rand.Uint64())
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64())
	binary.LittleEndian.PutUint64(b[16:], rand.Uint64())
	binary.LittleEndian.PutUint64(b[24:], rand.Uint64())
	return hex.EncodeToString(b[:])
}

// waitFor polls cond until it returns nil or the deadline passes: for what
// the kernel does asynchronously (a namespace's links vanish after its
// last reference is gone).
func waitFor(t *testing.T, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// threadNetNS is the netns inode of each thread of this process.
func threadNetNS(t *testing.T) map[string]string {
	t.Helper()
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, task := range tasks {
		l, err := os.Readlink("/proc/self/task/" + task.Name() + "/ns/net")
		if err == nil {
			out[task.Name()] = l
		}
	}
	return out
}
