package ident

import (
	"regexp"
	"strings"
	"testing"
)

func TestValid(t *testing.T) {
	for _, tc := range []struct {
		s    string
		max  int
		want bool
	}{
		{"a", 10, true}, {"web-1_x.y", 10, true}, {"0abc", 10, true},
		{"", 10, false}, {"-a", 10, false}, {".a", 10, false}, {"_a", 10, false},
		{"a/b", 10, false}, {"a b", 10, false}, {"é", 10, false}, {"a\x00", 10, false},
		{strings.Repeat("a", 10), 10, true}, {strings.Repeat("a", 11), 10, false},
	} {
		if got := Valid(tc.s, tc.max); got != tc.want {
			t.Errorf("Valid(%q, %d) = %v, want %v", tc.s, tc.max, got, tc.want)
		}
	}
}

// FuzzValid: the loop agrees with the regular expression it replaces.
func FuzzValid(f *testing.F) {
	re := regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$`)
	for _, s := range []string{"a", "a-b", "-", "a..", strings.Repeat("b", 128), strings.Repeat("b", 129), "x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Valid(s, 128), re.MatchString(s); got != want {
			t.Fatalf("Valid(%q) = %v, the pattern says %v", s, got, want)
		}
	})
}
