// Package strictjson parses JSON into an ordered tree for configuration
// files that must be read strictly: duplicate keys are errors at any
// depth, nothing may follow the value, and every error names where it is
// with a key path such as transports.docker."example.com"[0].keyPath.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
)

// maxDepth bounds nesting so hostile input cannot exhaust the stack.
const maxDepth = 64

// Kind is the JSON type of a Value.
type Kind int

// The JSON kinds.
const (
	Null Kind = iota
	Bool
	Number
	String
	Array
	Object
)

func (k Kind) String() string {
	return [...]string{"null", "a boolean", "a number", "a string", "an array", "an object"}[k]
}

// Value is one parsed JSON value; Path says where it was found.
type Value struct {
	Kind    Kind
	Bool    bool
	Number  json.Number
	String  string
	Array   []*Value
	Members []Member // in document order
	Path    Path
}

// Member is one key of an object.
type Member struct {
	Key   string
	Value *Value
}

// Path is a key path from the document root.
type Path string

// Key extends p with an object key; keys that are not plain identifiers
// are quoted so dots and brackets inside them stay unambiguous.
func (p Path) Key(k string) Path {
	seg := k
	if !plainKey.MatchString(k) {
		seg = strconv.Quote(k)
	}
	if p == "" {
		return Path(seg)
	}
	return p + "." + Path(seg)
}

// Index extends p with an array index.
func (p Path) Index(i int) Path { return Path(fmt.Sprintf("%s[%d]", p, i)) }

func (p Path) String() string {
	if p == "" {
		return "top level"
	}
	return string(p)
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Error is a parse or validation error at Path.
type Error struct {
	Path Path
	Msg  string
}

func (e *Error) Error() string { return e.Path.String() + ": " + e.Msg }

// Errorf makes an *Error at p.
func Errorf(p Path, format string, args ...any) error {
	return &Error{Path: p, Msg: fmt.Sprintf(format, args...)}
}

// Parse reads data as exactly one JSON value.
func Parse(data []byte) (*Value, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	v, err := parseValue(dec, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, Errorf("", "unexpected data after the JSON value")
	}
	return v, nil
}

func parseValue(dec *json.Decoder, p Path, depth int) (*Value, error) {
	if depth > maxDepth {
		return nil, Errorf(p, "JSON nested too deeply")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, Errorf(p, "%v", err)
	}
	v := &Value{Path: p}
	switch t := tok.(type) {
	case json.Delim:
		if t == '[' {
			v.Kind = Array
			for i := 0; dec.More(); i++ {
				e, err := parseValue(dec, p.Index(i), depth+1)
				if err != nil {
					return nil, err
				}
				v.Array = append(v.Array, e)
			}
		} else { // '{'
			v.Kind = Object
			seen := map[string]bool{}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, Errorf(p, "%v", err)
				}
				key := kt.(string) // the decoder yields only strings in key position
				if seen[key] {
					return nil, Errorf(p, "duplicate key %q", key)
				}
				seen[key] = true
				e, err := parseValue(dec, p.Key(key), depth+1)
				if err != nil {
					return nil, err
				}
				v.Members = append(v.Members, Member{Key: key, Value: e})
			}
		}
		if _, err := dec.Token(); err != nil { // closing delimiter
			return nil, Errorf(p, "%v", err)
		}
	case bool:
		v.Kind, v.Bool = Bool, t
	case json.Number:
		v.Kind, v.Number = Number, t
	case string:
		v.Kind, v.String = String, t
	case nil:
		v.Kind = Null
	}
	return v, nil
}

// Get returns the member named key, or nil.
func (v *Value) Get(key string) *Value {
	for _, m := range v.Members {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

// Expect fails unless v has kind k.
func (v *Value) Expect(k Kind) error {
	if v.Kind != k {
		return Errorf(v.Path, "expected %s, got %s", k, v.Kind)
	}
	return nil
}

// CheckKeys fails unless v is an object whose keys are all in allowed and
// which has every key in required.
func (v *Value) CheckKeys(required []string, allowed ...string) error {
	if err := v.Expect(Object); err != nil {
		return err
	}
	for _, m := range v.Members {
		ok := false
		for _, a := range allowed {
			ok = ok || a == m.Key
		}
		for _, r := range required {
			ok = ok || r == m.Key
		}
		if !ok {
			return Errorf(v.Path, "unknown key %q", m.Key)
		}
	}
	for _, r := range required {
		if v.Get(r) == nil {
			return Errorf(v.Path, "missing key %q", r)
		}
	}
	return nil
}

// StringOf returns v's string or an error if v is not a string.
func (v *Value) StringOf() (string, error) {
	if err := v.Expect(String); err != nil {
		return "", err
	}
	return v.String, nil
}
