package signature

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"

	"github.com/ocid-project/ocid/errdefs"
)

// Keyring is a set of OpenPGP public keys trusted for verification, as
// read from `gpg --export [--armor]` output.
type Keyring struct {
	entities openpgp.EntityList
}

// ReadKeyring parses data as a keyring: binary packets, or one or more
// ASCII-armored public key blocks. An empty or key-less input yields an
// empty keyring, not an error: callers decide whether zero keys is fatal.
func ReadKeyring(data []byte) (*Keyring, error) {
	entities, err := readEntities(data)
	if err != nil {
		return nil, fmt.Errorf("reading OpenPGP keyring: %w", err)
	}
	return &Keyring{entities: entities}, nil
}

// LoadKeyringFiles reads and merges keyrings from files.
func LoadKeyringFiles(paths ...string) (*Keyring, error) {
	k := &Keyring{}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("reading OpenPGP keyring: %w", err)
		}
		one, err := ReadKeyring(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		k.entities = append(k.entities, one.entities...)
	}
	return k, nil
}

// Merge returns a keyring holding the keys of k and others.
func (k *Keyring) Merge(others ...*Keyring) *Keyring {
	res := &Keyring{entities: append(openpgp.EntityList{}, k.entities...)}
	for _, o := range others {
		res.entities = append(res.entities, o.entities...)
	}
	return res
}

// Len is the number of keys (primary keys) in k.
func (k *Keyring) Len() int { return len(k.entities) }

// Fingerprints lists the primary-key fingerprints in k, 40 upper-case hex
// digits each, in keyring order.
func (k *Keyring) Fingerprints() []string {
	res := make([]string, 0, len(k.entities))
	for _, e := range k.entities {
		res = append(res, hexFingerprint(e.PrimaryKey))
	}
	return res
}

// Identities describes each key for people: fingerprint and primary user
// ID, e.g. "6CB3…D86F Test <t@example.com>".
func (k *Keyring) Identities() []string {
	res := make([]string, 0, len(k.entities))
	for _, e := range k.entities {
		s := hexFingerprint(e.PrimaryKey)
		if id := e.PrimaryIdentity(); id != nil {
			s += " " + id.Name
		}
		res = append(res, s)
	}
	return res
}

func hexFingerprint(pk *packet.PublicKey) string {
	return strings.ToUpper(hex.EncodeToString(pk.Fingerprint))
}

// armorPrefix starts every ASCII-armored OpenPGP block.
const armorPrefix = "-----BEGIN PGP "

// readEntities reads binary or armored key material. Armored input may
// hold several blocks back to back (cat a.asc b.asc), which the armor
// decoder alone does not handle, so blocks are split first.
func readEntities(data []byte) (openpgp.EntityList, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, nil
	}
	if !bytes.HasPrefix(trimmed, []byte(armorPrefix)) {
		return openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	var res openpgp.EntityList
	for _, block := range splitArmor(trimmed) {
		b, err := armor.Decode(bytes.NewReader(block))
		if err != nil {
			return nil, fmt.Errorf("decoding armor: %w", err)
		}
		if b.Type != openpgp.PublicKeyType && b.Type != openpgp.PrivateKeyType {
			return nil, fmt.Errorf("armored block of type %q is not a key block", b.Type)
		}
		el, err := openpgp.ReadKeyRing(b.Body)
		if err != nil {
			return nil, err
		}
		res = append(res, el...)
	}
	return res, nil
}

// splitArmor cuts text at each line that starts an armored block.
func splitArmor(text []byte) [][]byte {
	var blocks [][]byte
	start := 0
	for i := 1; i < len(text); i++ {
		if text[i-1] == '\n' && bytes.HasPrefix(text[i:], []byte(armorPrefix)) {
			blocks = append(blocks, text[start:i])
			start = i
		}
	}
	return append(blocks, text[start:])
}

// SigningKey is an OpenPGP secret key that signs with its primary key.
type SigningKey struct {
	entity *openpgp.Entity
}

// ReadSigningKey parses `gpg --export-secret-keys [--armor]` output. If
// the data holds several secret keys, fpr picks one (40 hex
// digits, any case); otherwise fpr may be empty. A protected key
// is decrypted with passphrase.
func ReadSigningKey(data []byte, fpr string, passphrase []byte) (*SigningKey, error) {
	entities, err := readEntities(data)
	if err != nil {
		return nil, fmt.Errorf("reading OpenPGP secret key: %w", err)
	}
	var candidates []*openpgp.Entity
	for _, e := range entities {
		if e.PrivateKey == nil {
			continue
		}
		if fpr == "" || strings.EqualFold(fpr, entityFingerprint(e)) {
			candidates = append(candidates, e)
		}
	}
	switch {
	case len(candidates) == 0 && fpr != "":
		return nil, fmt.Errorf("no secret key with fingerprint %s: %w", fpr, errdefs.ErrNotFound)
	case len(candidates) == 0:
		return nil, fmt.Errorf("no secret key found: %w", errdefs.ErrNotFound)
	case len(candidates) > 1:
		return nil, fmt.Errorf("%d secret keys found, name one by fingerprint: %w", len(candidates), errdefs.ErrInvalidArgument)
	}
	e := candidates[0]
	if e.PrivateKey.Dummy() {
		return nil, fmt.Errorf("secret key %s has no primary secret material (exported with subkeys only): %w", entityFingerprint(e), errdefs.ErrInvalidArgument)
	}
	if e.PrivateKey.Encrypted {
		if len(passphrase) == 0 {
			return nil, fmt.Errorf("secret key %s is protected and no passphrase was given: %w", entityFingerprint(e), errdefs.ErrInvalidArgument)
		}
		if err := e.PrivateKey.Decrypt(passphrase); err != nil {
			return nil, fmt.Errorf("decrypting secret key %s: %w", entityFingerprint(e), err)
		}
	}
	if !e.PrimaryKey.CanSign() {
		return nil, fmt.Errorf("key %s: algorithm cannot sign: %w", entityFingerprint(e), errdefs.ErrInvalidArgument)
	}
	// Signatures are always made with the primary key (verifiers such as
	// skopeo only trust primary fingerprints); refuse a primary key whose
	// self-signature does not allow signing rather than make signatures
	// every verifier will reject.
	if self, _ := e.PrimarySelfSignature(); self != nil && self.FlagsValid && !self.FlagSign {
		return nil, fmt.Errorf("key %s: the primary key is not allowed to sign (only its subkeys may): %w", entityFingerprint(e), errdefs.ErrInvalidArgument)
	}
	return &SigningKey{entity: e}, nil
}

// LoadSigningKey reads a secret key file; see ReadSigningKey.
func LoadSigningKey(path, fpr string, passphrase []byte) (*SigningKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading OpenPGP secret key: %w", err)
	}
	k, err := ReadSigningKey(data, fpr, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// Fingerprint is the primary key's fingerprint, 40 upper-case hex digits.
func (k *SigningKey) Fingerprint() string { return entityFingerprint(k.entity) }

// Keyring is the public half of k, for verifying what it signs.
func (k *SigningKey) Keyring() (*Keyring, error) {
	var buf bytes.Buffer
	if err := k.entity.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("serializing public key: %w", err)
	}
	return ReadKeyring(buf.Bytes())
}

func entityFingerprint(e *openpgp.Entity) string { return hexFingerprint(e.PrimaryKey) }
