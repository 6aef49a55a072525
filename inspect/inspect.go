// Package inspect describes an image without pulling its layers: the
// manifest, the config and (for a registry) the repository's tags, in
// the shape skopeo inspect prints, so scripts written for one work with
// the other.
package inspect

import (
	"context"
	"fmt"
	"io"
	"time"

	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/internal/verify"
	"github.com/ocid-project/ocid/transport"
)

// Output is skopeo inspect's JSON, key for key.
type Output struct {
	Name          string            `json:",omitempty"`
	Digest        digest.Digest     `json:"Digest"`
	RepoTags      []string          `json:"RepoTags"`
	Created       *time.Time        `json:"Created"`
	DockerVersion string            `json:"DockerVersion"`
	Labels        map[string]string `json:"Labels"`
	Architecture  string            `json:"Architecture"`
	Variant       string            `json:"Variant,omitempty"`
	Os            string            `json:"Os"`
	Layers        []digest.Digest   `json:"Layers"`
	LayersData    []LayerData       `json:"LayersData"`
	Env           []string          `json:"Env"`
}

// LayerData is one layer's descriptor as skopeo prints it.
type LayerData struct {
	MIMEType    string            `json:"MIMEType"`
	Digest      digest.Digest     `json:"Digest"`
	Size        int64             `json:"Size"`
	Annotations map[string]string `json:"Annotations"`
}

// Image is what Resolve found: the top-level manifest, and the single
// image manifest and config chosen for the platform.
type Image struct {
	TopRaw, Raw       []byte
	TopType, Type     string
	TopDigest, Digest digest.Digest
	Manifest          *image.Manifest
	ConfigRaw         []byte
	Config            *image.Config
}

// Resolve reads the manifest (choosing the platform's instance of an
// index) and the config blob, verifying both.
func Resolve(ctx context.Context, src transport.Source, platform image.Platform) (*Image, error) {
	top, topType, err := src.Manifest(ctx, "")
	if err != nil {
		return nil, err
	}
	img := &Image{TopRaw: top, TopType: topType, TopDigest: digest.FromBytes(top), Raw: top, Type: topType}
	if image.IsIndex(topType) {
		idx, err := image.ParseIndex(top, topType)
		if err != nil {
			return nil, err
		}
		d, err := image.ChooseInstance(idx, platform)
		if err != nil {
			return nil, err
		}
		if img.Raw, img.Type, err = src.Manifest(ctx, d.Digest); err != nil {
			return nil, err
		}
	}
	img.Digest = digest.FromBytes(img.Raw)
	if img.Manifest, err = image.ParseManifest(img.Raw, img.Type); err != nil {
		return nil, err
	}
	rc, _, err := src.Blob(ctx, img.Manifest.Config)
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", img.Manifest.Config.Digest, err)
	}
	defer rc.Close()
	img.ConfigRaw, err = io.ReadAll(verify.NewReader(io.LimitReader(rc, 32<<20+1), img.Manifest.Config.Digest, img.Manifest.Config.Size))
	if err != nil {
		return nil, fmt.Errorf("reading config %s: %w", img.Manifest.Config.Digest, err)
	}
	if img.Config, err = image.ParseConfig(img.ConfigRaw); err != nil {
		return nil, err
	}
	return img, nil
}

// Describe builds skopeo's inspect output. tags are the repository's
// tags (nil when not listed).
func Describe(ref transport.Reference, img *Image, tags []string) *Output {
	out := &Output{
		Digest:        img.TopDigest,
		RepoTags:      tags,
		Created:       img.Config.Created,
		DockerVersion: dockerVersion(img.ConfigRaw),
		Labels:        img.Config.Config.Labels,
		Architecture:  img.Config.Architecture,
		Variant:       img.Config.Variant,
		Os:            img.Config.OS,
		Env:           img.Config.Config.Env,
		Layers:        []digest.Digest{},
		LayersData:    []LayerData{},
	}
	if out.RepoTags == nil {
		out.RepoTags = []string{}
	}
	if named := ref.DockerReference(); named != nil {
		out.Name = named.Name()
	}
	for _, l := range img.Manifest.Layers {
		out.Layers = append(out.Layers, l.Digest)
		out.LayersData = append(out.LayersData, LayerData{MIMEType: l.MediaType, Digest: l.Digest, Size: l.Size, Annotations: l.Annotations})
	}
	return out
}
