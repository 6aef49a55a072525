package archive

import (
	"bytes"
	"io"
)

// manifestItem is one image in manifest.json, as docker save writes it.
type manifestItem struct {
	Config   string   `json:"Config"`
	RepoTags []string `json:"RepoTags"`
	Layers   []string `json:"Layers"`
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
