package image

// ConvertManifest returns m rewritten in format to: the manifest, config
// and layer media types are mapped; fields the target cannot carry
// (annotations, subject in Docker schema 2) are dropped, as skopeo does.
// Layers the target cannot express (zstd in Docker schema 2, unknown
// artifact types) are an error naming the layer.
func ConvertManifest(m *Manifest, to Format) (*Manifest, error) {
	if FormatOf(m.MediaType) == to {
		return m, nil
	}
	out := &Manifest{
		SchemaVersion: 2,
		MediaType:     to.ManifestMediaType(),
		Config:        m.Config,
		Layers:        make([]Descriptor, len(m.Layers)),
	}
	switch m.Config.MediaType {
	case MediaTypeOCIConfig, MediaTypeDockerConfig:
		out.Config.MediaType = ConfigMediaType(to)
	default:
		return nil, invalidf("cannot convert a manifest whose config has media type %q to %s", m.Config.MediaType, to)
	}
	out.Config.Annotations, out.Config.Platform = nil, nil
	if to == FormatOCI {
		out.Annotations = m.Annotations
		out.Config.Annotations = m.Config.Annotations
	}
	for i, l := range m.Layers {
		comp, ok := LayerCompression(l.MediaType)
		if !ok {
			return nil, invalidf("cannot convert layer %d (%s): media type %q is not an image layer", i, l.Digest, l.MediaType)
		}
		mt, err := LayerMediaType(to, comp, IsForeignLayer(l.MediaType))
		if err != nil {
			return nil, invalidf("cannot convert layer %d (%s) to %s: %v", i, l.Digest, to, err)
		}
		nl := l
		nl.MediaType = mt
		if to == FormatDocker {
			nl.Annotations = nil
		}
		out.Layers[i] = nl
	}
	return out, nil
}

// ConvertIndex returns idx rewritten as format to's index type, with each
// image entry's media type mapped. The caller fills in the digests and
// sizes of the instances it converted.
func ConvertIndex(idx *Index, to Format) *Index {
	out := *idx
	out.MediaType = to.IndexMediaType()
	out.Manifests = append([]Descriptor(nil), idx.Manifests...)
	for i := range out.Manifests {
		if IsManifest(out.Manifests[i].MediaType) {
			out.Manifests[i].MediaType = to.ManifestMediaType()
		}
		if to == FormatDocker {
			out.Manifests[i].Annotations = nil
		}
	}
	if to == FormatDocker {
		out.Annotations, out.Subject, out.ArtifactType = nil, nil, ""
	}
	return &out
}
