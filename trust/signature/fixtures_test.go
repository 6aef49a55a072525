package signature

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ocid-project/ocid/fixtures/gpgtest"
)

// One GNUPGHOME and a few keys serve every test of the package; gpg key
// generation is the slow part. TestMain removes the home and stops its
// agent.
var (
	fixOnce    sync.Once
	fixErr     error
	fixHome    *gpgtest.Home
	fixKey     *gpgtest.Key // trusted signer
	fixOther   *gpgtest.Key // a second, untrusted signer
	fixTmpRoot string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixHome != nil {
		_ = fixHome.Close()
	}
	if fixTmpRoot != "" {
		_ = os.RemoveAll(fixTmpRoot)
	}
	os.Exit(code)
}

func fixtures(t testing.TB) (*gpgtest.Home, *gpgtest.Key, *gpgtest.Key) {
	t.Helper()
	fixOnce.Do(func() {
		fixTmpRoot, fixErr = os.MkdirTemp("", "ocid-sig-")
		if fixErr != nil {
			return
		}
		if fixHome, fixErr = gpgtest.NewHome(filepath.Join(fixTmpRoot, "gnupg")); fixErr != nil {
			return
		}
		if fixKey, fixErr = fixHome.GenerateKey(gpgtest.KeyOptions{Name: "ocid signer"}); fixErr != nil {
			return
		}
		fixOther, fixErr = fixHome.GenerateKey(gpgtest.KeyOptions{Name: "other signer"})
	})
	if fixErr != nil {
		t.Fatalf("gpg fixtures: %v", fixErr)
	}
	return fixHome, fixKey, fixOther
}

func mustKeyring(t testing.TB, data ...[]byte) *Keyring {
	t.Helper()
	k := &Keyring{}
	for _, d := range data {
		one, err := ReadKeyring(d)
		if err != nil {
			t.Fatal(err)
		}
		k = k.Merge(one)
	}
	return k
}

func mustSigningKey(t testing.TB, k *gpgtest.Key) *SigningKey {
	t.Helper()
	sk, err := ReadSigningKey(k.Secret, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

// testManifest is a small docker v2s2 manifest.
var testManifest = []byte(`{
   "schemaVersion": 2,
   "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
   "config": {"mediaType": "application/vnd.docker.container.image.v1+json", "size": 2, "digest": "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
   "layers": []
}`)

func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// run runs a command with the fixture GNUPGHOME and returns combined output.
func run(t testing.TB, h *gpgtest.Home, name string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = h.Env()
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %v: %w", name, args, err)
	}
	return out.Bytes(), err
}

func requireSkopeo(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("skopeo"); err != nil {
		t.Skip("skopeo not installed")
	}
}
