package spec

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func testImage() *image.Config {
	var c image.Config
	c.Config = ocispec.ImageConfig{
		Entrypoint: []string{"/bin/app"},
		Cmd:        []string{"--serve"},
		Env:        []string{"FOO=image", "BAR=image"},
		WorkingDir: "/srv",
	}
	return &c
}

// generateOK generates and validates a spec, failing the test on error.
func generateOK(t *testing.T, img *image.Config, o Options) *specs.Spec {
	t.Helper()
	if o.Rootfs == "" {
		o.Rootfs = makeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	}
	s, err := Generate(img, o)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	writeBundle(t, s)
	return s
}

func mountOf(s *specs.Spec, dest string) *specs.Mount {
	for i := range s.Mounts {
		if s.Mounts[i].Destination == dest {
			return &s.Mounts[i]
		}
	}
	return nil
}

func envOf(s *specs.Spec, key string) (string, bool) {
	for _, kv := range s.Process.Env {
		if k, v, _ := strings.Cut(kv, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestGenerateDefaults(t *testing.T) {
	s := generateOK(t, testImage(), Options{})

	if want := []string{"/bin/app", "--serve"}; !reflect.DeepEqual(s.Process.Args, want) {
		t.Errorf("args %q, want %q", s.Process.Args, want)
	}
	if want := []string{"FOO=image", "BAR=image", "PATH=" + DefaultPath, "HOME=/root"}; !reflect.DeepEqual(s.Process.Env, want) {
		t.Errorf("env %q, want %q", s.Process.Env, want)
	}
	if s.Process.Cwd != "/srv" || s.Process.User.UID != 0 || s.Process.User.GID != 0 || s.Process.Terminal || s.Process.NoNewPrivileges {
		t.Errorf("process %+v", s.Process)
	}
	caps := s.Process.Capabilities
	want := []string{"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE"}
	for name, set := range map[string][]string{"bounding": caps.Bounding, "effective": caps.Effective, "permitted": caps.Permitted} {
		if !reflect.DeepEqual(set, want) {
			t.Errorf("%s capabilities %q, want %q", name, set, want)
		}
	}
	if len(caps.Inheritable) != 0 || len(caps.Ambient) != 0 {
		t.Errorf("inheritable %q ambient %q, want none", caps.Inheritable, caps.Ambient)
	}
	if s.Root.Readonly || s.Hostname != "" {
		t.Errorf("root %+v hostname %q", s.Root, s.Hostname)
	}

	var dests []string
	for _, m := range s.Mounts {
		dests = append(dests, m.Destination)
	}
	if want := []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"}; !reflect.DeepEqual(dests, want) {
		t.Errorf("mounts %q, want %q", dests, want)
	}
	if m := mountOf(s, "/sys"); m.Type != "sysfs" || !slices.Contains(m.Options, "ro") {
		t.Errorf("/sys %+v, want read-only sysfs", m)
	}
	if m := mountOf(s, "/sys/fs/cgroup"); m.Type != "cgroup" || !slices.Contains(m.Options, "ro") {
		t.Errorf("/sys/fs/cgroup %+v, want read-only cgroup", m)
	}
	if m := mountOf(s, "/dev/shm"); !slices.Contains(m.Options, "size=65536k") {
		t.Errorf("/dev/shm %+v, want 64 MiB", m)
	}
	if m := mountOf(s, "/dev/pts"); !slices.Contains(m.Options, "gid=5") || !slices.Contains(m.Options, "newinstance") {
		t.Errorf("/dev/pts %+v", m)
	}

	l := s.Linux
	if !reflect.DeepEqual(l.MaskedPaths, DefaultMaskedPaths()) || !reflect.DeepEqual(l.ReadonlyPaths, DefaultReadonlyPaths()) {
		t.Errorf("masked %q readonly %q", l.MaskedPaths, l.ReadonlyPaths)
	}
	var nsTypes []specs.LinuxNamespaceType
	for _, ns := range l.Namespaces {
		if ns.Path != "" {
			t.Errorf("namespace %+v joins, want new", ns)
		}
		nsTypes = append(nsTypes, ns.Type)
	}
	if want := []specs.LinuxNamespaceType{"mount", "pid", "ipc", "uts", "network"}; !reflect.DeepEqual(nsTypes, want) {
		t.Errorf("namespaces %q, want %q", nsTypes, want)
	}
	var devs []string
	for _, d := range l.Devices {
		devs = append(devs, d.Path)
	}
	if want := []string{"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"}; !reflect.DeepEqual(devs, want) {
		t.Errorf("devices %q, want %q", devs, want)
	}
	if r := l.Resources.Devices; len(r) != 9 || r[0].Allow || r[0].Access != "rwm" {
		t.Errorf("device rules %+v, want deny all then 8 allows", r)
	}
	if l.Resources.CPU != nil || l.Resources.Memory != nil || l.Resources.Pids != nil {
		t.Errorf("resources %+v, want none", l.Resources)
	}

	sc := l.Seccomp
	if sc == nil || sc.DefaultAction != specs.ActErrno || len(sc.Syscalls) == 0 {
		t.Fatalf("seccomp %+v, want the default profile", sc)
	}
	if runtime.GOARCH == "amd64" {
		want := []specs.Arch{specs.ArchX86_64, specs.ArchX86}
		if kernelRunsX32() {
			want = append(want, specs.ArchX32)
		}
		if !reflect.DeepEqual(sc.Architectures, want) {
			t.Errorf("seccomp architectures %q, want %q (kernel runs x32: %v)", sc.Architectures, want, kernelRunsX32())
		}
	}
}

func TestRunnableArchitectures(t *testing.T) {
	all := []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}
	if got := runnableArchitectures(all, true); !reflect.DeepEqual(got, all) {
		t.Errorf("with x32: %q", got)
	}
	if got := runnableArchitectures(all, false); !reflect.DeepEqual(got, []specs.Arch{specs.ArchX86_64, specs.ArchX86}) {
		t.Errorf("without x32: %q", got)
	}
	if &all[0] == &runnableArchitectures(all, false)[0] {
		t.Error("the profile's own slice was changed")
	}
	arm := []specs.Arch{specs.ArchAARCH64, specs.ArchARM}
	if got := runnableArchitectures(arm, false); !reflect.DeepEqual(got, arm) {
		t.Errorf("arm64: %q", got)
	}
}

// seccompAllows reports whether the profile has an allow rule naming call.
func seccompAllows(s *specs.Spec, call string) bool {
	for _, r := range s.Linux.Seccomp.Syscalls {
		if r.Action == specs.ActAllow && slices.Contains(r.Names, call) {
			return true
		}
	}
	return false
}

func TestGenerateOptions(t *testing.T) {
	seccompFile := filepath.Join(t.TempDir(), "profile.json")
	if err := os.WriteFile(seccompFile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	null, err := HostDevice("/dev/null", "/dev/mynull", "rw")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		img   func(*image.Config)
		opts  Options
		check func(t *testing.T, s *specs.Spec)
	}{
		{name: "Command replaces entrypoint and drops cmd", opts: Options{Command: []string{"/bin/sh"}},
			check: func(t *testing.T, s *specs.Spec) { wantArgs(t, s, "/bin/sh") }},
		{name: "Command and Args", opts: Options{Command: []string{"/bin/sh"}, Args: []string{"-c", "true"}},
			check: func(t *testing.T, s *specs.Spec) { wantArgs(t, s, "/bin/sh", "-c", "true") }},
		{name: "Args replace cmd only", opts: Options{Args: []string{"--debug"}},
			check: func(t *testing.T, s *specs.Spec) { wantArgs(t, s, "/bin/app", "--debug") }},
		{name: "empty entrypoint is none", img: func(c *image.Config) { c.Config.Entrypoint = []string{""} },
			check: func(t *testing.T, s *specs.Spec) { wantArgs(t, s, "--serve") }},
		{name: "nil image", img: nil, opts: Options{Command: []string{"/bin/true"}},
			check: func(t *testing.T, s *specs.Spec) {
				wantArgs(t, s, "/bin/true")
				if s.Process.Cwd != "/" {
					t.Errorf("cwd %q, want /", s.Process.Cwd)
				}
			}},
		{name: "env overrides by key in place", opts: Options{Env: []string{"BAR=opt", "NEW=1", "FOO=opt", "PATH=/x"}, Hostname: "web", Terminal: true},
			check: func(t *testing.T, s *specs.Spec) {
				want := []string{"HOSTNAME=web", "FOO=opt", "BAR=opt", "NEW=1", "PATH=/x", "HOME=/root", "TERM=xterm"}
				if !reflect.DeepEqual(s.Process.Env, want) {
					t.Errorf("env %q, want %q", s.Process.Env, want)
				}
				if s.Hostname != "web" || !s.Process.Terminal {
					t.Errorf("hostname %q terminal %v", s.Hostname, s.Process.Terminal)
				}
			}},
		{name: "image HOME and TERM win over defaults", img: func(c *image.Config) { c.Config.Env = []string{"HOME=/h", "TERM=vt100"} }, opts: Options{Terminal: true},
			check: func(t *testing.T, s *specs.Spec) {
				if h, _ := envOf(s, "HOME"); h != "/h" {
					t.Errorf("HOME %q", h)
				}
				if v, _ := envOf(s, "TERM"); v != "vt100" {
					t.Errorf("TERM %q", v)
				}
			}},
		{name: "working dir", opts: Options{WorkingDir: "/data/../work/"},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Process.Cwd != "/work" {
					t.Errorf("cwd %q", s.Process.Cwd)
				}
			}},
		{name: "image user", img: func(c *image.Config) { c.Config.User = "bob" },
			check: func(t *testing.T, s *specs.Spec) {
				wantUser(t, s, specs.User{UID: 1001, GID: 1001, AdditionalGids: []uint32{2000}})
				if h, _ := envOf(s, "HOME"); h != "/home/bob" {
					t.Errorf("HOME %q", h)
				}
			}},
		{name: "user overrides image user", img: func(c *image.Config) { c.Config.User = "bob" }, opts: Options{User: "alice:ops", AdditionalGIDs: []int64{5000, 2000}},
			check: func(t *testing.T, s *specs.Spec) {
				wantUser(t, s, specs.User{UID: 1000, GID: 2001, AdditionalGids: []uint32{2000, 2001, 5000}})
			}},
		{name: "strict groups", opts: Options{User: "alice", AdditionalGIDs: []int64{5000}, SupplementalGroupsPolicy: SupplementalGroupsStrict},
			check: func(t *testing.T, s *specs.Spec) {
				wantUser(t, s, specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{5000}})
			}},
		{name: "numeric user", opts: Options{User: "4242"},
			check: func(t *testing.T, s *specs.Spec) {
				wantUser(t, s, specs.User{UID: 4242})
				if h, _ := envOf(s, "HOME"); h != "/" {
					t.Errorf("HOME %q", h)
				}
			}},
		{name: "cap add and drop", opts: Options{CapAdd: []string{"net_admin", "CAP_SYS_TIME", "KILL"}, CapDrop: []string{"chown", "SYS_TIME"}},
			check: func(t *testing.T, s *specs.Spec) {
				wantCaps(t, s, "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_ADMIN")
			}},
		{name: "drop ALL then add", opts: Options{CapDrop: []string{"ALL"}, CapAdd: []string{"NET_BIND_SERVICE"}},
			check: func(t *testing.T, s *specs.Spec) { wantCaps(t, s, "CAP_NET_BIND_SERVICE") }},
		{name: "drop ALL", opts: Options{CapDrop: []string{"all"}},
			check: func(t *testing.T, s *specs.Spec) { wantCaps(t, s) }},
		{name: "add ALL", opts: Options{CapAdd: []string{"ALL"}, CapDrop: []string{"SYS_ADMIN"}},
			check: func(t *testing.T, s *specs.Spec) {
				b := s.Process.Capabilities.Bounding
				if len(b) != len(grantableCapabilities())-1 || slices.Contains(b, "CAP_SYS_ADMIN") {
					t.Errorf("bounding %q", b)
				}
			}},
		{name: "seccomp default follows capabilities", opts: Options{CapAdd: []string{"SYS_ADMIN"}},
			check: func(t *testing.T, s *specs.Spec) {
				if !seccompAllows(s, "mount") {
					t.Error("CAP_SYS_ADMIN added but mount not allowed by seccomp")
				}
			}},
		{name: "seccomp default without SYS_ADMIN", opts: Options{},
			check: func(t *testing.T, s *specs.Spec) {
				if seccompAllows(s, "mount") {
					t.Error("mount allowed without CAP_SYS_ADMIN")
				}
			}},
		{name: "seccomp unconfined", opts: Options{Seccomp: Seccomp{Kind: SeccompUnconfined}},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Linux.Seccomp != nil {
					t.Errorf("seccomp %+v", s.Linux.Seccomp)
				}
			}},
		{name: "seccomp localhost", opts: Options{Seccomp: Seccomp{Kind: SeccompLocalhost, LocalhostPath: seccompFile}},
			check: func(t *testing.T, s *specs.Spec) {
				sc := s.Linux.Seccomp
				if sc == nil || sc.DefaultAction != specs.ActAllow || len(sc.Syscalls) != 1 || sc.Syscalls[0].Action != specs.ActErrno {
					t.Errorf("seccomp %+v", sc)
				}
			}},
		{name: "privileged", opts: Options{Privileged: true, CapDrop: []string{"ALL"}, MaskedPaths: []string{"/proc/kcore"}},
			check: func(t *testing.T, s *specs.Spec) {
				if got := s.Process.Capabilities.Bounding; !reflect.DeepEqual(got, grantableCapabilities()) {
					t.Errorf("bounding %q, want all", got)
				}
				if s.Linux.Seccomp != nil || s.Linux.MaskedPaths != nil || s.Linux.ReadonlyPaths != nil {
					t.Errorf("seccomp %v masked %q readonly %q", s.Linux.Seccomp != nil, s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
				}
				if m := mountOf(s, "/sys"); slices.Contains(m.Options, "ro") {
					t.Errorf("/sys %+v, want rw", m)
				}
				if m := mountOf(s, "/sys/fs/cgroup"); slices.Contains(m.Options, "ro") {
					t.Errorf("/sys/fs/cgroup %+v, want rw", m)
				}
				if r := s.Linux.Resources.Devices; len(r) != 1 || !r[0].Allow || r[0].Type != "" {
					t.Errorf("device rules %+v, want allow all", r)
				}
				if !slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return d.Path == "/dev/null" }) ||
					slices.ContainsFunc(s.Linux.Devices, func(d specs.LinuxDevice) bool { return strings.HasPrefix(d.Path, "/dev/pts/") }) {
					t.Errorf("devices %+v: want the host's, without /dev/pts", s.Linux.Devices)
				}
			}},
		{name: "no new privileges", opts: Options{NoNewPrivileges: true},
			check: func(t *testing.T, s *specs.Spec) {
				if !s.Process.NoNewPrivileges {
					t.Error("noNewPrivileges unset")
				}
			}},
		{name: "masked and readonly paths given", opts: Options{MaskedPaths: []string{}, ReadonlyPaths: []string{"/proc/sys/"}},
			check: func(t *testing.T, s *specs.Spec) {
				if len(s.Linux.MaskedPaths) != 0 || !reflect.DeepEqual(s.Linux.ReadonlyPaths, []string{"/proc/sys"}) {
					t.Errorf("masked %q readonly %q", s.Linux.MaskedPaths, s.Linux.ReadonlyPaths)
				}
			}},
		{name: "read-only rootfs", opts: Options{ReadOnlyRootfs: true},
			check: func(t *testing.T, s *specs.Spec) {
				if !s.Root.Readonly {
					t.Error("root not read-only")
				}
			}},
		{name: "mounts", opts: Options{Mounts: []Mount{
			{Source: "/var/lib/data/sub", Destination: "/data/sub", ReadOnly: true, RecursiveReadOnly: true},
			{Source: "/var/lib/data", Destination: "/data", Propagation: PropagationSlave},
			{Type: MountTmpfs, Destination: "/dev/shm", TmpfsSize: 1 << 20, TmpfsMode: 0o700, Options: []string{"exec"}},
			{Source: "/run/shared", Destination: "/shared", Propagation: PropagationShared, Options: []string{"nosuid"}},
		}},
			check: func(t *testing.T, s *specs.Spec) {
				n := len(s.Mounts)
				var tail []string
				for _, m := range s.Mounts[n-4:] {
					tail = append(tail, m.Destination)
				}
				if want := []string{"/data", "/shared", "/data/sub", "/dev/shm"}; !reflect.DeepEqual(tail, want) {
					t.Errorf("user mounts in order %q, want %q", tail, want)
				}
				wantMount(t, s, "/data/sub", "bind", "/var/lib/data/sub", "rbind", "rprivate", "ro", "rro")
				wantMount(t, s, "/data", "bind", "/var/lib/data", "rbind", "rslave", "rw")
				wantMount(t, s, "/dev/shm", "tmpfs", "tmpfs", "noexec", "nosuid", "nodev", "mode=700", "size=1048576", "exec")
				wantMount(t, s, "/shared", "bind", "/run/shared", "rbind", "rshared", "rw", "nosuid")
				if s.Linux.RootfsPropagation != "rshared" {
					t.Errorf("rootfs propagation %q", s.Linux.RootfsPropagation)
				}
				if strings.Count(strings.Join(mountDests(s), ","), "/dev/shm") != 1 {
					t.Errorf("/dev/shm mounted twice: %q", mountDests(s))
				}
			}},
		{name: "slave propagation", opts: Options{Mounts: []Mount{{Source: "/mnt", Destination: "/mnt", Propagation: PropagationSlave}}},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Linux.RootfsPropagation != "rslave" {
					t.Errorf("rootfs propagation %q", s.Linux.RootfsPropagation)
				}
			}},
		{name: "pod namespaces", opts: Options{Hostname: "pod", Namespaces: []Namespace{
			{Type: specs.NetworkNamespace, Path: "/run/ocid/ns/net-1"},
			{Type: specs.IPCNamespace, Path: "/run/ocid/ns/ipc-1"},
			{Type: specs.UTSNamespace, Path: "/run/ocid/ns/uts-1"},
			{Type: specs.CgroupNamespace},
		}},
			check: func(t *testing.T, s *specs.Spec) {
				want := []specs.LinuxNamespace{{Type: "mount"}, {Type: "pid"}, {Type: "ipc", Path: "/run/ocid/ns/ipc-1"},
					{Type: "uts", Path: "/run/ocid/ns/uts-1"}, {Type: "network", Path: "/run/ocid/ns/net-1"}, {Type: "cgroup"}}
				if !reflect.DeepEqual(s.Linux.Namespaces, want) {
					t.Errorf("namespaces %+v", s.Linux.Namespaces)
				}
				if s.Hostname != "pod" || mountOf(s, "/sys").Type != "sysfs" {
					t.Errorf("hostname %q /sys %+v", s.Hostname, mountOf(s, "/sys"))
				}
			}},
		{name: "host network, uts and pid", opts: Options{Hostname: "node", Namespaces: []Namespace{
			{Type: specs.NetworkNamespace, Host: true}, {Type: specs.UTSNamespace, Host: true}, {Type: specs.PIDNamespace, Host: true}}},
			check: func(t *testing.T, s *specs.Spec) {
				for _, ns := range s.Linux.Namespaces {
					if ns.Type == "network" || ns.Type == "uts" || ns.Type == "pid" {
						t.Errorf("namespace %q not shared with the host", ns.Type)
					}
				}
				if s.Hostname != "" {
					t.Errorf("hostname %q set without a UTS namespace", s.Hostname)
				}
				if v, _ := envOf(s, "HOSTNAME"); v != "node" {
					t.Errorf("HOSTNAME %q", v)
				}
				m := mountOf(s, "/sys")
				if m.Type != "bind" || m.Source != "/sys" || !slices.Contains(m.Options, "rbind") || !slices.Contains(m.Options, "ro") {
					t.Errorf("/sys %+v, want a read-only rbind of the host's", m)
				}
			}},
		{name: "user namespace", opts: Options{UserNS: &UserNamespace{
			UIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}},
			GIDMappings: []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 4}},
		}},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Linux.Namespaces[0].Type != specs.UserNamespace || len(s.Linux.UIDMappings) != 1 || len(s.Linux.GIDMappings) != 1 {
					t.Errorf("namespaces %+v uid %+v gid %+v", s.Linux.Namespaces, s.Linux.UIDMappings, s.Linux.GIDMappings)
				}
				if slices.Contains(mountOf(s, "/dev/pts").Options, "gid=5") {
					t.Error("gid=5 on /dev/pts but gid 5 is not mapped")
				}
			}},
		{name: "sysctls", opts: Options{Sysctls: map[string]string{"net.ipv4.ip_forward": "1", "net/ipv4/conf/eth0.100/forwarding": "1", "kernel.shmmax": "1024", "fs.mqueue.msg_max": "20"}},
			check: func(t *testing.T, s *specs.Spec) {
				want := map[string]string{"net.ipv4.ip_forward": "1", "net.ipv4.conf.eth0/100.forwarding": "1", "kernel.shmmax": "1024", "fs.mqueue.msg_max": "20"}
				if !reflect.DeepEqual(s.Linux.Sysctl, want) {
					t.Errorf("sysctls %v", s.Linux.Sysctl)
				}
			}},
		{name: "extra device", opts: Options{Devices: []Device{null, {Path: "/dev/fuse", Type: "c", Major: 10, Minor: 229}}},
			check: func(t *testing.T, s *specs.Spec) {
				d := s.Linux.Devices[len(s.Linux.Devices)-2]
				if d.Path != "/dev/mynull" || d.Major != 1 || d.Minor != 3 || d.Type != "c" {
					t.Errorf("device %+v", d)
				}
				r := s.Linux.Resources.Devices
				last := r[len(r)-2:]
				if *last[0].Major != 1 || *last[0].Minor != 3 || last[0].Access != "rw" || *last[1].Minor != 229 || last[1].Access != "rwm" {
					t.Errorf("device rules %+v %+v", last[0], last[1])
				}
			}},
		{name: "resources", opts: Options{CgroupsPath: "/ocid/abc", OOMScoreAdj: ptr(500), Resources: Resources{
			CPUShares: 512, CPUQuota: 50000, CPUPeriod: 100000, CPUSetCPUs: "0-1", CPUSetMems: "0",
			MemoryLimit: 64 << 20, MemorySwapLimit: 128 << 20, PidsLimit: 100,
			Hugepages: map[string]uint64{"2MB": 4 << 20, "1GB": 0}, Unified: map[string]string{"memory.high": "max"},
		}},
			check: func(t *testing.T, s *specs.Spec) {
				r := s.Linux.Resources
				if *r.CPU.Shares != 512 || *r.CPU.Quota != 50000 || *r.CPU.Period != 100000 || r.CPU.Cpus != "0-1" || r.CPU.Mems != "0" {
					t.Errorf("cpu %+v", r.CPU)
				}
				if *r.Memory.Limit != 64<<20 || *r.Memory.Swap != 128<<20 || *r.Pids.Limit != 100 {
					t.Errorf("memory %+v pids %+v", r.Memory, r.Pids)
				}
				if want := []specs.LinuxHugepageLimit{{Pagesize: "1GB"}, {Pagesize: "2MB", Limit: 4 << 20}}; !reflect.DeepEqual(r.HugepageLimits, want) {
					t.Errorf("hugepages %+v", r.HugepageLimits)
				}
				if r.Unified["memory.high"] != "max" || s.Linux.CgroupsPath != "/ocid/abc" || *s.Process.OOMScoreAdj != 500 {
					t.Errorf("unified %v cgroups %q oom %d", r.Unified, s.Linux.CgroupsPath, *s.Process.OOMScoreAdj)
				}
			}},
		{name: "systemd cgroups path", opts: Options{CgroupsPath: "kubepods-pod1.slice:ocid:abc"},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Linux.CgroupsPath != "kubepods-pod1.slice:ocid:abc" {
					t.Errorf("cgroups path %q", s.Linux.CgroupsPath)
				}
			}},
		{name: "rlimits", opts: Options{Rlimits: []specs.POSIXRlimit{{Type: "nofile", Soft: 1024, Hard: 4096}}},
			check: func(t *testing.T, s *specs.Spec) {
				if want := []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}}; !reflect.DeepEqual(s.Process.Rlimits, want) {
					t.Errorf("rlimits %+v", s.Process.Rlimits)
				}
			}},
		{name: "pass through", opts: Options{Annotations: map[string]string{"a": "b"}, ApparmorProfile: "ocid-default", SelinuxLabel: "system_u:system_r:container_t:s0"},
			check: func(t *testing.T, s *specs.Spec) {
				if s.Annotations["a"] != "b" || s.Process.ApparmorProfile != "ocid-default" || s.Process.SelinuxLabel != "system_u:system_r:container_t:s0" {
					t.Errorf("annotations %v apparmor %q selinux %q", s.Annotations, s.Process.ApparmorProfile, s.Process.SelinuxLabel)
				}
			}},
		// Annotations the OCI runtime acts on never come from outside:
		// a run.oci.seccomp_bpf_data of the pod's would replace its
		// seccomp filter under crun.
		{name: "runtime annotations dropped", opts: Options{Annotations: map[string]string{
			"a": "b", "run.oci.seccomp_bpf_data": "AAAAAAAA", "run.oci.keep_original_groups": "1",
			"org.systemd.property.TasksMax": "infinity", "run.ocid": "kept"}},
			check: func(t *testing.T, s *specs.Spec) {
				if want := map[string]string{"a": "b", "run.ocid": "kept"}; !reflect.DeepEqual(s.Annotations, want) {
					t.Errorf("annotations %v, want %v", s.Annotations, want)
				}
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			img := testImage()
			if c.img != nil {
				c.img(img)
			}
			if c.name == "nil image" {
				img = nil
			}
			c.check(t, generateOK(t, img, c.opts))
		})
	}
}

