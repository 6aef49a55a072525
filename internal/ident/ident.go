// Package ident checks the names ocid gives containers and their
// records: a letter or digit, then letters, digits, '_', '.' or '-'.
// A loop rather than a regular expression: `{0,252}` compiles into a
// program of hundreds of instructions that every ocid process would
// build at start-up and keep.
package ident

// Valid reports whether s is such a name of at most max bytes.
func Valid(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '_' || c == '.' || c == '-'):
		default:
			return false
		}
	}
	return true
}
