package nri

import (
	"errors"
	"strings"
	"testing"

	"github.com/containerd/nri/pkg/api"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/runtime/spec"
)

// FuzzConvertMount: a plugin's mount (type and comma-separated options)
// becomes a bind or tmpfs mount at the same destination, or an
// invalid-argument error; never a panic, never a negative tmpfs size.
func FuzzConvertMount(f *testing.F) {
	f.Add("tmpfs", "size=16m,mode=0750,noexec")
	f.Add("bind", "rbind,ro,rslave,nosuid")
	f.Add("", "bind,rro")
	f.Add("overlay", "lowerdir=/a")
	f.Add("tmpfs", "size=99999999999999999g")
	f.Fuzz(func(t *testing.T, typ, opts string) {
		m := &api.Mount{Destination: "/d", Source: "/s", Type: typ}
		if opts != "" {
			m.Options = strings.Split(opts, ",")
		}
		sm, err := convertMount(m)
		if err != nil {
			if !errors.Is(err, errdefs.ErrInvalidArgument) {
				t.Fatalf("%v is not an invalid-argument error", err)
			}
			return
		}
		if sm.Destination != "/d" || (sm.Type != spec.MountBind && sm.Type != spec.MountTmpfs) || sm.TmpfsSize < 0 {
			t.Fatalf("%q %q became %+v", typ, opts, sm)
		}
	})
}
