package memtrim

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

const sampleMaps = `00400000-0105b000 r-xp 00000000 fe:00 10241369                           /usr/bin/ocid
0105b000-01dff000 r--p 00c5b000 fe:00 10241369                           /usr/bin/ocid
01dff000-01eae000 rw-p 019ff000 fe:00 10241369                           /usr/bin/ocid
01eae000-0411d000 rw-p 00000000 00:00 0
7f8287e00000-7f8287e10000 r--p 00000000 fe:00 777                        /usr/lib/libc.so.6
7f8287f00000-7f8287f10000 r--s 00000000 fe:00 10241369                   /usr/bin/ocid
7f8287f76000-7f8287f78000 r-xp 00000000 00:00 0                          [vdso]
7f8287f80000-7f8287f90000 r-xp 00000000 00:2a 42                         /old bin/ocid (deleted)
`

func TestExecutableMappingsByInode(t *testing.T) {
	got, err := ExecutableMappings(strings.NewReader(sampleMaps), File{Dev: unix.Mkdev(0xfe, 0), Ino: 10241369})
	if err != nil {
		t.Fatal(err)
	}
	want := []Mapping{{0x400000, 0x105b000}, {0x105b000, 0x1dff000}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("got %x, want %x (only the private read-only mappings of the executable)", got, want)
	}
}

func TestExecutableMappingsByPath(t *testing.T) {
	// Inode differs (overlayfs shows the layer's); the path with a space
	// and the " (deleted)" suffix is what /proc/self/exe reads too.
	got, err := ExecutableMappings(strings.NewReader(sampleMaps), File{Dev: 1, Ino: 2, Path: "/old bin/ocid (deleted)"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != (Mapping{0x7f8287f80000, 0x7f8287f90000}) {
		t.Fatalf("got %x", got)
	}
}

func TestExecutableMappingsRefusesGarbage(t *testing.T) {
	for _, line := range []string{
		"00400000-0105b000 r-xp 00000000 fe:00",
		"00400000-0105b000 r-xp 00000000 fe00 10241369 /usr/bin/ocid",
		"00400000 r-xp 00000000 fe:00 10241369 /usr/bin/ocid",
		"0105b000-00400000 r-xp 00000000 fe:00 10241369 /usr/bin/ocid",
		"00400000-0105b000 r-xp 00000000 fe:00 x /usr/bin/ocid",
	} {
		if _, err := ExecutableMappings(strings.NewReader(line+"\n"), File{Dev: unix.Mkdev(0xfe, 0), Ino: 10241369}); err == nil {
			t.Errorf("%q: no error", line)
		}
	}
}

// exeRSS sums the Rss of this test binary's read-only mappings, in kB
// (plain string handling: the measuring code itself faults pages in).
func exeRSS() (int, error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, err
	}
	raw, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	total, inExe := 0, false
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) >= 5 && strings.Contains(f[0], "-") && len(f[1]) == 4 && !strings.HasSuffix(f[0], ":") {
			inExe = strings.HasSuffix(line, " "+exe) && f[1][1] != 'w'
			continue
		}
		if inExe && len(f) >= 2 && f[0] == "Rss:" {
			kb, err := strconv.Atoi(f[1])
			if err != nil {
				return 0, err
			}
			total += kb
		}
	}
	return total, nil
}

// The release is measured in a fresh process (this test binary again), so
// that what start-up mapped is there to release however often the test
// runs.
func TestReleaseExecutableDropsPagesAndKeepsRunning(t *testing.T) {
	if os.Getenv("MEMTRIM_TEST_CHILD") == "1" {
		before, err := exeRSS()
		if err != nil {
			t.Fatal(err)
		}
		released, err := ReleaseExecutable()
		if err != nil {
			t.Fatal(err)
		}
		after, err := exeRSS()
		if err != nil {
			t.Fatal(err)
		}
		// The code and read-only data are intact after refaulting.
		if got := strconv.Itoa(12345) + strings.Repeat("x", 2); got != "12345xx" {
			t.Fatalf("code run after the release gave %q", got)
		}
		fmt.Printf("memtrim: %d %d %d\n", before, after, released)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestReleaseExecutableDropsPagesAndKeepsRunning$", "-test.count=1")
	cmd.Env = append(os.Environ(), "MEMTRIM_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var before, after int
	var released int64
	i := strings.Index(string(out), "memtrim: ")
	if i < 0 {
		t.Fatalf("child printed no figures:\n%s", out)
	}
	if _, err := fmt.Sscanf(string(out[i:]), "memtrim: %d %d %d", &before, &after, &released); err != nil {
		t.Fatalf("child output %q: %v", out, err)
	}
	if before == 0 || released == 0 {
		t.Fatalf("nothing to release: %d kB resident, %d bytes of mappings", before, released)
	}
	// Start-up and the test framework mapped most of the binary; the
	// measuring code maps a little back. Here: 2.8 MB before, 1.2 after.
	if after*4 > before*3 {
		t.Fatalf("executable RSS %d kB before the release, %d kB after: not released", before, after)
	}
	t.Logf("executable RSS %d kB → %d kB (%d bytes of mappings released)", before, after, released)
}
