package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
	"reflect"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func lookPath(name string) (string, error) { return exec.LookPath(name) }

// NewID returns a fresh container ID.
func NewID() string { return newID() }

// newID is a container ID as the CRI and docker write them: 64 hex digits.
func newID() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// mergeResources applies an update to a container's resources as the
// runtime's update does: every field the update sets replaces the one
// before; fields it leaves unset stay.
func mergeResources(old, upd *specs.LinuxResources) *specs.LinuxResources {
	if old == nil {
		return upd
	}
	mergeSet(reflect.ValueOf(old).Elem(), reflect.ValueOf(upd).Elem())
	return old
}

// mergeSet copies the set fields of src over dst (structs of the same
// type), field by field into nested structs.
func mergeSet(dst, src reflect.Value) {
	for i := range src.NumField() {
		sf, df := src.Field(i), dst.Field(i)
		switch {
		case sf.IsZero():
		case sf.Kind() == reflect.Pointer && sf.Elem().Kind() == reflect.Struct && !df.IsNil():
			mergeSet(df.Elem(), sf.Elem())
		default:
			df.Set(sf)
		}
	}
}
