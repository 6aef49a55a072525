package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/store"
)

// storeEnv is a private store and a registry holding a test image.
type storeEnv struct {
	t        *testing.T
	root     string
	runroot  string
	regsConf string
	reg      *fixtures.Registry
}

func newStoreEnv(t *testing.T, reg *fixtures.Registry) *storeEnv {
	dir := t.TempDir()
	e := &storeEnv{t: t, root: filepath.Join(dir, "root"), runroot: filepath.Join(dir, "run"), regsConf: filepath.Join(dir, "registries.conf"), reg: reg}
	reg.WriteRegistriesConf(t, e.regsConf)
	t.Cleanup(func() { fixtures.UnmountUnder(dir) })
	return e
}

func (e *storeEnv) args(args ...string) []string {
	return append([]string{"--root", e.root, "--runroot", e.runroot, "--registries-conf", e.regsConf, "--insecure-policy"}, args...)
}

func (e *storeEnv) ocid(args ...string) result { return ocid(e.t, e.args(args...)...) }

// pullCrashingAt runs a pull that kills itself at a crash point.
func (e *storeEnv) pullCrashingAt(point, ref string) {
	e.t.Helper()
	cmd := exec.Command(ocidBin, append([]string{"--config", "/dev/null"}, e.args("image", "pull", "-q", ref)...)...)
	cmd.Env = append(os.Environ(), "OCID_CRASH_AT="+point)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		e.t.Fatalf("pull with OCID_CRASH_AT=%s was not killed there: %v\n%s", point, err, out.String())
	}
}

