package main

import "github.com/ocid-project/ocid/internal/fsutil"

func writeFile(path string, data []byte) error {
	return fsutil.WriteFileAtomic(path, data, 0o644)
}