func wantArgs(t *testing.T, s *specs.Spec, args ...string) {
	t.Helper()
	if !reflect.DeepEqual(s.Process.Args, args) {
		t.Errorf("args %q, want %q", s.Process.Args, args)
	}
}

func wantUser(t *testing.T, s *specs.Spec, u specs.User) {
	t.Helper()
	if !reflect.DeepEqual(s.Process.User, u) {
		t.Errorf("user %+v, want %+v", s.Process.User, u)
	}
}

func wantCaps(t *testing.T, s *specs.Spec, caps ...string) {
	t.Helper()
	c := s.Process.Capabilities
	if len(caps) == 0 {
		caps = nil
	}
	if !reflect.DeepEqual(c.Bounding, caps) || !reflect.DeepEqual(c.Effective, caps) || !reflect.DeepEqual(c.Permitted, caps) {
		t.Errorf("capabilities %q, want %q", c.Bounding, caps)
	}
}

func wantMount(t *testing.T, s *specs.Spec, dest, typ, src string, opts ...string) {
	t.Helper()
	m := mountOf(s, dest)
	if m == nil || m.Type != typ || m.Source != src || !reflect.DeepEqual(m.Options, opts) {
		t.Errorf("mount %s: %+v, want %s from %s with %q", dest, m, typ, src, opts)
	}
}

