package registry

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/ocid-project/ocid/transport"
)

// Credentials are the transport's credentials type.
type Credentials = transport.Credentials

// ParseCreds parses the `--creds USER[:PASSWORD]` flag value.
func ParseCreds(s string) (*Credentials, error) {
	if s == "" {
		return nil, fmt.Errorf("--creds: empty value")
	}
	user, pass, _ := strings.Cut(s, ":")
	if user == "" {
		return nil, fmt.Errorf("--creds: the user name is empty")
	}
	return &Credentials{Username: user, Password: pass}, nil
}

// AuthFiles lists the credential files read when no --authfile is given,
// in the order containers tools search them: podman's auth.json first,
// then docker's config.json. REGISTRY_AUTH_FILE replaces the list.
func AuthFiles() []string {
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	var files []string
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	} else if os.Geteuid() == 0 {
		files = append(files, "/run/containers/0/auth.json")
	}
	home, _ := os.UserHomeDir()
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".config", "containers", "auth.json"))
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		files = append(files, filepath.Join(d, "config.json"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".docker", "config.json"))
	}
	return files
}

// authFile is the shape shared by auth.json and docker's config.json.
type authFile struct {
	Auths       map[string]authEntry `json:"auths"`
	CredHelpers map[string]string    `json:"credHelpers"`
	CredsStore  string               `json:"credsStore"`
}

type authEntry struct {
	Auth          string `json:"auth"`
	IdentityToken string `json:"identitytoken"`
}

// LookupCredentials finds credentials for a repository ("host/ns/repo")
// in the given files (AuthFiles() when nil). The most specific key wins
// within a file (host/ns/repo, then host/ns, then host), and the first
// file with a match wins. No match is not an error: the registry is then
// used anonymously.
func LookupCredentials(files []string, repo string) (*Credentials, error) {
	if files == nil {
		files = AuthFiles()
	}
	host, _, _ := strings.Cut(repo, "/")
	for _, path := range files {
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading credentials: %w", err)
		}
		var af authFile
		if err := json.Unmarshal(data, &af); err != nil {
			return nil, fmt.Errorf("credentials file %s: %w", path, err)
		}
		if helper := af.CredHelpers[host]; helper != "" {
			return credentialHelper(helper, host)
		}
		for _, key := range lookupKeys(repo) {
			if e, ok := findAuth(af.Auths, key); ok {
				c, err := e.decode()
				if err != nil {
					return nil, fmt.Errorf("credentials file %s, entry %q: %w", path, key, err)
				}
				return c, nil
			}
		}
		if af.CredsStore != "" {
			if c, err := credentialHelper(af.CredsStore, host); err == nil && c != nil {
				return c, nil
			}
		}
	}
	return nil, nil
}

// lookupKeys are repo, its parent namespaces, then the host.
func lookupKeys(repo string) []string {
	var keys []string
	for k := repo; ; {
		keys = append(keys, k)
		i := strings.LastIndex(k, "/")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return keys
}

// findAuth accepts the key forms docker writes: bare hosts and URLs, and
// docker.io's legacy "https://index.docker.io/v1/".
func findAuth(auths map[string]authEntry, key string) (authEntry, bool) {
	if e, ok := auths[key]; ok {
		return e, true
	}
	for k, e := range auths {
		n := strings.TrimPrefix(strings.TrimPrefix(k, "https://"), "http://")
		n = strings.TrimSuffix(n, "/")
		if strings.HasSuffix(n, "/v1") || strings.HasSuffix(n, "/v2") {
			n = n[:len(n)-3]
		}
		if n == "index.docker.io" {
			n = "docker.io"
		}
		if n == key {
			return e, true
		}
	}
	return authEntry{}, false
}

func (e authEntry) decode() (*Credentials, error) {
	if e.Auth == "" {
		if e.IdentityToken != "" {
			return &Credentials{IdentityToken: e.IdentityToken}, nil
		}
		return nil, fmt.Errorf("no \"auth\" value")
	}
	raw, err := base64.StdEncoding.DecodeString(e.Auth)
	if err != nil {
		return nil, fmt.Errorf("\"auth\" is not base64: %w", err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("\"auth\" is not user:password")
	}
	return &Credentials{Username: user, Password: pass, IdentityToken: e.IdentityToken}, nil
}

// credentialHelper runs docker-credential-NAME get, the protocol docker
// and podman share: the server URL on stdin, JSON on stdout.
func credentialHelper(name, host string) (*Credentials, error) {
	cmd := exec.Command("docker-credential-"+name, "get")
	cmd.Stdin = strings.NewReader(host)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if strings.Contains(out.String()+errOut.String(), "credentials not found") {
			return nil, nil
		}
		return nil, fmt.Errorf("credential helper docker-credential-%s for %s: %v: %s", name, host, err, strings.TrimSpace(errOut.String()))
	}
	var resp struct{ Username, Secret string }
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return nil, fmt.Errorf("credential helper docker-credential-%s: bad output: %w", name, err)
	}
	if resp.Username == "<token>" {
		return &Credentials{IdentityToken: resp.Secret}, nil
	}
	return &Credentials{Username: resp.Username, Password: resp.Secret}, nil
}
