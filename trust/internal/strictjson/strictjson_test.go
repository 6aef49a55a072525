package strictjson

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	v, err := Parse([]byte(` {"b": [1, {"x y": null}], "a": true} `))
	if err != nil {
		t.Fatal(err)
	}
	if v.Members[0].Key != "b" || v.Members[1].Key != "a" {
		t.Fatal("member order lost")
	}
	inner := v.Get("b").Array[1].Get("x y")
	if inner.Kind != Null || inner.Path != `b[1]."x y"` {
		t.Fatalf("path %q kind %v", inner.Path, inner.Kind)
	}
	for in, want := range map[string]string{
		`{"a":1,"a":2}`:          `top level: duplicate key "a"`,
		`{"a":[{"k":1,"k":1}]}`:  `a[0]: duplicate key "k"`,
		`{} x`:                   "unexpected data",
		`{"a":`:                  "a: EOF",
		strings.Repeat("[", 100): "nested too deeply",
		`{"a.b":{"c":1,"c":1}}`:  `"a.b": duplicate key "c"`,
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", in, err, want)
		}
	}
	obj, _ := Parse([]byte(`{"type":"x","extra":1}`))
	if err := obj.CheckKeys([]string{"type"}); err == nil || err.Error() != `top level: unknown key "extra"` {
		t.Errorf("CheckKeys: %v", err)
	}
	if err := obj.CheckKeys([]string{"type", "need"}, "extra"); err == nil || !strings.Contains(err.Error(), `missing key "need"`) {
		t.Errorf("CheckKeys: %v", err)
	}
	if _, err := obj.Get("extra").StringOf(); err == nil || err.Error() != "extra: expected a string, got a number" {
		t.Errorf("StringOf: %v", err)
	}
}
