package registry_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ocid-project/ocid/copy"
	"github.com/ocid-project/ocid/errdefs"
	"github.com/ocid-project/ocid/fixtures"
	"github.com/ocid-project/ocid/transport"
	"github.com/ocid-project/ocid/transport/all"
	"github.com/ocid-project/ocid/transport/registry"
)

func openManifest(t *testing.T, name string, opts *transport.Options) ([]byte, error) {
	t.Helper()
	ref, err := registry.ParseReference("//" + name)
	if err != nil {
		t.Fatal(err)
	}
	src, err := ref.NewSource(context.Background(), opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	raw, _, err := src.Manifest(context.Background(), "")
	return raw, err
}

func TestTLSWithCertDir(t *testing.T) {
	reg := fixtures.StartRegistry(t, fixtures.WithTLS())
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	// Without the CA the certificate is refused.
	if _, err := openManifest(t, reg.Ref("ns/app", "v1"), &transport.Options{}); err == nil {
		t.Fatal("an unknown CA was accepted")
	}
	raw, err := openManifest(t, reg.Ref("ns/app", "v1"), &transport.Options{CertDir: reg.CertDir})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, img.Manifest.Data) {
		t.Fatal("manifest differs")
	}
}

func TestBasicAuth(t *testing.T) {
	reg := fixtures.StartRegistry(t, fixtures.WithTLS(), fixtures.WithBasicAuth("alice", "s3cret"))
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	name := reg.Ref("ns/app", "v1")
	base := func() *transport.Options {
		return &transport.Options{CertDir: reg.CertDir, AuthFiles: []string{filepath.Join(t.TempDir(), "none.json")}}
	}
	if _, err := openManifest(t, name, base()); !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("anonymous: want an authentication error, got %v", err)
	}
	o := base()
	o.Creds = &transport.Credentials{Username: "alice", Password: "wrong"}
	if _, err := openManifest(t, name, o); err == nil {
		t.Fatal("a wrong password was accepted")
	}
	o.Creds.Password = "s3cret"
	if _, err := openManifest(t, name, o); err != nil {
		t.Fatalf("--creds: %v", err)
	}
	// The same credentials from an auth.json, as podman and docker write it.
	authFile := filepath.Join(t.TempDir(), "auth.json")
	os.WriteFile(authFile, []byte(`{"auths":{"`+reg.Host+`":{"auth":"`+base64.StdEncoding.EncodeToString([]byte("alice:s3cret"))+`"}}}`), 0o600)
	o = base()
	o.AuthFiles = []string{authFile}
	if _, err := openManifest(t, name, o); err != nil {
		t.Fatalf("auth file: %v", err)
	}
}

func TestTokenAuthPullAndPush(t *testing.T) {
	reg := fixtures.StartRegistry(t, fixtures.WithTokenAuth("bob", "pw"))
	img := fixtures.LayeredImage(t, fixtures.OCI, fixtures.Gzip)
	reg.Push(t, "ns/app", "v1", img)
	o := &transport.Options{CertDir: reg.CertDir, Creds: &transport.Credentials{Username: "bob", Password: "pw"}}
	raw, err := openManifest(t, reg.Ref("ns/app", "v1"), o)
	if err != nil || !bytes.Equal(raw, img.Manifest.Data) {
		t.Fatalf("token pull: %v", err)
	}
	bad := &transport.Options{CertDir: reg.CertDir, Creds: &transport.Credentials{Username: "bob", Password: "nope"}}
	if _, err := openManifest(t, reg.Ref("ns/app", "v1"), bad); err == nil {
		t.Fatal("the token server accepted a wrong password")
	}
	if reg.TokenRequests() == 0 {
		t.Fatal("no token was requested")
	}
	// Push a second image with a token for pull+push, then read it back.
	other := fixtures.SmallImage(t, fixtures.OCI, fixtures.Gzip, "pushed")
	layout := fixtures.NewOCILayout(t, "x", other)
	src, _ := all.ParseImageName("oci:" + layout + ":x")
	dst, _ := all.ParseImageName("docker://" + reg.Ref("ns/pushed", "v2"))
	if _, err := copy.Image(context.Background(), dst, src, &copy.Options{InsecureAcceptAnything: true, Dest: o}); err != nil {
		t.Fatalf("token push: %v", err)
	}
	if got, _ := reg.Manifest(t, "ns/pushed", "v2"); !bytes.Equal(got, other.Manifest.Data) {
		t.Fatal("pushed manifest differs")
	}
}
