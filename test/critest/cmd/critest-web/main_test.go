package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestListenPort(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		conf, keyword string
		want          int
	}{
		{"server {\n    listen       12003;\n}\n", "listen", 12003},
		{"# comment\nListen 127.0.0.1:8080\n", "Listen", 8080},
		{"server { }\n", "listen", 80},
	} {
		f := filepath.Join(dir, "conf")
		if err := os.WriteFile(f, []byte(c.conf), 0o644); err != nil {
			t.Fatal(err)
		}
		if got := listenPort(f, c.keyword); got != c.want {
			t.Errorf("listenPort(%q) = %d, want %d", c.conf, got, c.want)
		}
	}
	if got := listenPort(filepath.Join(dir, "missing"), "listen"); got != 80 {
		t.Errorf("missing file: %d, want 80", got)
	}
}
