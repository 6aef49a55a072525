package registries

import (
	"errors"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/ocid-project/ocid/errdefs"
)

func TestParseFullExample(t *testing.T) {
	c := mustParse(t, `
unqualified-search-registries = ["example.com", "quay.io/"]
short-name-mode = "enforcing"
credential-helpers = ["containers-auth.json", "secretservice"]

[aliases]
"app" = "example.com/team/app"

[[registry]]
prefix = "example.com/foo"
insecure = false
blocked = false
location = "internal-registry-for-example.com/bar/"

[[registry.mirror]]
location = "example-mirror-0.local/mirror-for-foo"

[[registry.mirror]]
location = "example-mirror-1.local/mirrors/foo"
insecure = true

[[registry]]
location = "registry.com"
mirror-by-digest-only = true

[[registry.mirror]]
location = "mirror.registry.com"
`)
	search, origin := c.UnqualifiedSearchRegistries()
	if !slices.Equal(search, []string{"example.com", "quay.io"}) || origin != "test.conf" {
		t.Errorf("search registries %q from %q", search, origin)
	}
	if c.ShortNameMode() != ShortNameEnforcing {
		t.Errorf("mode %q", c.ShortNameMode())
	}
	if got := c.CredentialHelpers(); !slices.Equal(got, []string{"containers-auth.json", "secretservice"}) {
		t.Errorf("credential helpers %q", got)
	}
	if got := c.Aliases(); len(got) != 1 || got["app"] != "example.com/team/app" {
		t.Errorf("aliases %v", got)
	}
	want := []Registry{
		{Prefix: "example.com/foo", Location: "internal-registry-for-example.com/bar", Origin: "test.conf",
			Mirrors: []Mirror{
				{Location: "example-mirror-0.local/mirror-for-foo", PullFromMirror: MirrorAll},
				{Location: "example-mirror-1.local/mirrors/foo", Insecure: true, PullFromMirror: MirrorAll}}},
		{Prefix: "registry.com", Location: "registry.com", MirrorByDigestOnly: true, Origin: "test.conf",
			Mirrors: []Mirror{{Location: "mirror.registry.com", PullFromMirror: MirrorAll}}},
	}
	got := c.Registries()
	if len(got) != len(want) {
		t.Fatalf("registries %+v", got)
	}
	for i := range want {
		if got[i].Prefix != want[i].Prefix || got[i].Location != want[i].Location ||
			got[i].MirrorByDigestOnly != want[i].MirrorByDigestOnly || got[i].Origin != want[i].Origin ||
			!slices.Equal(got[i].Mirrors, want[i].Mirrors) {
			t.Errorf("registry %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestParseDefaults(t *testing.T) {
	c := mustParse(t, "# nothing here\n")
	if c.ShortNameMode() != ShortNamePermissive {
		t.Errorf("default mode %q", c.ShortNameMode())
	}
	if got := c.CredentialHelpers(); !slices.Equal(got, []string{AuthFileCredentialHelper}) {
		t.Errorf("default credential helpers %q", got)
	}
	if search, _ := c.UnqualifiedSearchRegistries(); len(search) != 0 {
		t.Errorf("search registries %q", search)
	}
	if len(c.Registries()) != 0 || len(c.Aliases()) != 0 {
		t.Errorf("non-empty config")
	}
}

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want []string // fragments of the message besides the file name
	}{
		{"syntax", "[[registry]\n", []string{"toml: line"}},
		{"wrong type", "[[registry]]\nlocation = \"a.com\"\ninsecure = \"yes\"\n", []string{"insecure"}},
		{"unknown top-level key", "unqualified-search-registry = [\"a.com\"]\n", []string{`unknown key "unqualified-search-registry"`}},
		{"unknown registry key", "[[registry]]\nlocation = \"a.com\"\nmirror-by-digest = true\n", []string{`"registry.mirror-by-digest"`}},
		{"unknown mirror key", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\nsecure = true\n", []string{`"registry.mirror.secure"`}},
		{"unknown v1 key", "[registries.search]\nregistry = [\"a.com\"]\n", []string{`"registries.search.registry"`}},
		// The TOML decoder alone would accept these case variants.
		{"key in other case", "[[registry]]\nLocation = \"a.com\"\n", []string{`"registry.Location"`}},
		{"table in other case", "[[Registry]]\nlocation = \"a.com\"\n", []string{`"Registry"`}},
		{"global in other case", "Short-Name-Mode = \"enforcing\"\n", []string{`"Short-Name-Mode"`}},
		{"two unknown keys", "foo = 1\nbar = 2\n", []string{`"foo"`, `"bar"`}},

		{"scheme in prefix", "[[registry]]\nprefix = \"http://a.com\"\nlocation = \"a.com\"\n", []string{`"http://a.com"`, "URI schemes"}},
		{"scheme in location", "[[registry]]\nlocation = \"https://a.com\"\n", []string{`"https://a.com"`, "URI schemes"}},
		{"wildcard with port", "[[registry]]\nprefix = \"*.a.com:5000\"\n", []string{`"*.a.com:5000"`}},
		{"wildcard with path", "[[registry]]\nprefix = \"*.a.com/ns\"\n", []string{`"*.a.com/ns"`}},
		{"double wildcard", "[[registry]]\nprefix = \"**.a.com\"\n", []string{`"**.a.com"`}},
		{"inner wildcard", "[[registry]]\nprefix = \"a.*.com\"\nlocation = \"a.com\"\n", []string{`"a.*.com"`}},
		{"wildcard location", "[[registry]]\nlocation = \"*.a.com\"\n", []string{`"*.a.com"`}},
		{"bad host", "[[registry]]\nlocation = \"a_b.com\"\n", []string{`"a_b.com"`}},
		{"bad path", "[[registry]]\nlocation = \"a.com/UPPER\"\n", []string{`"a.com/UPPER"`}},
		{"bad port", "[[registry]]\nprefix = \"a.com:port/x\"\nlocation = \"a.com\"\n", []string{`"a.com:port/x"`}},
		{"nothing set", "[[registry]]\ninsecure = true\n", []string{"#1", "neither prefix nor location"}},
		{"location unset", "[[registry]]\nprefix = \"a.com\"\n", []string{`"a.com"`, "location is unset"}},
		{"mirror without location", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\ninsecure = true\n", []string{"mirror]] #1", "location is unset"}},
		{"bad mirror location", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com/Bad\"\n", []string{`"m.com/Bad"`}},
		{"pull-from-mirror on registry", "[[registry]]\nlocation = \"a.com\"\npull-from-mirror = \"digest-only\"\n", []string{"pull-from-mirror", `"a.com"`}},
		{"bad pull-from-mirror", "[[registry]]\nlocation = \"a.com\"\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"notvalid\"\n", []string{`"notvalid"`, `"m.com"`}},
		{"pull-from-mirror with mirror-by-digest-only", "[[registry]]\nlocation = \"a.com\"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = \"m.com\"\npull-from-mirror = \"all\"\n", []string{"mirror-by-digest-only", `"m.com"`}},
		{"conflicting insecure", "[[registry]]\nlocation = \"r.com\"\n[[registry]]\nprefix = \"other.com\"\nlocation = \"r.com\"\ninsecure = true\n", []string{`"r.com"`, `"insecure"`, `"other.com"`}},
		{"conflicting blocked", "[[registry]]\nprefix = \"x.com\"\nlocation = \"r.com\"\nblocked = true\n[[registry]]\nlocation = \"r.com\"\n", []string{`"r.com"`, `"blocked"`}},
		{"conflicting wildcard", "[[registry]]\nprefix = \"*.r.com\"\n[[registry]]\nprefix = \"*.r.com/\"\ninsecure = true\n", []string{`"*.r.com"`}},
		{"duplicate prefix", "[[registry]]\nlocation = \"r.com\"\n[[registry]]\nprefix = \"r.com/\"\nlocation = \"s.com\"\n", []string{`"r.com"`, "#1", "#2"}},
		{"search with namespace", "unqualified-search-registries = [\"a.com/ns\"]\n", []string{`"a.com/ns"`, "unqualified-search-registries"}},
		{"search empty entry", "unqualified-search-registries = [\"\"]\n", []string{"unqualified-search-registries entry #1"}},
		{"bad mode", "short-name-mode = \"prompt\"\n", []string{`"prompt"`, "short-name-mode"}},
		{"empty credential helper", "credential-helpers = [\"\"]\n", []string{"credential-helpers"}},
		{"alias with tag", "[aliases]\n\"app\" = \"quay.io/repo/app:1\"\n", []string{`"app"`, "tag or digest"}},
		{"alias without registry", "[aliases]\n\"app\" = \"app\"\n", []string{"must contain a registry"}},
		{"alias name with registry", "[aliases]\n\"quay.io/app\" = \"quay.io/repo/app\"\n", []string{`"quay.io/app"`}},
		{"alias name with tag", "[aliases]\n\"app:1\" = \"quay.io/repo/app\"\n", []string{`"app:1"`}},
		{"every bad alias reported", "[aliases]\n\"a\" = \"x:1\"\n\"b\" = \"b\"\n", []string{`"a"`, `"b"`}},
		{"duplicate alias", "[aliases]\n\"a\" = \"quay.io/a\"\n\"a\" = \"quay.io/b\"\n", []string{"a"}},
		{"mixing v1 and v2", "unqualified-search-registries = [\"a.com\"]\n[registries.search]\nregistries = [\"b.com\"]\n", []string{"mixing"}},
		{"bad v1 entry", "[registries.insecure]\nregistries = [\"http://a.com\"]\n", []string{`"http://a.com"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.text), "/etc/containers/test.conf")
			wantErr(t, err, errdefs.ErrInvalidArgument, append([]string{"/etc/containers/test.conf"}, tc.want...)...)
			var cfgErr *ConfigError
			if !errors.As(err, &cfgErr) || cfgErr.File != "/etc/containers/test.conf" {
				t.Errorf("error %v is not a *ConfigError for the file", err)
			}
		})
	}
}

func TestParseErrorKeepsTOMLDetail(t *testing.T) {
	_, err := Parse([]byte("a = \n"), "x.conf")
	var perr toml.ParseError
	if !errors.As(err, &perr) || perr.Position.Line != 1 {
		t.Fatalf("error %v does not carry the toml.ParseError", err)
	}
}

func TestParseAcceptedForms(t *testing.T) {
	for _, text := range []string{
		"[[registry]]\nlocation = \"localhost\"\n",
		"[[registry]]\nlocation = \"localhost:5000/ns\"\n",
		"[[registry]]\nlocation = \"127.0.0.1:5000\"\ninsecure = true\n",
		"[[registry]]\nlocation = \"[::1]:5000/ns\"\n",
		"[[registry]]\nprefix = \"example.com/foo:v1\"\nlocation = \"example.com/bar:v2\"\n",
		"[[registry]]\nprefix = \"example.com/foo@" + digestA + "\"\nlocation = \"example.com/bar\"\n",
		"[[registry]]\nprefix = \"*.com\"\n",
		"[[registry]]\nprefix = \"*.example.com\"\nlocation = \"mirror.local/ns\"\n",
		// Empty v1 tables do not make a v2 file v1 (containers/image).
		"unqualified-search-registries = [\"a.com\"]\n[registries.search]\nregistries = []\n",
		// Same location under two prefixes with the same settings.
		"[[registry]]\nlocation = \"r.com\"\ninsecure = true\n[[registry]]\nprefix = \"x.com\"\nlocation = \"r.com\"\ninsecure = true\n",
		// An alias may be erased with "".
		"[aliases]\n\"app\" = \"\"\n",
	} {
		if _, err := Parse([]byte(text), "ok.conf"); err != nil {
			t.Errorf("Parse(%q): %v", text, err)
		}
	}
}

func TestParseV1(t *testing.T) {
	c := mustParse(t, `
[registries.search]
registries = ['registry1.com', 'registry2.com']

[registries.insecure]
registries = ['registry3.com', 'registry1.com']

[registries.block]
registries = ['registry.untrusted.com', 'registry3.com/']
`)
	search, _ := c.UnqualifiedSearchRegistries()
	if !slices.Equal(search, []string{"registry1.com", "registry2.com"}) {
		t.Errorf("search %q", search)
	}
	type flags struct{ insecure, blocked bool }
	want := map[string]flags{
		"registry1.com":          {insecure: true},
		"registry3.com":          {insecure: true, blocked: true},
		"registry.untrusted.com": {blocked: true},
	}
	got := c.Registries()
	if len(got) != len(want) {
		t.Fatalf("registries %+v", got)
	}
	for _, r := range got {
		if w, ok := want[r.Prefix]; !ok || r.Location != r.Prefix || (flags{r.Insecure, r.Blocked}) != w {
			t.Errorf("registry %+v, want %+v", r, w)
		}
	}
}
