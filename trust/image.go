package trust

import (
	"context"

	"github.com/distribution/reference"

	"github.com/ocid-project/ocid/trust/signature"
)

// ImageReference is what the policy needs to know about where an image
// comes from. Transports implement it.
type ImageReference interface {
	// Transport is the transport name used as a key of policy.json's
	// "transports": "docker", "dir", "oci", "oci-archive",
	// "docker-archive", "store", …
	Transport() string
	// StringWithinTransport is the reference as the user wrote it after
	// the transport prefix; used in messages.
	StringWithinTransport() string
	// DockerReference is the docker name the image is known by, or nil
	// (dir:, oci: without a name). Identity matchers compare it with the
	// name in a signature.
	DockerReference() reference.Named
	// PolicyConfigurationIdentity is the most specific scope name (see
	// DockerReferenceIdentity, ResolvePolicyPath).
	PolicyConfigurationIdentity() string
	// PolicyConfigurationNamespaces are the less specific scope names,
	// most specific first (see DockerReferenceNamespaces, PathNamespaces).
	PolicyConfigurationNamespaces() []string
}

// UnparsedImage is one image (or one instance of a list) to evaluate.
type UnparsedImage interface {
	Reference() ImageReference
	// Manifest returns the exact manifest bytes of this image or instance
	// and their media type.
	Manifest(ctx context.Context) ([]byte, string, error)
	// Signatures returns the (unverified) signatures stored for this
	// image or instance, of any format.
	Signatures(ctx context.Context) ([]signature.Signature, error)
}

// ImageName is "transport:reference", as used in messages.
func ImageName(ref ImageReference) string {
	return ref.Transport() + ":" + ref.StringWithinTransport()
}
