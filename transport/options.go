package transport

import (
	"log/slog"
	"time"

	"github.com/ocid-project/ocid/image"
	"github.com/ocid-project/ocid/registries"
	"github.com/ocid-project/ocid/trust/lookaside"
)

// Options are the settings one side (source or destination) of a copy is
// opened with. The zero value works: no mirrors, TLS verified, anonymous
// unless an auth file has credentials, this machine's platform.
type Options struct {
	// Registries is the parsed registries.conf (mirrors, blocked and
	// insecure registries); nil means none.
	Registries *registries.Config
	// TLSVerify overrides registries.conf's insecure flag when set
	// (--tls-verify, --src-tls-verify, --dest-tls-verify).
	TLSVerify *bool
	// CertDir holds CA and client certificates (--cert-dir).
	CertDir string
	// Creds, when set, replace the auth files (--creds).
	Creds *Credentials
	// AuthFiles replaces the default credential files (--authfile).
	AuthFiles []string
	// Lookaside says where signatures live (registries.d); nil: the defaults.
	Lookaside *lookaside.Config
	// Platform chooses the instance of an index; zero: this machine.
	Platform image.Platform
	// Retries for failed idempotent registry requests.
	Retries int
	// Timeout is how long a registry may keep ocid waiting: for response
	// headers, and without sending a byte in the middle of a blob (the
	// download is then resumed). 0 means 60 seconds.
	Timeout time.Duration
	// TempDir is where archives are unpacked or assembled; "" = os.TempDir.
	TempDir string
	// UserAgent sent to registries.
	UserAgent string
	Log       *slog.Logger
}

// Credentials are a user name and password (or identity token) for a registry.
type Credentials struct {
	Username string
	Password string
	// IdentityToken is an OAuth2 refresh token, as `docker login` stores
	// for some registries; used instead of the password when set.
	IdentityToken string
}

// Logger returns opts.Log or a logger that discards.
func (o *Options) Logger() *slog.Logger {
	if o == nil || o.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Log
}

// WantPlatform is the platform to choose from an index.
func (o *Options) WantPlatform() image.Platform {
	p := image.DefaultPlatform()
	if o == nil {
		return p
	}
	if o.Platform.OS != "" {
		p.OS = o.Platform.OS
	}
	if o.Platform.Architecture != "" {
		p.Architecture, p.Variant = o.Platform.Architecture, o.Platform.Variant
	}
	return image.NormalizePlatform(p)
}
