//go:build !amd64

package spec

// kernelRunsX32: x32 is an x86-64 ABI; elsewhere the profile's
// architectures are kept as they are.
func kernelRunsX32() bool { return true }
