package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/ocid-project/ocid/errdefs"
)

func TestNetNSLifecycle(t *testing.T) {
	before := threadNetNS(t)
	hostNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := NewNetNS(netnsDir(t))
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Remove()

	if _, err := LoadNetNS(ns.Path()); err != nil {
		t.Fatalf("LoadNetNS: %v", err)
	}

	// Inside: a namespace of its own, with only lo, and lo up.
	var inside string
	var links []net.Interface
	if err := ns.Do(func() error {
		var err error
		if inside, err = os.Readlink(fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())); err != nil {
			return err
		}
		links, err = net.Interfaces()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if inside == hostNS {
		t.Fatalf("Do ran in the host namespace %s", inside)
	}
	if len(links) != 1 || links[0].Name != "lo" || links[0].Flags&net.FlagUp == 0 {
		t.Fatalf("links in the new namespace: %+v, want lo, up", links)
	}

	// Loopback works: a listener on 127.0.0.1 inside, dialed from inside.
	var l net.Listener
	if err := ns.Do(func() error {
		var err error
		l, err = net.Listen("tcp4", "127.0.0.1:0")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		if c, err := l.Accept(); err == nil {
			c.Write([]byte("lo"))
			c.Close()
		}
	}()
	var got string
	if err := ns.Do(func() error {
		var err error
		got, err = greeting(l.Addr().String())
		return err
	}); err != nil || got != "lo" {
		t.Fatalf("loopback inside the pod namespace: %q, %v", got, err)
	}
	// The host's 127.0.0.1 is another one: the port is not open there.
	if _, err := greeting(l.Addr().String()); err == nil {
		t.Fatalf("the pod's loopback listener answered on the host")
	}

	// No thread of this process was left inside the pod namespace.
	runtime.GC()
	for tid, n := range threadNetNS(t) {
		if n != hostNS {
			t.Errorf("thread %s is in %s, not the host namespace %s (before: %v)", tid, n, hostNS, before)
		}
	}

	// A panic in Do reaches the caller.
	func() {
		defer func() {
			if v := recover(); v != "boom" {
				t.Errorf("recovered %v, want boom", v)
			}
		}()
		ns.Do(func() error { panic("boom") })
	}()

	path := ns.Path()
	if err := ns.Remove(); err != nil {
		t.Fatal(err)
	}
	if err := ns.Remove(); err != nil {
		t.Fatalf("second Remove: %v", err)
	}
	if err := ns.Close(); err != nil {
		t.Fatalf("Close after Remove: %v", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pin file after Remove: %v", err)
	}
	if m := netnsMounts(run.n); len(m) != 0 {
		t.Fatalf("mounts left: %v", m)
	}
	if _, err := LoadNetNS(path); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("LoadNetNS of a removed namespace: %v, want not found", err)
	}
	if err := ns.Do(func() error { return nil }); !errors.Is(err, errdefs.ErrNotFound) {
		t.Fatalf("Do in a removed namespace: %v, want not found", err)
	}
}

func TestLoadNetNSRejectsOtherFiles(t *testing.T) {
	f := t.TempDir() + "/plain"
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadNetNS(f); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("LoadNetNS(plain file): %v, want invalid argument", err)
	}
	// Another kind of namespace is not a network namespace either.
	if _, err := LoadNetNS("/proc/self/ns/uts"); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Fatalf("LoadNetNS(uts namespace): %v, want invalid argument", err)
	}
	if _, err := LoadNetNS("/proc/self/ns/net"); err != nil {
		t.Fatalf("LoadNetNS(host namespace): %v", err)
	}
	// A bare pin file, as left by a reboot, can still be removed by path.
	if err := RemoveNetNS(f); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(f); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pin file after RemoveNetNS: %v", err)
	}
	if err := RemoveNetNS(f); err != nil {
		t.Fatalf("RemoveNetNS of nothing: %v", err)
	}
	ns := testNetNS(t)
	if err := RemoveNetNS(ns.Path()); err != nil {
		t.Fatal(err)
	}
	if m := netnsMounts(run.n); len(m) != 0 {
		t.Fatalf("mounts left after RemoveNetNS: %v", m)
	}
}

func TestNetNSSideBySide(t *testing.T) {
	dir := netnsDir(t)
	const n = 8
	type made struct {
		ns  *NetNS
		err error
	}
	c := make(chan made, n)
	for range n {
		go func() {
			ns, err := NewNetNS(dir)
			c <- made{ns, err}
		}()
	}
	var nss []*NetNS
	for range n {
		m := <-c
		if m.err != nil {
			t.Error(m.err)
			continue
		}
		nss = append(nss, m.ns)
		t.Cleanup(func() { m.ns.Remove() })
	}
	seen := map[string]bool{}
	for _, ns := range nss {
		ino, err := os.Stat(ns.Path())
		if err != nil {
			t.Fatal(err)
		}
		key := fmt.Sprint(inode(ino))
		if seen[key] {
			t.Fatalf("two pins share namespace inode %s", key)
		}
		seen[key] = true
	}
}

// Threads that entered a pod namespace must not stay there: such a thread
// (the process's main thread, which Go parks instead of ending) would keep
// the namespace, and the pod's veth, alive after Remove.
func TestNoThreadStaysInPodNetNS(t *testing.T) {
	hostNS, err := os.Readlink("/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	dir := netnsDir(t)
	for range 50 {
		ns, err := NewNetNS(dir)
		if err != nil {
			t.Fatal(err)
		}
		if err := ns.Do(func() error { return nil }); err != nil {
			t.Fatal(err)
		}
		if err := ns.Remove(); err != nil {
			t.Fatal(err)
		}
		for tid, n := range threadNetNS(t) {
			if n != hostNS {
				t.Fatalf("thread %s (main thread: %v) is in %s, not the host namespace %s", tid, tid == fmt.Sprint(os.Getpid()), n, hostNS)
			}
		}
	}
}
