package lookaside

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

var testDigest = digest.Digest("sha256:5f5e9b4a5b0d8b0bfb62c2c3d8b4e2a6c8a3e0f7b9f4d2a1c3e5f7a9b1d3f5e7")

func TestSignatureURL(t *testing.T) {
	base, _ := url.Parse("https://sigs.example.com/base")
	u, err := SignatureURL(base, "ns1/app", testDigest, 1)
	if err != nil {
		t.Fatal(err)
	}
	if want := "https://sigs.example.com/base/ns1/app@sha256=" + testDigest.Encoded() + "/signature-1"; u.String() != want {
		t.Fatalf("got %s want %s", u, want)
	}
	fb, _ := url.Parse("file:///var/lib/containers/sigstore")
	u, _ = SignatureURL(fb, "library/busybox", testDigest, 12)
	if u.Path != "/var/lib/containers/sigstore/library/busybox@sha256="+testDigest.Encoded()+"/signature-12" {
		t.Fatalf("got %s", u.Path)
	}
	for _, bad := range []struct {
		repo string
		d    digest.Digest
		n    int
	}{{"ns/app", testDigest, 0}, {"../x", testDigest, 1}, {"/x", testDigest, 1}, {"a/./b", testDigest, 1}, {"", testDigest, 1}, {"a", "sha256:zz", 1}} {
		if _, err := SignatureURL(base, bad.repo, bad.d, bad.n); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestWriteReadFile(t *testing.T) {
	root := t.TempDir()
	base := &url.URL{Scheme: "file", Path: filepath.Join(root, "sigstore")}
	ctx := context.Background()
	if sigs, err := ReadSignatures(ctx, nil, base, "ns/app", testDigest); err != nil || len(sigs) != 0 {
		t.Fatalf("empty lookaside: %v %v", sigs, err)
	}
	three := [][]byte{[]byte("one"), []byte("two"), []byte("three")}
	if err := WriteSignatures(base, "ns/app", testDigest, three); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "sigstore", "ns", "app@sha256="+testDigest.Encoded())
	for _, p := range []string{filepath.Join(root, "sigstore"), filepath.Join(root, "sigstore", "ns"), dir} {
		st, err := os.Stat(p)
		if err != nil || st.Mode().Perm() != 0o755 {
			t.Fatalf("%s: %v %v", p, st.Mode(), err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, "signature-3"))
	if err != nil || st.Mode().Perm() != 0o644 {
		t.Fatalf("signature-3: %v", err)
	}
	got, err := ReadSignatures(ctx, nil, base, "ns/app", testDigest)
	if err != nil || len(got) != 3 || string(got[2]) != "three" {
		t.Fatalf("read back %q %v", got, err)
	}
	// A shorter list removes the stale tail.
	if err := WriteSignatures(base, "ns/app", testDigest, [][]byte{[]byte("only")}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != "signature-1" {
		t.Fatalf("left behind: %v", entries)
	}
	// Reading stops at the first gap.
	if err := os.WriteFile(filepath.Join(dir, "signature-3"), []byte("orphan"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, _ = ReadSignatures(ctx, nil, base, "ns/app", testDigest)
	if len(got) != 1 || string(got[0]) != "only" {
		t.Fatalf("gap: %q", got)
	}
	// An unreadable signature is an error, not the end of the list.
	if err := os.Mkdir(filepath.Join(dir, "signature-2"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadSignatures(ctx, nil, base, "ns/app", testDigest); err == nil || !strings.Contains(err.Error(), "signature-2") {
		t.Fatalf("unreadable signature: %v", err)
	}
	if err := WriteSignatures(&url.URL{Scheme: "https", Host: "x"}, "ns/app", testDigest, three); err == nil {
		t.Fatal("wrote to https")
	}
}

func TestReadHTTP(t *testing.T) {
	var hits []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits = append(hits, r.URL.Path)
		switch {
		case strings.HasPrefix(r.URL.Path, "/sigs/ns/ok@sha256="):
			if strings.HasSuffix(r.URL.Path, "/signature-1") || strings.HasSuffix(r.URL.Path, "/signature-2") {
				_, _ = w.Write([]byte("sig " + r.URL.Path[len(r.URL.Path)-1:]))
				return
			}
			http.NotFound(w, r)
		case strings.HasPrefix(r.URL.Path, "/sigs/ns/forbidden@"):
			http.Error(w, "no", http.StatusForbidden)
		case strings.HasPrefix(r.URL.Path, "/sigs/ns/broken@"):
			http.Error(w, "oops", http.StatusBadGateway)
		case strings.HasPrefix(r.URL.Path, "/sigs/ns/huge@"):
			_, _ = w.Write(bytes.Repeat([]byte("x"), MaxSignatureSize+1))
		case strings.HasPrefix(r.URL.Path, "/sigs/ns/endless@"):
			_, _ = w.Write([]byte("again"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/sigs")
	ctx := context.Background()
	got, err := ReadSignatures(ctx, srv.Client(), base, "ns/ok", testDigest)
	if err != nil || len(got) != 2 || string(got[1]) != "sig 2" {
		t.Fatalf("got %q %v", got, err)
	}
	if len(hits) != 3 || !strings.HasSuffix(hits[2], "/signature-3") {
		t.Fatalf("requests %v", hits)
	}
	for repo, want := range map[string]string{
		"ns/forbidden": "status 403",
		"ns/broken":    "status 502",
		"ns/huge":      "larger than",
		"ns/endless":   "more than 128 signatures",
	} {
		_, err := ReadSignatures(ctx, srv.Client(), base, repo, testDigest)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", repo, err, want)
		}
		if err != nil && repo != "ns/huge" && repo != "ns/endless" && !strings.Contains(err.Error(), srv.URL) {
			t.Errorf("%s: error does not name the URL: %v", repo, err)
		}
	}
	if _, err := ReadSignatures(ctx, nil, &url.URL{Scheme: "ftp", Host: "x"}, "a", testDigest); err == nil {
		t.Fatal("ftp accepted")
	}
}