func mountDests(s *specs.Spec) []string {
	var out []string
	for _, m := range s.Mounts {
		out = append(out, m.Destination)
	}
	return out
}

// TestGenerateInvalid: every bad input is ErrInvalidArgument and its
// message names the bad value.
func TestGenerateInvalid(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		bad  string // must appear in the message
	}{
		{"relative rootfs", Options{Rootfs: "rootfs"}, "rootfs"},
		{"unknown capability", Options{CapAdd: []string{"NET_ADMN"}}, "NET_ADMN"},
		{"unknown capability in drop", Options{CapDrop: []string{"CAP_FOO"}}, "CAP_FOO"},
		{"unknown capability when privileged", Options{Privileged: true, CapAdd: []string{"BOGUS"}}, "BOGUS"},
		{"unknown user", Options{User: "mallory"}, "mallory"},
		{"unknown group", Options{User: "alice:nogroup"}, "nogroup"},
		{"bad additional gid", Options{AdditionalGIDs: []int64{-1}}, "-1"},
		{"no command", Options{Command: nil, Args: nil}, "no command"},
		{"NUL in arg", Options{Args: []string{"a\x00b"}}, "a\\x00b"},
		{"bad env", Options{Env: []string{"=x"}}, "=x"},
		{"relative working dir", Options{WorkingDir: "work"}, "work"},
		{"relative mount destination", Options{Mounts: []Mount{{Source: "/a", Destination: "data"}}}, "data"},
		{"root mount", Options{Mounts: []Mount{{Source: "/a", Destination: "/"}}}, `"/"`},
		{"relative bind source", Options{Mounts: []Mount{{Source: "a", Destination: "/a"}}}, `"a"`},
		{"bad mount option", Options{Mounts: []Mount{{Source: "/a", Destination: "/a", Options: []string{"suid=0"}}}}, "suid=0"},
		{"ro as option", Options{Mounts: []Mount{{Source: "/a", Destination: "/a", Options: []string{"ro"}}}}, `"ro"`},
		{"bad propagation", Options{Mounts: []Mount{{Source: "/a", Destination: "/a", Propagation: "shared"}}}, "shared"},
		{"rro without ro", Options{Mounts: []Mount{{Source: "/a", Destination: "/a", RecursiveReadOnly: true}}}, "recursive read-only"},
		{"rro with rslave", Options{Mounts: []Mount{{Source: "/a", Destination: "/a", ReadOnly: true, RecursiveReadOnly: true, Propagation: PropagationSlave}}}, "recursive read-only"},
		{"duplicate mount", Options{Mounts: []Mount{{Source: "/a", Destination: "/a"}, {Source: "/b", Destination: "/a/"}}}, `"/a"`},
		{"tmpfs with source", Options{Mounts: []Mount{{Type: MountTmpfs, Source: "/a", Destination: "/a"}}}, "/a"},
		{"tmpfs bad mode", Options{Mounts: []Mount{{Type: MountTmpfs, Destination: "/a", TmpfsMode: os.ModeDir | 0o755}}}, "mode"},
		{"unknown mount type", Options{Mounts: []Mount{{Type: "nfs", Destination: "/a"}}}, "nfs"},
		{"relative masked path", Options{MaskedPaths: []string{"proc/kcore"}}, "proc/kcore"},
		{"seccomp relative path", Options{Seccomp: Seccomp{Kind: SeccompLocalhost, LocalhostPath: "p.json"}}, "p.json"},
		{"seccomp missing file", Options{Seccomp: Seccomp{Kind: SeccompLocalhost, LocalhostPath: "/nonexistent/p.json"}}, "/nonexistent/p.json"},
		{"host mount namespace", Options{Namespaces: []Namespace{{Type: specs.MountNamespace, Host: true}}}, "mount"},
		{"time namespace", Options{Namespaces: []Namespace{{Type: "time"}}}, "time"},
		{"namespace twice", Options{Namespaces: []Namespace{{Type: "ipc"}, {Type: "ipc", Host: true}}}, "ipc"},
		{"relative namespace path", Options{Namespaces: []Namespace{{Type: "network", Path: "netns"}}}, "netns"},
		{"user namespace without mappings", Options{UserNS: &UserNamespace{UIDMappings: []specs.LinuxIDMapping{{Size: 1}}}}, "gid"},
		{"user namespace as Namespace", Options{Namespaces: []Namespace{{Type: specs.UserNamespace}}}, "UserNS"},
		{"net sysctl on host network", Options{Namespaces: []Namespace{{Type: "network", Host: true}}, Sysctls: map[string]string{"net.core.somaxconn": "1"}}, "net.core.somaxconn"},
		{"ipc sysctl on host ipc", Options{Namespaces: []Namespace{{Type: "ipc", Host: true}}, Sysctls: map[string]string{"kernel.shmmax": "1"}}, "kernel.shmmax"},
		{"host sysctl", Options{Sysctls: map[string]string{"vm.swappiness": "1"}}, "vm.swappiness"},
		{"hostname sysctl", Options{Sysctls: map[string]string{"kernel.hostname": "x"}}, "kernel.hostname"},
		{"bad device permissions", Options{Devices: []Device{{Path: "/dev/x", Type: "c", Permissions: "rwx"}}}, "rwx"},
		{"bad device type", Options{Devices: []Device{{Path: "/dev/x", Type: "z"}}}, `"z"`},
		{"device outside /dev", Options{Devices: []Device{{Path: "/etc/x", Type: "c"}}}, "/etc/x"},
		{"cpu shares", Options{Resources: Resources{CPUShares: 1}}, "1"},
		{"cpu quota", Options{Resources: Resources{CPUQuota: 10}}, "10"},
		{"cpuset", Options{Resources: Resources{CPUSetCPUs: "0-a"}}, "0-a"},
		{"swap below memory", Options{Resources: Resources{MemoryLimit: 100 << 20, MemorySwapLimit: 50 << 20}}, "52428800"},
		{"pids", Options{Resources: Resources{PidsLimit: -5}}, "-5"},
		{"hugepage size", Options{Resources: Resources{Hugepages: map[string]uint64{"2M": 1}}}, "2M"},
		{"unified file", Options{Resources: Resources{Unified: map[string]string{"../memory.max": "1"}}}, "../memory.max"},
		{"cgroups path", Options{CgroupsPath: "ocid/abc"}, "ocid/abc"},
		{"cgroups path unclean", Options{CgroupsPath: "/ocid/../abc"}, "/ocid/../abc"},
		{"oom score", Options{OOMScoreAdj: ptr(1001)}, "1001"},
		{"rlimit type", Options{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_BOGUS"}}}, "RLIMIT_BOGUS"},
		{"rlimit soft above hard", Options{Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 2, Hard: 1}}}, "RLIMIT_NOFILE"},
		{"hostname", Options{Hostname: strings.Repeat("h", 65)}, "hhhh"},
	}
	rootfs := makeRootfs(t, map[string]string{"etc/passwd": testPasswd, "etc/group": testGroup})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := c.opts
			if o.Rootfs == "" {
				o.Rootfs = rootfs
			}
			img := testImage()
			if c.name == "no command" {
				img.Config.Entrypoint, img.Config.Cmd = nil, nil
			}
			_, err := Generate(img, o)
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("want ErrInvalidArgument, got %v", err)
			}
			if !strings.Contains(err.Error(), c.bad) {
				t.Fatalf("error %q does not name %q", err, c.bad)
			}
		})
	}
}

