package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// epoch is the time stamp of every file and image: the same inputs give the
// same digests, so a second run pushes nothing new.
var epoch = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// layer is a tar layer being assembled in memory, in the order entries are
// added (parents before children).
type layer struct {
	comment string
	entries []*tar.Header
	data    map[string][]byte
	seen    map[string]bool
}

func newLayer(comment string) *layer {
	return &layer{comment: comment, data: map[string][]byte{}, seen: map[string]bool{}}
}

func (l *layer) add(h *tar.Header, data []byte) {
	name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
	if l.seen[name] {
		panic("duplicate layer entry " + name)
	}
	l.seen[name] = true
	h.Name = name
	if h.Typeflag == tar.TypeDir {
		h.Name += "/"
	}
	h.ModTime = epoch
	h.Format = tar.FormatPAX
	if h.Typeflag == tar.TypeReg {
		h.Size = int64(len(data))
		l.data[name] = data
	}
	l.entries = append(l.entries, h)
}

// dirs adds each directory (and its missing parents) as root:root.
func (l *layer) dirs(mode int64, names ...string) {
	for _, n := range names {
		n = strings.TrimPrefix(path.Clean("/"+n), "/")
		if n == "" {
			continue
		}
		parts := strings.Split(n, "/")
		for i := 1; i <= len(parts); i++ {
			p := strings.Join(parts[:i], "/")
			if l.seen[p] {
				continue
			}
			m := int64(0o755)
			if i == len(parts) {
				m = mode
			}
			l.add(&tar.Header{Typeflag: tar.TypeDir, Name: p, Mode: m}, nil)
		}
	}
}

func (l *layer) dirOwned(name string, mode int64, uid, gid int) {
	l.add(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: mode, Uid: uid, Gid: gid}, nil)
}

func (l *layer) file(name string, mode int64, data []byte) {
	l.dirs(0o755, path.Dir("/"+name))
	l.add(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode}, data)
}

func (l *layer) hostFile(name string, mode int64, src string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	l.file(name, mode, data)
	return nil
}

func (l *layer) symlink(name, target string) {
	l.dirs(0o755, path.Dir("/"+name))
	l.add(&tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}, nil)
}

// hardlink adds name as a hard link to target, a regular file already in
// the layer. The entry carries the target's mode and owner, as docker's and
// containerd's tar writers do: containerd applies a link entry's mode to
// the linked inode.
func (l *layer) hardlink(name, target string) {
	target = strings.TrimPrefix(path.Clean("/"+target), "/")
	var t *tar.Header
	for _, h := range l.entries {
		if h.Name == target && h.Typeflag == tar.TypeReg {
			t = h
		}
	}
	if t == nil {
		panic("hard link " + name + " to missing file " + target)
	}
	l.dirs(0o755, path.Dir("/"+name))
	l.add(&tar.Header{Typeflag: tar.TypeLink, Name: name, Linkname: target, Mode: t.Mode, Uid: t.Uid, Gid: t.Gid}, nil)
}

