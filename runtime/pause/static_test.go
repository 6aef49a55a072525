package pause

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestCheckStatic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\nimport \"os/user\"\nfunc main() { user.Current() }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	build := func(name, cgo string) string {
		out := filepath.Join(dir, name)
		cmd := exec.Command("go", "build", "-o", out, src)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+cgo, "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go build (CGO_ENABLED=%s): %v\n%s", cgo, err, b)
		}
		return out
	}
	if err := CheckStatic(build("static", "0")); err != nil {
		t.Errorf("static program refused: %v", err)
	}
	if err := CheckStatic(build("dynamic", "1")); !errors.Is(err, errdefs.ErrInvalidArgument) {
		t.Errorf("dynamic program: %v, want an invalid-argument error", err)
	}
	if err := CheckStatic(src); err == nil {
		t.Error("a Go source file accepted as a program")
	}
}