// TestGenerateDoesNotAlias: specs built from the same options share no
// memory with them or with each other, so the runtime may edit one.
func TestGenerateDoesNotAlias(t *testing.T) {
	o := Options{
		Rootfs:      makeRootfs(t, nil),
		Command:     []string{"/bin/sh"},
		Annotations: map[string]string{"a": "b"},
		OOMScoreAdj: ptr(1),
		UserNS:      &UserNamespace{UIDMappings: []specs.LinuxIDMapping{{Size: 1}}, GIDMappings: []specs.LinuxIDMapping{{Size: 1}}},
	}
	a, err := Generate(nil, o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Generate(nil, o)
	if err != nil {
		t.Fatal(err)
	}
	a.Annotations["a"] = "changed"
	*a.Process.OOMScoreAdj = 2
	a.Linux.UIDMappings[0].HostID = 9
	*a.Linux.Resources.Devices[1].Major = 99
	a.Process.Capabilities.Effective[0] = "changed"
	if o.Annotations["a"] != "b" || *o.OOMScoreAdj != 1 || o.UserNS.UIDMappings[0].HostID != 0 {
		t.Error("the spec aliases the options")
	}
	if *b.Linux.Resources.Devices[1].Major == 99 || b.Process.Capabilities.Effective[0] == "changed" || b.Process.Capabilities.Bounding[0] == "changed" {
		t.Error("two specs share memory")
	}
}

// KeepX32 keeps the profile's x32 whatever the kernel.
func TestSeccompKeepX32(t *testing.T) {
	if runtime.GOARCH != "amd64" {
		t.Skipf("x32 is an x86-64 ABI; GOARCH is %s", runtime.GOARCH)
	}
	o := Options{Rootfs: t.TempDir(), Args: []string{"true"}, Seccomp: Seccomp{Kind: SeccompRuntimeDefault, KeepX32: true}}
	s, err := Generate(nil, o)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Linux.Seccomp.Architectures; !reflect.DeepEqual(got, []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32}) {
		t.Fatalf("architectures %q", got)
	}
}
