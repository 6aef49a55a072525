package cri

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/distribution/reference"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/store"
	"github.com/ocid-project/ocid/transport"
)

// PullImage pulls through registries.conf (mirrors, short names) and the
// signature policy into the store.
func (s *Server) PullImage(ctx context.Context, req *runtimeapi.PullImageRequest) (*runtimeapi.PullImageResponse, error) {
	ref := req.GetImage().GetImage()
	if ref == "" {
		return nil, invalid("image is required")
	}
	opts, err := s.o.CopyOptions()
	if err != nil {
		return nil, toStatus(err)
	}
	if a := req.GetAuth(); a != nil && (a.Username != "" || a.IdentityToken != "") {
		opts.Source = withCreds(opts.Source, &transport.Credentials{Username: a.Username, Password: a.Password, IdentityToken: a.IdentityToken})
	}
	start := time.Now()
	res, err := s.o.Puller.Pull(ctx, ref, "", opts)
	if s.o.OnPull != nil {
		var size int64
		if err == nil {
			size = res.Image.Size
		}
		s.o.OnPull(time.Since(start), size, err)
	}
	if err != nil {
		return nil, toStatus(fmt.Errorf("pulling image %s: %w", ref, err))
	}
	s.usage.invalidate()
	s.log.Info("image pulled", "image", ref, "id", res.Image.ID)
	return &runtimeapi.PullImageResponse{ImageRef: res.Image.ID.String()}, nil
}

func withCreds(o *transport.Options, c *transport.Credentials) *transport.Options {
	cp := *o
	cp.Creds = c
	return &cp
}

// ImageStatus reports an image (nil when the store does not have it).
func (s *Server) ImageStatus(ctx context.Context, req *runtimeapi.ImageStatusRequest) (*runtimeapi.ImageStatusResponse, error) {
	ref := req.GetImage().GetImage()
	if ref == "" {
		return nil, invalid("image is required")
	}
	img, err := s.st.Lookup(ref)
	if errdefs.IsNotFound(err) {
		return &runtimeapi.ImageStatusResponse{}, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	return &runtimeapi.ImageStatusResponse{Image: s.criImage(img)}, nil
}

// ListImages lists stored images (optionally one reference).
func (s *Server) ListImages(ctx context.Context, req *runtimeapi.ListImagesRequest) (*runtimeapi.ListImagesResponse, error) {
	if f := req.GetFilter().GetImage().GetImage(); f != "" {
		img, err := s.st.Lookup(f)
		if errdefs.IsNotFound(err) {
			return &runtimeapi.ListImagesResponse{}, nil
		}
		if err != nil {
			return nil, toStatus(err)
		}
		return &runtimeapi.ListImagesResponse{Images: []*runtimeapi.Image{s.criImage(img)}}, nil
	}
	imgs, err := s.st.Images()
	if err != nil {
		return nil, toStatus(err)
	}
	resp := &runtimeapi.ListImagesResponse{}
	for i := range imgs {
		resp.Images = append(resp.Images, s.criImage(&imgs[i]))
	}
	return resp, nil
}

// criImage describes a stored image: RepoTags are its names, RepoDigests
// name@manifest-digest for each repository, the user from its config.
func (s *Server) criImage(img *store.Image) *runtimeapi.Image {
	out := &runtimeapi.Image{Id: img.ID.String(), Size: uint64(img.Size), RepoTags: []string{}, RepoDigests: []string{}}
	repos := map[string]bool{}
	for _, n := range img.Names {
		out.RepoTags = append(out.RepoTags, n)
		if named, err := reference.ParseNormalizedNamed(n); err == nil {
			repos[named.Name()] = true
		}
	}
	for repo := range repos {
		for _, d := range img.Digests {
			out.RepoDigests = append(out.RepoDigests, repo+"@"+d.String())
		}
	}
	if raw, err := s.st.ImageBlob(img, img.ID); err == nil {
		if cfg, err := image.ParseConfig(raw); err == nil {
			setUser(out, cfg.Config.User)
		}
	}
	return out
}

// setUser fills Uid or Username from an image's USER ("uid[:gid]" or
// "name[:group]").
func setUser(out *runtimeapi.Image, user string) {
	u, _, _ := strings.Cut(user, ":")
	if u == "" {
		return
	}
	if n, err := strconv.ParseInt(u, 10, 64); err == nil {
		out.Uid = &runtimeapi.Int64Value{Value: n}
		return
	}
	out.Username = u
}

// RemoveImage removes an image; removing one that is gone is not an
// error.
func (s *Server) RemoveImage(ctx context.Context, req *runtimeapi.RemoveImageRequest) (*runtimeapi.RemoveImageResponse, error) {
	ref := req.GetImage().GetImage()
	if ref == "" {
		return nil, invalid("image is required")
	}
	img, err := s.st.Lookup(ref)
	if errdefs.IsNotFound(err) {
		return &runtimeapi.RemoveImageResponse{}, nil
	}
	if err != nil {
		return nil, toStatus(err)
	}
	// The CRI removes the image, not a name of it.
	if _, err := s.st.Remove(img.ID.String()); err != nil && !errdefs.IsNotFound(err) {
		return nil, toStatus(err)
	}
	s.usage.invalidate()
	s.gc.Trigger()
	return &runtimeapi.RemoveImageResponse{}, nil
}

// ImageFsInfo reports the store's file system usage.
func (s *Server) ImageFsInfo(ctx context.Context, req *runtimeapi.ImageFsInfoRequest) (*runtimeapi.ImageFsInfoResponse, error) {
	u, at, err := s.usage.get()
	if err != nil {
		return nil, toStatus(err)
	}
	var st syscall.Statfs_t
	inodes := uint64(0)
	if syscall.Statfs(s.st.Root(), &st) == nil {
		inodes = st.Files - st.Ffree
	}
	fs := &runtimeapi.FilesystemUsage{
		Timestamp: at.UnixNano(), FsId: &runtimeapi.FilesystemIdentifier{Mountpoint: s.st.Root()},
		UsedBytes: &runtimeapi.UInt64Value{Value: uint64(u.DiskBytes)}, InodesUsed: &runtimeapi.UInt64Value{Value: inodes},
	}
	return &runtimeapi.ImageFsInfoResponse{ImageFilesystems: []*runtimeapi.FilesystemUsage{fs}, ContainerFilesystems: []*runtimeapi.FilesystemUsage{fs}}, nil
}
