package spec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestParsePasswd(t *testing.T) {
	data := strings.Join([]string{
		"root:x:0:0:root:/root:/bin/sh",
		"# comment:x:1:1::/:/bin/sh",
		"",
		"daemon:x:1:1", // short form: no gecos, home, shell
		"alice:x:1000:1000:Alice:/home/alice:/bin/sh\r", // CRLF file
		"bad:x:notanumber:0::/:/bin/sh",
		"neg:x:-1:0::/:/bin/sh",
		"big:x:4294967295:0::/:/bin/sh", // (uid_t)-1
		"huge:x:4294967296:0::/:/bin/sh",
		"plus:x:+5:0::/:/bin/sh",
		"+nis::0:0:::",
		"-nis::0:0:::",
		"toomany:x:1:1:a:/:/bin/sh:extra",
		"two:x:2",
		":x:3:3::/:/bin/sh",
		"sp ace:x:4:4::/:/bin/sh",
		"bob:x:1001:1001::/home/bob:/bin/sh",
	}, "\n")
	want := []passwdEntry{
		{Name: "root", UID: 0, GID: 0, Home: "/root"},
		{Name: "daemon", UID: 1, GID: 1},
		{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"},
		{Name: "bob", UID: 1001, GID: 1001, Home: "/home/bob"},
	}
	if got := parsePasswd([]byte(data)); !reflect.DeepEqual(got, want) {
		t.Fatalf("parsePasswd:\n got %+v\nwant %+v", got, want)
	}
}

func TestParseGroup(t *testing.T) {
	data := strings.Join([]string{
		"root:x:0:",
		"wheel:x:10:alice, bob ,,",
		"nomembers:x:20",
		"bad:x:x:alice",
		"toomany:x:30:a:b",
		"#devs:x:40:alice",
		"devs:x:2000:alice,+nis,sp ace",
	}, "\n")
	want := []groupEntry{
		{Name: "root", GID: 0},
		{Name: "wheel", GID: 10, Members: []string{"alice", "bob"}},
		{Name: "nomembers", GID: 20},
		{Name: "devs", GID: 2000, Members: []string{"alice"}},
	}
	if got := parseGroup([]byte(data)); !reflect.DeepEqual(got, want) {
		t.Fatalf("parseGroup:\n got %+v\nwant %+v", got, want)
	}
}

// formatPasswd writes entries back in passwd syntax, for round trips.
func formatPasswd(entries []passwdEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s:x:%d:%d::%s:/bin/sh\n", e.Name, e.UID, e.GID, e.Home)
	}
	return b.String()
}

func formatGroup(entries []groupEntry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%s:x:%d:%s\n", e.Name, e.GID, strings.Join(e.Members, ","))
	}
	return b.String()
}

// FuzzParsePasswd: image files are outside input. The parser must not
// panic, must only return entries a real passwd could hold, and what it
// returns must read back the same when written out.
func FuzzParsePasswd(f *testing.F) {
	f.Add([]byte("root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n"))
	f.Add([]byte("a:b:1:2\n#c\n\r\n+x::0:0\nz:x:4294967295:0::/:/\n"))
	f.Add([]byte("n:x:01:00:\x00:/h\xff:/s\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := parsePasswd(data)
		for _, e := range entries {
			if !validDBName(e.Name) || e.UID == 1<<32-1 || e.GID == 1<<32-1 {
				t.Fatalf("invalid entry %+v", e)
			}
			if strings.ContainsAny(e.Home, ":\n") {
				t.Fatalf("home %q holds a separator", e.Home)
			}
		}
		if again := parsePasswd([]byte(formatPasswd(entries))); !reflect.DeepEqual(again, entries) && len(entries) > 0 {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, entries)
		}
	})
}

// FuzzParseGroup: same contract as FuzzParsePasswd for /etc/group.
func FuzzParseGroup(f *testing.F) {
	f.Add([]byte("root:x:0:\nwheel:x:10:alice,bob\n"))
	f.Add([]byte("g:x:1\n:x:2:a\ng2:x:3:,,a,,\x00\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries := parseGroup(data)
		for _, e := range entries {
			if !validDBName(e.Name) || e.GID == 1<<32-1 {
				t.Fatalf("invalid entry %+v", e)
			}
			for _, m := range e.Members {
				if !validDBName(m) {
					t.Fatalf("invalid member %q", m)
				}
			}
		}
		if again := parseGroup([]byte(formatGroup(entries))); !reflect.DeepEqual(again, entries) && len(entries) > 0 {
			t.Fatalf("round trip:\n got %+v\nwant %+v", again, entries)
		}
	})
}
