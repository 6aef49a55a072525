package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	gtransport "github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ClientOptions are what a registry client needs besides the host.
type ClientOptions struct {
	// Insecure allows plain HTTP and skips TLS verification. It comes
	// from registries.conf or --tls-verify=false; nothing else enables it.
	Insecure bool
	// CertDir holds *.crt (CAs), *.cert/*.key (client certificates),
	// either directly or in a HOST:PORT subdirectory (certs.d layout).
	// Empty: /etc/containers/certs.d/HOST and /etc/docker/certs.d/HOST.
	CertDir string
	// Creds, when set, are used instead of the auth files.
	Creds *Credentials
	// AuthFiles overrides AuthFiles() (--authfile).
	AuthFiles []string
	// Retries is how many times a failed idempotent request is retried.
	Retries int
	// Timeout bounds waiting for response headers and for progress in a
	// blob body; 0 means 60 seconds.
	Timeout   time.Duration
	UserAgent string
	Log       *slog.Logger
}

// client talks to one repository on one registry host with the scopes it
// was created for (pull, or pull+push).
type client struct {
	host string // as in URLs: host[:port]
	repo string // path within the host
	http *http.Client
	log  *slog.Logger
	// timeout is the longest a blob body may stall before it is resumed.
	timeout time.Duration
}

// apiHost maps docker.io, which is a name, to the host that serves it.
func apiHost(domain string) string {
	if domain == "docker.io" {
		return "registry-1.docker.io"
	}
	return domain
}

// newClient pings the registry, negotiates authentication for scopes and
// returns a client whose requests carry it. extraPull names further
// repositories on the same host to read from (cross-repository mounts).
func newClient(ctx context.Context, host, repo string, push bool, extraPull []string, o ClientOptions) (*client, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	tlsConf, err := tlsConfig(host, o.CertDir, o.Insecure)
	if err != nil {
		return nil, err
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsConf,
		TLSHandshakeTimeout:   15 * time.Second,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       90 * time.Second,
		MaxIdleConnsPerHost:   32,
		ForceAttemptHTTP2:     true,
		// Blobs are already compressed; asking for gzip would only cost CPU.
		DisableCompression: true,
	}
	var rt http.RoundTripper = &httpsGuard{inner: base, host: host, allowHTTP: o.Insecure}
	rt = newRetryTransport(rt, o.Retries, log)
	ua := o.UserAgent
	if ua == "" {
		ua = "ocid"
	}
	rt = gtransport.NewUserAgent(rt, ua)

	var nameOpts []name.Option
	if o.Insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	reg, err := name.NewRegistry(host, nameOpts...)
	if err != nil {
		return nil, fmt.Errorf("registry host %q: %w", host, err)
	}
	creds := o.Creds
	if creds == nil {
		if creds, err = LookupCredentials(o.AuthFiles, host+"/"+repo); err != nil {
			return nil, err
		}
	}
	auth := authn.Anonymous
	if creds != nil {
		auth = authn.FromConfig(authn.AuthConfig{Username: creds.Username, Password: creds.Password, IdentityToken: creds.IdentityToken})
	}
	actions := "pull"
	if push {
		actions = "pull,push"
	}
	scopes := []string{fmt.Sprintf("repository:%s:%s", repo, actions)}
	for _, r := range extraPull {
		scopes = append(scopes, fmt.Sprintf("repository:%s:pull", r))
	}
	authed, err := gtransport.NewWithContext(ctx, reg, auth, rt, scopes)
	if err != nil {
		return nil, classify(fmt.Errorf("connecting to registry %s: %w", host, err))
	}
	return &client{host: host, repo: repo, http: &http.Client{Transport: authed}, log: log, timeout: timeout}, nil
}

// url builds https://HOST/v2/REPO/SUFFIX; the scheme is switched to http
// by the ping result when the registry is insecure and speaks plain HTTP.
func (c *client) url(suffix string) string {
	return "https://" + c.host + "/v2/" + c.repo + "/" + suffix
}

func (c *client) do(ctx context.Context, method, url string, body io.Reader, hdr map[string]string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.http.Do(req)
}

// httpsGuard refuses plain HTTP unless the registry is marked insecure:
// go-containerregistry on its own falls back to HTTP for loopback and
// private addresses, which an operator did not ask for.
type httpsGuard struct {
	inner     http.RoundTripper
	host      string
	allowHTTP bool
}

func (g *httpsGuard) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.allowHTTP {
		return nil, fmt.Errorf("refusing plain HTTP to %s: the registry is not marked insecure in registries.conf (or pass --tls-verify=false)", req.URL.Host)
	}
	return g.inner.RoundTrip(req)
}

// tlsConfig trusts the system roots plus the CAs of the host's cert
// directory and presents its client certificates.
func tlsConfig(host, certDir string, insecure bool) (*tls.Config, error) {
	conf := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure}
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	var dirs []string
	if certDir != "" {
		if st, err := os.Stat(filepath.Join(certDir, host)); err == nil && st.IsDir() {
			dirs = []string{filepath.Join(certDir, host)}
		} else {
			dirs = []string{certDir}
		}
	} else {
		dirs = []string{filepath.Join("/etc/containers/certs.d", host), filepath.Join("/etc/docker/certs.d", host)}
	}
	for _, dir := range dirs {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("certificate directory: %w", err)
		}
		for _, e := range entries {
			p := filepath.Join(dir, e.Name())
			switch {
			case strings.HasSuffix(e.Name(), ".crt"):
				pem, err := os.ReadFile(p)
				if err != nil {
					return nil, err
				}
				if !pool.AppendCertsFromPEM(pem) {
					return nil, fmt.Errorf("CA file %s holds no PEM certificate", p)
				}
			case strings.HasSuffix(e.Name(), ".cert"):
				keyPath := strings.TrimSuffix(p, ".cert") + ".key"
				pair, err := tls.LoadX509KeyPair(p, keyPath)
				if err != nil {
					return nil, fmt.Errorf("client certificate %s (key %s): %w", p, keyPath, err)
				}
				conf.Certificates = append(conf.Certificates, pair)
			}
		}
	}
	conf.RootCAs = pool
	return conf, nil
}
