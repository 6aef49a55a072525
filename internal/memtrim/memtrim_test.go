package memtrim

import (
	"bufio"
	"os"
	"regexp"
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

// exeRSS sums the Rss of this test binary's read-only mappings, in kB.
func exeRSS(t *testing.T) int {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := regexp.MustCompile(`^[0-9a-f]+-[0-9a-f]+ (\S+) `)
	total, inExe := 0, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if m := head.FindStringSubmatch(line); m != nil {
			inExe = strings.HasSuffix(line, " "+exe) && !strings.Contains(m[1], "w")
			continue
		}
		if inExe && strings.HasPrefix(line, "Rss:") {
			kb, err := strconv.Atoi(strings.Fields(line)[1])
			if err != nil {
				t.Fatal(err)
			}
			total += kb
		}
	}
	return total
}

func TestReleaseExecutableDropsPagesAndKeepsRunning(t *testing.T) {
	before := exeRSS(t)
	if before == 0 {
		t.Fatal("the test binary has no resident read-only pages: cannot check the release")
	}
	released, err := ReleaseExecutable()
	if err != nil {
		t.Fatal(err)
	}
	if released == 0 {
		t.Fatal("no mapping of the running executable was found in /proc/self/maps")
	}
	after := exeRSS(t)
	// What the test itself runs between the release and the measure (the
	// smaps reader) faults back in; start-up and the test framework
	// touched more. Here: 2.8 MB before, 1.8 MB after.
	if after*4 > before*3 {
		t.Fatalf("executable RSS %d kB before the release, %d kB after: not released", before, after)
	}
	// The code and read-only data are intact after refaulting.
	if got := strconv.Itoa(12345) + strings.Repeat("x", 2); got != "12345xx" {
		t.Fatalf("code run after the release gave %q", got)
	}
	t.Logf("executable RSS %d kB → %d kB (%d bytes of mappings released)", before, after, released)
}
