package registry

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/distribution/reference"
	digest "github.com/opencontainers/go-digest"

	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/trust/lookaside"
	"github.com/ocid-project/ocid/trust/signature"
)

// lookasideHTTP reads http(s) lookaside stores.
var lookasideHTTP = &http.Client{Timeout: 2 * time.Minute}

func lookasideConfig(opts *transport.Options) *lookaside.Config {
	if opts != nil && opts.Lookaside != nil {
		return opts.Lookaside
	}
	return &lookaside.Config{Docker: map[string]lookaside.Namespace{}}
}

// scopes are the registries.d scopes of the physical location: the
// lookaside follows where the bytes came from (a mirror has its own).
func scopes(physical reference.Named) []string {
	return append([]string{image.PolicyIdentity(physical)}, image.PolicyNamespaces(physical)...)
}

// readSignatures reads the lookaside signatures of manifest dg, plus the
// registry-attached (cosign) ones where registries.d enables them.
func readSignatures(ctx context.Context, c *client, physical reference.Named, dg digest.Digest, opts *transport.Options) ([][]byte, error) {
	cfg := lookasideConfig(opts)
	sc := scopes(physical)
	base, err := cfg.BaseURL(sc, false)
	if err != nil {
		return nil, err
	}
	sigs, err := lookaside.ReadSignatures(ctx, lookasideHTTP, base, reference.Path(physical), dg)
	if err != nil {
		return nil, fmt.Errorf("reading signatures of %s from %s: %w", physical.Name(), base.Redacted(), err)
	}
	if cfg.UseSigstoreAttachments(sc) {
		more, err := c.readAttachedSignatures(ctx, dg)
		if err != nil {
			return nil, err
		}
		sigs = append(sigs, more...)
	}
	return sigs, nil
}

// attachmentTag is cosign's tag for the signatures of dg.
func attachmentTag(dg digest.Digest) string {
	return dg.Algorithm().String() + "-" + dg.Encoded() + ".sig"
}

// readAttachedSignatures reads the cosign signature image of dg; each
// signature layer becomes a stored sigstore signature.
func (c *client) readAttachedSignatures(ctx context.Context, dg digest.Digest) ([][]byte, error) {
	raw, mt, err := c.getManifest(ctx, attachmentTag(dg))
	if errdefs.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading attached signatures: %w", err)
	}
	m, err := image.ParseManifest(raw, mt)
	if err != nil {
		return nil, fmt.Errorf("attached signatures of %s: %w", dg, err)
	}
	var out [][]byte
	for _, l := range m.Layers {
		if l.MediaType != signature.CosignSignatureMIMEType {
			continue
		}
		if l.Size > 4<<20 {
			return nil, fmt.Errorf("attached signature %s is %d bytes: %w", l.Digest, l.Size, errdefs.ErrInvalidArgument)
		}
		br := &blobReader{ctx: ctx, c: c, desc: l, size: l.Size, maxResumes: 2}
		payload, err := io.ReadAll(io.LimitReader(br, 4<<20))
		br.Close()
		if err != nil {
			return nil, err
		}
		if digest.FromBytes(payload) != l.Digest {
			return nil, fmt.Errorf("attached signature %s does not match its digest: %w", l.Digest, errdefs.ErrInvalidArgument)
		}
		b, err := signature.NewSigstore(l.MediaType, payload, l.Annotations).Marshal()
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// writeSignatures stores the complete signature list of dg: simple
// signatures in the lookaside (file: only), sigstore ones as a cosign
// attachment where registries.d enables attachments.
func (d *destination) writeSignatures(ctx context.Context, dg digest.Digest, sigs [][]byte) error {
	cfg := lookasideConfig(d.opts)
	sc := scopes(d.physical)
	var simple []([]byte)
	var attached []signature.Signature
	for i, b := range sigs {
		s, err := signature.Unmarshal(b)
		if err != nil {
			return fmt.Errorf("signature %d: %w", i+1, err)
		}
		if s.Format == signature.FormatSigstore {
			attached = append(attached, s)
		} else {
			simple = append(simple, b)
		}
	}
	if len(attached) > 0 && !cfg.UseSigstoreAttachments(sc) {
		return fmt.Errorf("%s: sigstore signatures can only be stored as registry attachments; enable use-sigstore-attachments in registries.d: %w", d.ref, errdefs.ErrInvalidArgument)
	}
	if len(simple) > 0 {
		base, err := cfg.BaseURL(sc, true)
		if err != nil {
			return err
		}
		if err := lookaside.WriteSignatures(base, reference.Path(d.physical), dg, simple); err != nil {
			return fmt.Errorf("writing signatures of %s: %w", d.ref, err)
		}
	}
	if len(attached) > 0 {
		return d.writeAttachedSignatures(ctx, dg, attached)
	}
	return nil
}

// writeAttachedSignatures pushes the cosign signature image of dg: one
// layer per signature (the payload, its signature in an annotation).
func (d *destination) writeAttachedSignatures(ctx context.Context, dg digest.Digest, sigs []signature.Signature) error {
	m := image.Manifest{SchemaVersion: 2, MediaType: image.MediaTypeOCIManifest, Layers: []image.Descriptor{}}
	var diffIDs []digest.Digest
	for _, s := range sigs {
		desc := image.Descriptor{MediaType: s.Sigstore.MIMEType, Digest: digest.FromBytes(s.Sigstore.Payload), Size: int64(len(s.Sigstore.Payload)), Annotations: s.Sigstore.Annotations}
		if err := d.ensureBlob(ctx, s.Sigstore.Payload, desc); err != nil {
			return err
		}
		m.Layers = append(m.Layers, desc)
		diffIDs = append(diffIDs, desc.Digest)
	}
	cfg, err := json.Marshal(map[string]any{
		"architecture": "", "os": "", "config": map[string]any{},
		"rootfs": map[string]any{"type": "layers", "diff_ids": diffIDs},
	})
	if err != nil {
		return err
	}
	m.Config = image.Descriptor{MediaType: image.MediaTypeOCIConfig, Digest: digest.FromBytes(cfg), Size: int64(len(cfg))}
	if err := d.ensureBlob(ctx, cfg, m.Config); err != nil {
		return err
	}
	raw, err := m.Marshal()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, d.c.url("manifests/"+attachmentTag(dg)), bytes.NewReader(raw))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", image.MediaTypeOCIManifest)
	if err := d.send(req, http.StatusCreated); err != nil {
		return fmt.Errorf("writing attached signatures of %s: %w", dg, err)
	}
	return nil
}

func (d *destination) ensureBlob(ctx context.Context, data []byte, desc image.Descriptor) error {
	if ok, err := d.HasBlob(ctx, desc); err == nil && ok {
		return nil
	}
	_, err := d.PutBlob(ctx, bytes.NewReader(data), desc)
	return err
}

// ReplaceSignatures writes the complete signature list of manifest dg of
// this repository (lookaside and, where enabled, attachments).
func (r *Reference) ReplaceSignatures(ctx context.Context, opts *transport.Options, dg digest.Digest, sigs [][]byte) error {
	d, err := newDestination(ctx, r, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.writeSignatures(ctx, dg, sigs)
}
