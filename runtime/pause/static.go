package pause

import (
	"debug/elf"
	"fmt"

	"github.com/ocid-project/ocid/errdefs"
)

// CheckStatic reports whether the program at path can run as a pod's
// pause process: it is bind-mounted alone into an empty root, where no
// dynamic loader or library exists, so it must be statically linked (a
// dynamic one would exit at once and leave the pod without its PID
// namespace).
func CheckStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("pause program %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("pause program %s is dynamically linked; it runs in an empty root and must be static (build it with CGO_ENABLED=0, as make build does): %w",
				path, errdefs.ErrInvalidArgument)
		}
	}
	return nil
}