// blob returns the gzip-compressed tar and the digest of the uncompressed
// tar (the diff ID).
func (l *layer) blob() (compressed []byte, diffID string, err error) {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, h := range l.entries {
		if err := tw.WriteHeader(h); err != nil {
			return nil, "", fmt.Errorf("%s: %w", h.Name, err)
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(l.data[strings.TrimSuffix(h.Name, "/")]); err != nil {
				return nil, "", err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, "", err
	}
	var gz bytes.Buffer
	zw, err := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	if err != nil {
		return nil, "", err
	}
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, "", err
	}
	if err := zw.Close(); err != nil {
		return nil, "", err
	}
	return gz.Bytes(), digestOf(raw.Bytes()), nil
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// imageSpec is one image to write: its layers and the parts of its config
// that differ between images.
type imageSpec struct {
	name       string // ref name in the layout
	upstream   []string
	layers     []*layer
	user       string
	entrypoint []string
	cmd        []string
	env        []string
	workdir    string
	ports      []string
	labels     map[string]string
}

const (
	mediaManifest = "application/vnd.oci.image.manifest.v1+json"
	mediaConfig   = "application/vnd.oci.image.config.v1+json"
	mediaLayer    = "application/vnd.oci.image.layer.v1.tar+gzip"
)

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      string            `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Platform    *platform         `json:"platform,omitempty"`
}

type platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
}

// layoutWriter writes an OCI image layout (blobs once, index.json at the
// end).
type layoutWriter struct {
	dir      string
	index    []descriptor
	layers   map[*layer]descriptor
	diffIDs  map[*layer]string
	upstream []string // "name reference" lines
}

func newLayoutWriter(dir string) (*layoutWriter, error) {
	if err := os.RemoveAll(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(dir, "blobs", "sha256"), 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "oci-layout"), []byte(`{"imageLayoutVersion":"1.0.0"}`), 0o644); err != nil {
		return nil, err
	}
	return &layoutWriter{dir: dir, layers: map[*layer]descriptor{}, diffIDs: map[*layer]string{}}, nil
}

func (w *layoutWriter) putBlob(b []byte) (string, error) {
	d := digestOf(b)
	p := filepath.Join(w.dir, "blobs", "sha256", strings.TrimPrefix(d, "sha256:"))
	if _, err := os.Stat(p); err == nil {
		return d, nil
	}
	return d, os.WriteFile(p, b, 0o644)
}

func (w *layoutWriter) layer(l *layer) (descriptor, string, error) {
	if d, ok := w.layers[l]; ok {
		return d, w.diffIDs[l], nil
	}
	b, diffID, err := l.blob()
	if err != nil {
		return descriptor{}, "", err
	}
	d, err := w.putBlob(b)
	if err != nil {
		return descriptor{}, "", err
	}
	desc := descriptor{MediaType: mediaLayer, Digest: d, Size: int64(len(b))}
	w.layers[l], w.diffIDs[l] = desc, diffID
	return desc, diffID, nil
}

func (w *layoutWriter) image(s imageSpec) error {
	var layerDescs []descriptor
	var diffIDs []string
	type hist struct {
		Created   string `json:"created"`
		CreatedBy string `json:"created_by"`
		Comment   string `json:"comment,omitempty"`
	}
	var history []hist
	for _, l := range s.layers {
		d, id, err := w.layer(l)
		if err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
		layerDescs = append(layerDescs, d)
		diffIDs = append(diffIDs, id)
		history = append(history, hist{Created: epoch.Format(time.RFC3339), CreatedBy: "critest-harness images", Comment: l.comment})
	}
	env := s.env
	if env == nil {
		env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	}
	cfg := map[string]any{
		"User":       s.user,
		"Env":        env,
		"Entrypoint": s.entrypoint,
		"Cmd":        s.cmd,
		"WorkingDir": s.workdir,
		"Labels":     s.labels,
	}
	if len(s.ports) > 0 {
		ports := map[string]struct{}{}
		for _, p := range s.ports {
			ports[p] = struct{}{}
		}
		cfg["ExposedPorts"] = ports
	}
	config := map[string]any{
		"created":      epoch.Format(time.RFC3339),
		"architecture": "amd64",
		"os":           "linux",
		"config":       cfg,
		"rootfs":       map[string]any{"type": "layers", "diff_ids": diffIDs},
		"history":      history,
	}
	cb, err := json.Marshal(config)
	if err != nil {
		return err
	}
	cd, err := w.putBlob(cb)
	if err != nil {
		return err
	}
	manifest := map[string]any{
		"schemaVersion": 2,
		"mediaType":     mediaManifest,
		"config":        descriptor{MediaType: mediaConfig, Digest: cd, Size: int64(len(cb))},
		"layers":        layerDescs,
	}
	mb, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	md, err := w.putBlob(mb)
	if err != nil {
		return err
	}
	w.index = append(w.index, descriptor{
		MediaType:   mediaManifest,
		Digest:      md,
		Size:        int64(len(mb)),
		Annotations: map[string]string{"org.opencontainers.image.ref.name": s.name},
		Platform:    &platform{Architecture: "amd64", OS: "linux"},
	})
	for _, u := range s.upstream {
		w.upstream = append(w.upstream, s.name+" "+u)
	}
	return nil
}

func (w *layoutWriter) finish() error {
	sort.SliceStable(w.index, func(i, j int) bool {
		return w.index[i].Annotations["org.opencontainers.image.ref.name"] < w.index[j].Annotations["org.opencontainers.image.ref.name"]
	})
	ib, err := json.MarshalIndent(map[string]any{
		"schemaVersion": 2,
		"mediaType":     "application/vnd.oci.image.index.v1+json",
		"manifests":     w.index,
	}, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w.dir, "index.json"), ib, 0o644); err != nil {
		return err
	}
	sort.Strings(w.upstream)
	return os.WriteFile(filepath.Join(w.dir, "images.list"), []byte(strings.Join(w.upstream, "\n")+"\n"), 0o644)
}
