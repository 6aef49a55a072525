package signature

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// maxSignedPayload bounds the decompressed payload, so a compression bomb
// cannot exhaust memory; real payloads are a few hundred bytes. It equals
// containers/image's limit on a signature body.
const maxSignedPayload = 4 << 20

// Verify checks that blob is a binary OpenPGP signed message made by the
// primary key of one of keyring's keys, valid now, and returns the signed
// payload and the signer's primary-key fingerprint (40 upper-case hex).
//
// Accepted: gpg's default layout (compressed packet → one-pass signature →
// literal data → signature) and the same without compression. Rejected
// with a clear error: ASCII-armored input, clear-signed text, a detached
// signature, more than one signature, a signature by a key not in keyring
// (the error names the key ID), by a subkey (skopeo 1.9.3 rejects those
// too: gpgme reports the subkey's fingerprint, which never equals a
// trusted primary fingerprint), by a revoked or expired key, an expired
// signature, or one created in the future (gpg reports a time conflict).
func Verify(blob []byte, keyring *Keyring) (payload []byte, signerFingerprint string, err error) {
	return VerifyAt(blob, keyring, time.Now())
}

// VerifyAt is Verify with "now" given, so expiry can be tested.
func VerifyAt(blob []byte, keyring *Keyring, now time.Time) ([]byte, string, error) {
	msg, err := parseSignedMessage(blob)
	if err != nil {
		return nil, "", err
	}
	entity, err := findSigner(keyring, msg)
	if err != nil {
		return nil, "", err
	}
	fpr := entityFingerprint(entity)
	h, data, err := messageHash(msg.sig)
	if err != nil {
		return nil, "", err
	}
	data.Write(msg.payload)
	if err := entity.PrimaryKey.VerifySignature(h, msg.sig); err != nil {
		return nil, "", invalidWrap(fmt.Sprintf("signature by key %s does not verify", fpr), err)
	}
	if err := checkValidity(entity, msg.sig, now); err != nil {
		return nil, "", err
	}
	return msg.payload, fpr, nil
}

// signedMessage is the parsed content of a one-signature OpenPGP message.
type signedMessage struct {
	onePass *packet.OnePassSignature
	payload []byte
	sig     *packet.Signature
}

// parseSignedMessage walks the packets by hand instead of using
// openpgp.ReadMessage: that function also decrypts, tolerates several
// signatures and trailing packets, and silently returns an unsigned
// literal; a signature verifier wants exactly one shape.
func parseSignedMessage(blob []byte) (*signedMessage, error) {
	if len(blob) == 0 {
		return nil, invalidf("empty signature")
	}
	if err := rejectArmored(blob); err != nil {
		return nil, err
	}
	if blob[0]&0x80 == 0 {
		return nil, invalidf(fmt.Sprintf("not an OpenPGP message (first byte %#02x)", blob[0]))
	}
	r := io.Reader(bytes.NewReader(blob))
	first, err := packet.Read(r)
	if err != nil {
		return nil, invalidWrap("reading OpenPGP message", err)
	}
	inner := r
	if c, ok := first.(*packet.Compressed); ok {
		inner = io.LimitReader(c.Body, maxSignedPayload+64<<10)
		if first, err = packet.Read(inner); err != nil {
			return nil, invalidWrap("reading compressed OpenPGP message", err)
		}
	}
	var msg signedMessage
	switch p := first.(type) {
	case *packet.OnePassSignature:
		msg.onePass = p
	case *packet.Signature:
		return nil, invalidf("detached OpenPGP signature (no signed data inside): a signed message is required")
	case *packet.LiteralData:
		return nil, invalidf("OpenPGP message is not signed")
	case *packet.Compressed:
		return nil, invalidf("nested compressed OpenPGP packets are not accepted")
	default:
		return nil, invalidf(fmt.Sprintf("unexpected OpenPGP packet %T at the start of a signed message", p))
	}
	if !msg.onePass.IsLast {
		return nil, invalidf("OpenPGP message has more than one signature")
	}
	p, err := packet.Read(inner)
	if err != nil {
		return nil, invalidWrap("reading OpenPGP literal data", err)
	}
	lit, ok := p.(*packet.LiteralData)
	if !ok {
		return nil, invalidf(fmt.Sprintf("expected OpenPGP literal data after the one-pass signature, got %T", p))
	}
	if msg.payload, err = io.ReadAll(io.LimitReader(lit.Body, maxSignedPayload+1)); err != nil {
		return nil, invalidWrap("reading signed payload", err)
	}
	if len(msg.payload) > maxSignedPayload {
		return nil, invalidf("signed payload is too large")
	}
	if p, err = packet.Read(inner); err != nil {
		return nil, invalidWrap("reading OpenPGP signature packet", err)
	}
	if msg.sig, ok = p.(*packet.Signature); !ok {
		return nil, invalidf(fmt.Sprintf("expected an OpenPGP signature packet after the literal data, got %T", p))
	}
	if _, err := packet.Read(inner); !errors.Is(err, io.EOF) {
		return nil, invalidf("unexpected data after the OpenPGP signature packet")
	}
	if inner != r { // the compressed packet must be the whole blob
		if _, err := packet.Read(r); !errors.Is(err, io.EOF) {
			return nil, invalidf("unexpected data after the compressed OpenPGP packet")
		}
	}
	if msg.sig.SigType != msg.onePass.SigType || msg.sig.Hash != msg.onePass.Hash {
		return nil, invalidf("OpenPGP one-pass signature packet does not match the signature packet")
	}
	if msg.sig.IssuerKeyId != nil && *msg.sig.IssuerKeyId != msg.onePass.KeyId {
		return nil, invalidf("OpenPGP one-pass signature packet names a different key than the signature packet")
	}
	return &msg, nil
}

