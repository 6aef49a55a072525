package signature

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// GPGOptions run the gpg binary for signing with a key held in a gpg
// home (or behind gpg-agent and a smartcard), when no key file is given.
type GPGOptions struct {
	Home           string // GNUPGHOME; "" = gpg's default
	PassphraseFile string // for a protected key; "" = gpg-agent decides
}

// GPGBinarySign signs payload with the gpg binary, as skopeo does with
// gpgme: `gpg --sign` writes exactly the simple-signing wrapping (a
// compressed, binary signed message with the payload inside).
func GPGBinarySign(ctx context.Context, payload []byte, fingerprint string, o GPGOptions) ([]byte, error) {
	gpg, err := exec.LookPath("gpg")
	if err != nil {
		return nil, fmt.Errorf("signing with key %s: no key file was given and the gpg binary is not installed: %w", fingerprint, err)
	}
	args := []string{"--batch", "--no-tty", "--sign", "--local-user", fingerprint, "--digest-algo", "SHA256"}
	if o.Home != "" {
		args = append([]string{"--homedir", o.Home}, args...)
	}
	if o.PassphraseFile != "" {
		args = append(args, "--pinentry-mode", "loopback", "--passphrase-file", o.PassphraseFile)
	}
	cmd := exec.CommandContext(ctx, gpg, args...)
	cmd.Stdin = bytes.NewReader(payload)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("gpg --sign with key %s: %v: %s", fingerprint, err, strings.TrimSpace(errOut.String()))
	}
	return out.Bytes(), nil
}
