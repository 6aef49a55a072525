package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"os/exec"
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