func (e *storeEnv) openStore() *store.Store {
	e.t.Helper()
	s, err := store.Open(store.Options{Root: e.root, RunRoot: e.runroot})
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

type dfOut struct {
	Images  int `json:"images"`
	Objects int `json:"objects"`
}

func (e *storeEnv) df() dfOut {
	var d dfOut
	if err := json.Unmarshal([]byte(e.ocid("store", "df", "--format", "json").mustSucceed(e.t).stdout), &d); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// TestPullKilledAtEveryStep kills `ocid image pull` with SIGKILL at each
// step of storing an image — mid-unpack, after unpacking, around
// publishing layers and the checkout, just before and just after the
// database commit — and checks that each time the store is clean, the
// image is whole or absent, a new pull works, and gc leaves no orphans.
func TestPullKilledAtEveryStep(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	ref := reg.Ref("ns/app", "v1")
	for _, point := range []string{
		"store.layer-midway", "store.layer-unpacked", "store.before-publish", "store.layers-published",
		"store.checkout-built", "store.before-db", "store.after-db",
	} {
		t.Run(point, func(t *testing.T) {
			e := newStoreEnv(t, reg)
			e.pullCrashingAt(point, ref)
			e.ocid("store", "check").mustSucceed(t)
			present := e.ocid("image", "inspect", "store:"+ref).code == 0
			if present != (point == "store.after-db") {
				t.Fatalf("after a kill at %s the image is present=%v", point, present)
			}
			if present {
				s := e.openStore()
				got, err := s.Lookup(ref)
				if err != nil {
					t.Fatal(err)
				}
				fixtures.CheckTree(t, s.CheckoutPath(got), img)
			}
			e.ocid("image", "pull", "-q", ref).mustSucceed(t)
			s := e.openStore()
			got, err := s.Lookup(ref)
			if err != nil {
				t.Fatal(err)
			}
			fixtures.CheckTree(t, s.CheckoutPath(got), img)
			e.ocid("store", "check").mustSucceed(t)

			e.ocid("image", "rm", ref).mustSucceed(t)
			if d := e.df(); d.Objects != 0 || d.Images != 0 {
				t.Fatalf("after rm (which runs gc): %+v", d)
			}
			out := e.ocid("store", "check").mustSucceed(t).stdout
			if !strings.Contains(out, "0 checkouts, 0 layers, 0 blobs, 0 objects, 0 temporary") {
				t.Fatalf("orphans left after gc:\n%s", out)
			}
		})
	}
}

// TestConcurrentPullsStoreOnce: two processes pull the same image at
// once; both succeed and the files are stored once.
func TestConcurrentPullsStoreOnce(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	img := fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/bb", "v1", img)
	ref := reg.Ref("ns/bb", "v1")

	single := newStoreEnv(t, reg)
	single.ocid("image", "pull", "-q", ref).mustSucceed(t)
	want := single.df()

	e := newStoreEnv(t, reg)
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = ocid(t, e.args("image", "pull", "-q", ref)...)
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r.code != 0 {
			t.Fatalf("pull %d failed: %s", i, r.stderr)
		}
	}
	if got := e.df(); got != want {
		t.Fatalf("two concurrent pulls stored %+v, one pull stores %+v", got, want)
	}
	e.ocid("store", "check").mustSucceed(t)
	s := e.openStore()
	got, err := s.Lookup(ref)
	if err != nil {
		t.Fatal(err)
	}
	fixtures.CheckTree(t, s.CheckoutPath(got), img)
}

// TestStoreCommands runs the image and store commands an operator uses.
func TestStoreCommands(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	reg.Push(t, "ns/bb", "v1", fixtures.BusyboxImage(t, fixtures.OCI, fixtures.Gzip))
	e := newStoreEnv(t, reg)
	ref := reg.Ref("ns/bb", "v1")
	id := strings.TrimSpace(e.ocid("image", "pull", "-q", ref).mustSucceed(t).stdout)
	e.ocid("image", "tag", ref, "local/busybox:stable").mustSucceed(t)
	ls := e.ocid("image", "ls").mustSucceed(t).stdout
	if !strings.Contains(ls, "local/busybox") || !strings.Contains(ls, "stable") || !strings.Contains(ls, id[7:19]) {
		t.Fatalf("image ls:\n%s", ls)
	}
	var rows []imageRow
	if err := json.Unmarshal([]byte(e.ocid("image", "ls", "--format", "json").mustSucceed(t).stdout), &rows); err != nil || len(rows) != 1 || len(rows[0].Names) != 2 {
		t.Fatalf("image ls --format json: %+v %v", rows, err)
	}
	dir := strings.TrimSpace(e.ocid("image", "mount", "local/busybox:stable").mustSucceed(t).stdout)
	if _, err := os.Stat(filepath.Join(dir, "bin/busybox")); err != nil {
		t.Fatal(err)
	}
	e.ocid("image", "umount", "local/busybox:stable").mustSucceed(t)
	e.ocid("image", "inspect", "store:local/busybox:stable").mustSucceed(t)
	// Copy back out of the store to a registry, and pull that.
	e.ocid("image", "copy", "-q", "--dest-tls-verify=false", "store:local/busybox:stable", "docker://"+reg.Ref("ns/roundtrip", "v1")).mustSucceed(t)
	e.ocid("image", "rm", "local/busybox:stable").mustSucceed(t) // a name: the image stays
	if d := e.df(); d.Images != 1 {
		t.Fatalf("removing one of two names removed the image: %+v", d)
	}
	// The round-tripped image has the same config, so it is the same
	// image (ID = config digest) with one more name and manifest digest.
	if got := strings.TrimSpace(e.ocid("image", "pull", "-q", reg.Ref("ns/roundtrip", "v1")).mustSucceed(t).stdout); got != id {
		t.Fatalf("round-tripped image has ID %s, want %s", got, id)
	}
	e.ocid("image", "rm", id).mustSucceed(t) // by ID: every name goes
	if d := e.df(); d.Images != 0 || d.Objects != 0 {
		t.Fatalf("after removing everything: %+v", d)
	}
	e.ocid("image", "rm", "nosuch:image").mustFail(t, "no image")
}

// TestPullShortNames: aliases win, then search registries are tried in
// order; with short-name-mode enforcing, an ambiguous name is refused.
func TestPullShortNames(t *testing.T) {
	empty := fixtures.StartRegistry(t)
	full := fixtures.StartRegistry(t)
	img := fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "short")
	full.Push(t, "team/app", "v1", img)
	full.Push(t, "other/thing", "v1", img)
	e := newStoreEnv(t, full)
	conf := func(extra string) {
		os.WriteFile(e.regsConf, []byte(fmt.Sprintf(`unqualified-search-registries = ["%s", "%s"]
%s
[[registry]]
location = "%s"
insecure = true
[[registry]]
location = "%s"
insecure = true
`, empty.Host, full.Host, extra, empty.Host, full.Host)), 0o644)
	}
	conf("")
	id := strings.TrimSpace(e.ocid("image", "pull", "-q", "team/app:v1").mustSucceed(t).stdout)
	if id != img.Config.Digest.String() {
		t.Fatalf("pulled %s", id)
	}
	e.ocid("image", "inspect", "store:"+full.Ref("team/app", "v1")).mustSucceed(t)

	conf(fmt.Sprintf("[aliases]\n\"myapp\" = \"%s/other/thing\"\n", full.Host))
	e.ocid("image", "pull", "-q", "myapp:v1").mustSucceed(t)
	e.ocid("image", "inspect", "store:"+full.Ref("other/thing", "v1")).mustSucceed(t)

	conf("short-name-mode = \"enforcing\"")
	e.ocid("image", "pull", "-q", "team/app:v1").mustFail(t, "ambiguous")
}
