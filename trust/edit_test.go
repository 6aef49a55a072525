package trust

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ocid-project/ocid/errdefs"
)

func TestSetTrust(t *testing.T) {
	_, key, other := fixtures(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "policy.json")

	// No file yet: a scope needs the default first.
	if err := SetTrust(path, SetOptions{Scope: "example.com", Type: "reject"}); !errors.Is(err, errdefs.ErrPrecondition) {
		t.Fatalf("scope before default: %v", err)
	}
	if err := SetTrust(path, SetOptions{Scope: DefaultScope, Type: "reject"}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(`{
  "default": [{"type": "reject"}],
  "transports": {
    "dir": {"/var/lib/images": [{"type": "insecureAcceptAnything"}]},
    "docker": {
      "zz.example.com": [{"type": "reject"}],
      "example.com/ns": [{"type": "insecureAcceptAnything"}],
      "aa.example.com": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AAEC", "signedIdentity": {"type": "matchRepository"}}]
    }
  }
}`), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	// Replace a docker scope with signedBy, keys given relative to the cwd.
	t.Chdir(filepath.Dir(key.PublicPath))
	if err := SetTrust(path, SetOptions{Scope: "example.com/ns", Type: "signedBy", PubKeyFiles: []string{filepath.Base(key.PublicPath), other.PublicArmoredPath}}); err != nil {
		t.Fatal(err)
	}
	// A new scope is added under docker; an existing dir scope is found in dir.
	if err := SetTrust(path, SetOptions{Scope: "quay.io", Type: "accept"}); err != nil {
		t.Fatal(err)
	}
	if err := SetTrust(path, SetOptions{Scope: "/var/lib/images", Type: "reject"}); err != nil {
		t.Fatal(err)
	}
	p, err := LoadPolicy(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := transportNames(p); strings.Join(got, ",") != "dir,docker" {
		t.Fatalf("transports %v", got)
	}
	var scopes []string
	for _, s := range p.Transports[1].Scopes {
		scopes = append(scopes, s.Name)
	}
	if strings.Join(scopes, ",") != "zz.example.com,example.com/ns,aa.example.com,quay.io" {
		t.Fatalf("docker scope order %v", scopes)
	}
	ns, _ := p.Requirements("docker", "example.com/ns")
	if len(ns) != 2 || ns[0].KeyPath != key.PublicPath || ns[1].KeyPath != other.PublicArmoredPath || ns[0].KeyType != KeyTypeGPGKeys {
		t.Fatalf("signedBy requirements %+v %+v", ns[0], ns[1])
	}
	if aa, _ := p.Requirements("docker", "aa.example.com"); string(aa[0].KeyData) != "\x00\x01\x02" || aa[0].SignedIdentity.Type != MatchRepository {
		t.Fatal("an untouched entry changed")
	}
	if d, _ := p.Requirements("dir", "/var/lib/images"); d[0].Type != TypeReject {
		t.Fatal("dir scope not updated in place")
	}
	if q, _ := p.Requirements("docker", "quay.io"); q[0].Type != TypeInsecureAcceptAnything {
		t.Fatal("accept")
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v not kept", st.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	bad := []SetOptions{
		{Scope: "quay.io", Type: "trusted"},
		{Scope: "quay.io", Type: "accept", PubKeyFiles: []string{key.PublicPath}},
		{Scope: "quay.io", Type: "signedBy"},
		{Scope: "quay.io", Type: "signedBy", PubKeyFiles: []string{path}}, // JSON, not a keyring
		{Scope: "quay.io", Type: "sigstoreSigned", PubKeyFiles: []string{key.PublicPath}},
		{Scope: "Bad Scope", Type: "reject"},
		{Scope: "", Type: "reject"},
		{Scope: "relative/dir", Transport: "dir", Type: "reject"},
	}
	before, _ := os.ReadFile(path)
	for _, o := range bad {
		if err := SetTrust(path, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a failed set changed the file")
	}
}

func TestWritePolicyRefusesInvalid(t *testing.T) {
	path := filepath.Join(t.TempDir(), "policy.json")
	if err := WritePolicy(path, &Policy{}); err == nil {
		t.Fatal("policy without default written")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("file created")
	}
}

func TestShow(t *testing.T) {
	_, key, _ := fixtures(t)
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.json")
	if err := os.WriteFile(policy, []byte(`{"default":[{"type":"reject"}],"transports":{"docker":{
		"example.com/ns":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"`+key.PublicPath+`","signedIdentity":{"type":"exactRepository","dockerRepository":"example.com/ns/app"}}],
		"":[{"type":"insecureAcceptAnything"}]},
		"dir":{"/srv":[{"type":"sigstoreSigned","keyPath":"/etc/cosign.pub"}]}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	regd := filepath.Join(dir, "registries.d")
	_ = os.Mkdir(regd, 0o755)
	if err := os.WriteFile(filepath.Join(regd, "a.yaml"), []byte("docker:\n  example.com:\n    lookaside: https://sigs.example.com\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, err := ShowTrust(policy, regd)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 4 {
		t.Fatalf("%d entries: %+v", len(entries), entries)
	}
	signed := entries[1]
	if signed.Transport != "docker" || signed.Scope != "example.com/ns" || signed.Type != "signed" ||
		signed.Lookaside != "https://sigs.example.com" || len(signed.KeyIdentities) != 1 ||
		!strings.HasPrefix(signed.KeyIdentities[0], key.Fingerprint) || !strings.Contains(signed.Identity, "exactRepository") {
		t.Fatalf("signed entry %+v", signed)
	}
	if entries[0].Scope != DefaultScope || entries[0].Type != "reject" || entries[2].Type != "accept" || entries[3].Keys[0] != "/etc/cosign.pub" {
		t.Fatalf("entries %+v", entries)
	}
	var table bytes.Buffer
	if err := WriteShowTable(&table, entries); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "TRANSPORT") || !strings.Contains(lines[2], key.Email) {
		t.Fatalf("table:\n%s", table.String())
	}
	if _, err := json.Marshal(entries); err != nil {
		t.Fatal(err)
	}
	if _, err := ShowTrust(filepath.Join(dir, "missing.json"), regd); err == nil {
		t.Fatal("missing policy shown")
	}
}
