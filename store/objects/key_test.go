package objects

import (
	"errors"
	"testing"
	"time"

	"github.com/ocid-project/ocid/errdefs"
)

// capNetRaw is a security.capability v2 value granting cap_net_raw
// (permitted, effective), as ping carries it.
var capNetRaw = []byte{1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

func goldenMeta() FileMeta {
	return FileMeta{
		Mode: 0o4755, UID: 1000, GID: 100, Mtime: time.Unix(1700000000, 123456789),
		Xattrs: []Xattr{{Name: "user.b", Value: []byte("2")}, {Name: "security.capability", Value: capNetRaw}},
	}
}

// TestKeyGolden pins the on-disk key encoding: if this changes, every
// stored object is orphaned. The value was also computed independently
// from the documented encoding (Python, struct.pack).
func TestKeyGolden(t *testing.T) {
	var content [32]byte
	for i := range content {
		content[i] = byte(i)
	}
	m := goldenMeta()
	const want = "fc14e183d09245412dc4883cc326b897ea0945c38b5870aa063b01c20b77cfb6"
	if got := m.Key(content).String(); got != want {
		t.Fatalf("key = %s, want %s", got, want)
	}
	// xattr order does not matter
	m.Xattrs[0], m.Xattrs[1] = m.Xattrs[1], m.Xattrs[0]
	if got := m.Key(content).String(); got != want {
		t.Fatalf("key with reordered xattrs = %s", got)
	}
}

func TestKeyCoversEveryField(t *testing.T) {
	var c [32]byte
	base := goldenMeta()
	seen := map[Key]string{base.Key(c): "base"}
	variants := map[string]func(m *FileMeta, c *[32]byte){
		"content":      func(m *FileMeta, c *[32]byte) { c[0] = 1 },
		"mode":         func(m *FileMeta, c *[32]byte) { m.Mode = 0o755 },
		"sticky":       func(m *FileMeta, c *[32]byte) { m.Mode |= 0o1000 },
		"uid":          func(m *FileMeta, c *[32]byte) { m.UID = 0 },
		"gid":          func(m *FileMeta, c *[32]byte) { m.GID = 0 },
		"mtime sec":    func(m *FileMeta, c *[32]byte) { m.Mtime = m.Mtime.Add(time.Second) },
		"mtime nsec":   func(m *FileMeta, c *[32]byte) { m.Mtime = m.Mtime.Add(1) },
		"xattr value":  func(m *FileMeta, c *[32]byte) { m.Xattrs[0].Value = []byte("3") },
		"xattr name":   func(m *FileMeta, c *[32]byte) { m.Xattrs[0].Name = "user.c" },
		"no xattrs":    func(m *FileMeta, c *[32]byte) { m.Xattrs = nil },
		"xattr splice": func(m *FileMeta, c *[32]byte) { m.Xattrs[0] = Xattr{Name: "user.b2", Value: nil} },
	}
	for name, mut := range variants {
		m := goldenMeta()
		var cc [32]byte
		mut(&m, &cc)
		k := m.Key(cc)
		if other, dup := seen[k]; dup {
			t.Errorf("%s gives the same key as %s", name, other)
		}
		seen[k] = name
	}
}

func TestParseKey(t *testing.T) {
	m := goldenMeta()
	k := m.Key([32]byte{})
	got, err := ParseKey(k.String())
	if err != nil || got != k {
		t.Fatalf("ParseKey(%s) = %s, %v", k, got, err)
	}
	for _, bad := range []string{"", "abc", k.String()[:63] + "g", "AB" + k.String()[2:]} {
		if _, err := ParseKey(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("ParseKey(%q) = %v, want invalid argument", bad, err)
		}
	}
}

func TestValidate(t *testing.T) {
	bad := map[string]FileMeta{
		"type bits":         {Mode: 0o100644},
		"uid -1":            {UID: ^uint32(0)},
		"gid -1":            {GID: ^uint32(0)},
		"trusted.overlay":   {Xattrs: []Xattr{{Name: "trusted.overlay.redirect", Value: []byte("/x")}}},
		"trusted":           {Xattrs: []Xattr{{Name: "trusted.foo"}}},
		"security.selinux":  {Xattrs: []Xattr{{Name: "security.selinux", Value: []byte("system_u")}}},
		"acl":               {Xattrs: []Xattr{{Name: "system.posix_acl_access"}}},
		"empty user":        {Xattrs: []Xattr{{Name: "user."}}},
		"duplicate":         {Xattrs: []Xattr{{Name: "user.a"}, {Name: "user.a"}}},
		"value too long":    {Xattrs: []Xattr{{Name: "user.a", Value: make([]byte, 64<<10+1)}}},
		"name too long":     {Xattrs: []Xattr{{Name: "user." + string(make([]byte, 251))}}},
		"capability on dup": {Xattrs: []Xattr{{Name: "security.capability"}, {Name: "security.capability"}}},
	}
	for name, m := range bad {
		if err := m.Validate(); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%s: Validate = %v, want invalid argument", name, err)
		}
	}
	good := goldenMeta()
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
}