// rejectArmored names the armored forms so people know what they handed
// in; skopeo (gpgme) would accept some of them, ocid deliberately does not.
func rejectArmored(blob []byte) error {
	t := bytes.TrimLeft(blob, " \t\r\n")
	switch {
	case bytes.HasPrefix(t, []byte("-----BEGIN PGP SIGNED MESSAGE-----")):
		return invalidf("clear-signed OpenPGP text is not accepted: a binary signed message is required")
	case bytes.HasPrefix(t, []byte("-----BEGIN PGP SIGNATURE-----")):
		return invalidf("armored detached OpenPGP signature is not accepted: a binary signed message is required")
	case bytes.HasPrefix(t, []byte(armorPrefix)):
		return invalidf("ASCII-armored OpenPGP data is not accepted: signatures must be binary")
	}
	return nil
}

// findSigner picks the keyring entity whose primary key made sig.
func findSigner(keyring *Keyring, msg *signedMessage) (*openpgp.Entity, error) {
	keyID := msg.onePass.KeyId
	if msg.sig.IssuerKeyId != nil {
		keyID = *msg.sig.IssuerKeyId
	}
	var fprHint []byte
	if len(msg.sig.IssuerFingerprint) > 0 {
		fprHint = msg.sig.IssuerFingerprint
	}
	if keyring != nil {
		for _, e := range keyring.entities {
			if e.PrimaryKey.KeyId == keyID && (fprHint == nil || bytes.Equal(fprHint, e.PrimaryKey.Fingerprint)) {
				return e, nil
			}
		}
		for _, e := range keyring.entities {
			for _, sk := range e.Subkeys {
				if sk.PublicKey.KeyId == keyID {
					return nil, invalidf(fmt.Sprintf("signature made by subkey %016X of key %s: only signatures by a primary key are accepted",
						keyID, entityFingerprint(e)))
				}
			}
		}
	}
	return nil, invalidf(fmt.Sprintf("signature made by key ID %016X, which is not in the trusted keyring", keyID))
}

// messageHash returns the hash a signature over a literal payload is
// computed with, and the writer the payload goes through: the same hash
// for binary documents, a line-ending canonicalizer in front of it for
// text documents (the signature trailer must bypass canonicalization).
func messageHash(sig *packet.Signature) (h hash.Hash, data hash.Hash, err error) {
	if !sig.Hash.Available() {
		return nil, nil, invalidf(fmt.Sprintf("signature hash algorithm %v is not supported", sig.Hash))
	}
	// MD5 and SHA-1 signatures are forgeable; gpg 2.2 still accepts SHA-1
	// data signatures, but nothing in this ecosystem makes them.
	if sig.Hash == crypto.MD5 || sig.Hash == crypto.SHA1 {
		return nil, nil, invalidf(fmt.Sprintf("signature uses the weak hash algorithm %v", sig.Hash))
	}
	h = sig.Hash.New()
	switch sig.SigType {
	case packet.SigTypeBinary:
		return h, h, nil
	case packet.SigTypeText:
		return h, openpgp.NewCanonicalTextHash(h), nil
	default:
		return nil, nil, invalidf(fmt.Sprintf("signature class %#02x is not a document signature", byte(sig.SigType)))
	}
}

// checkValidity applies gpg's validity rules at time now.
func checkValidity(e *openpgp.Entity, sig *packet.Signature, now time.Time) error {
	fpr := entityFingerprint(e)
	if e.Revoked(now) {
		return invalidf(fmt.Sprintf("key %s is revoked", fpr))
	}
	self, ident := e.PrimarySelfSignature()
	if self == nil {
		return invalidf(fmt.Sprintf("key %s has no valid self-signature", fpr))
	}
	if ident != nil && ident.Revoked(now) {
		return invalidf(fmt.Sprintf("the primary user ID of key %s is revoked", fpr))
	}
	if e.PrimaryKey.CreationTime.After(now) {
		return invalidf(fmt.Sprintf("key %s was created in the future (%s)", fpr, e.PrimaryKey.CreationTime.UTC().Format(time.RFC3339)))
	}
	if e.PrimaryKey.KeyExpired(self, now) {
		exp := e.PrimaryKey.CreationTime.Add(time.Duration(*self.KeyLifetimeSecs) * time.Second)
		return invalidf(fmt.Sprintf("key %s expired on %s", fpr, exp.UTC().Format(time.RFC3339)))
	}
	if self.FlagsValid && !self.FlagSign {
		return invalidf(fmt.Sprintf("key %s is not allowed to make signatures", fpr))
	}
	if sig.CreationTime.Unix() > now.Unix() {
		return invalidf(fmt.Sprintf("signature by key %s was created in the future (%s)", fpr, sig.CreationTime.UTC().Format(time.RFC3339)))
	}
	if sig.SigExpired(now) {
		return invalidf(fmt.Sprintf("signature by key %s has expired", fpr))
	}
	for _, n := range sig.Notations {
		if n.IsCritical {
			return invalidf(fmt.Sprintf("signature by key %s carries the unknown critical notation %q", fpr, n.Name))
		}
	}
	return nil
}
