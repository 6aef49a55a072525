package image

import (
	"errors"
	"reflect"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestParseDockerReference(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"busybox", "docker.io/library/busybox"},
		{"busybox:1.36", "docker.io/library/busybox:1.36"},
		{"quay.io/ns/app:v1", "quay.io/ns/app:v1"},
		{"127.0.0.1:5000/app", "127.0.0.1:5000/app"},
		{"localhost/app@sha256:" + sixtyFour, "localhost/app@sha256:" + sixtyFour},
	} {
		got, err := ParseDockerReference(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if got.String() != tc.want {
			t.Errorf("%s: got %s, want %s", tc.in, got, tc.want)
		}
	}
	for _, bad := range []string{"", "Busybox", "a:b:c", "busybox:1@sha256:" + sixtyFour, "app@sha256:short", "-lead/x"} {
		if _, err := ParseDockerReference(bad); !errors.Is(err, errdefs.ErrInvalidArgument) {
			t.Errorf("%q: want an invalid-argument error, got %v", bad, err)
		}
	}
}

const sixtyFour = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestPolicyNamespaces(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"busybox", []string{"docker.io/library/busybox", "docker.io/library", "docker.io", "*.io"}},
		{"a.b.example.com:5000/ns1/ns2/app:1", []string{
			"a.b.example.com:5000/ns1/ns2/app", "a.b.example.com:5000/ns1/ns2", "a.b.example.com:5000/ns1",
			"a.b.example.com:5000", "*.b.example.com", "*.example.com", "*.com"}},
		{"localhost/app", []string{"localhost/app", "localhost"}},
	} {
		named, err := ParseDockerReference(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := PolicyNamespaces(named); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestIsShortName(t *testing.T) {
	for in, want := range map[string]bool{
		"busybox": true, "library/busybox": true, "quay.io/x": false, "localhost/x": false, "host:5000/x": false,
	} {
		if IsShortName(in) != want {
			t.Errorf("IsShortName(%q) != %v", in, want)
		}
	}
}

// FuzzParseReference: whatever parses must print back to a name that
// parses to the same thing, and its policy scopes must all be prefixes
// of the name.
func FuzzParseReference(f *testing.F) {
	for _, s := range []string{"busybox", "quay.io/ns/app:v1", "127.0.0.1:5000/a/b@sha256:" + sixtyFour, "x:1@sha256:" + sixtyFour, "[::1]:5000/app:tag", "a/b/c/d/e:f"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		named, err := ParseDockerReference(s)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("%q: error is not invalid-argument: %v", s, err)
			}
			return
		}
		again, err := ParseDockerReference(named.String())
		if err != nil || again.String() != named.String() {
			t.Fatalf("%q: %q does not round-trip: %v", s, named, err)
		}
		for _, ns := range PolicyNamespaces(named) {
			if ns == "" {
				t.Fatalf("%q: empty scope", s)
			}
		}
	})
}
