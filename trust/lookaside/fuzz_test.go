package lookaside

import (
	"strings"
	"testing"
)

// FuzzParseFile: parsing never panics; a parsed file merges into an empty
// configuration, merging it twice always fails (every definition is a
// duplicate) unless it defines nothing, and every configured scope can be
// looked up.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte("default-docker:\n  lookaside: file:///a\n"))
	f.Add([]byte("docker:\n  example.com/ns:\n    sigstore: https://x\n    sigstore-staging: file:///y\n    use-sigstore-attachments: true\n"))
	f.Add([]byte("docker:\n  a: {}\n  a: {}\n"))
	f.Add([]byte("? [1]\n: 2\n"))
	f.Add([]byte("docker: {1: {lookaside: 2}}"))
	f.Add([]byte("a: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := ParseFile(data, "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml: ") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		c := &Config{}
		if err := c.Merge(file); err != nil {
			t.Fatalf("merging into an empty config: %v", err)
		}
		defines := file.DefaultDocker != nil || len(file.Docker) > 0
		if err := c.Merge(file); (err != nil) != defines {
			t.Fatalf("merging twice: %v (defines something: %v)", err, defines)
		}
		for scope, ns := range file.Docker {
			u, err := c.BaseURL([]string{scope}, false)
			if err != nil {
				continue // an unparsable URL is reported at use
			}
			if ns.Lookaside != "" && u.String() == DefaultBase && ns.Lookaside != DefaultBase {
				t.Fatalf("scope %q with lookaside %q resolved to the default", scope, ns.Lookaside)
			}
		}
	})
}
