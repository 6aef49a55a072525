package signature

import (
	"bytes"
	"compress/flate"
	"crypto"
	_ "crypto/sha256" // SHA-256 is the hash of every signature we make
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// OpenPGP packet tags and constants used when writing.
const (
	tagSignature  = 2
	tagOnePassSig = 4
	tagCompressed = 8
	tagLiteral    = 11

	hashIDSHA256 = 8   // RFC 4880 9.4
	compressZIP  = 1   // RFC 4880 9.3: raw deflate, gpg's default
	sigBinary    = 0   // signature class 0x00: binary document
	onePassV3    = 3   // the one-pass packet version that goes with v4 signatures
	literalMode  = 'b' // binary literal data
)

// Sign wraps payload in an OpenPGP signed message made with key's primary
// key, laid out as gpg does by default so every consumer (gpgme in skopeo,
// containers/image's Go verifier) reads it: a compressed packet (ZIP,
// indeterminate length, first bytes 0xA3 0x01) holding a one-pass
// signature packet, a literal data packet (mode 'b', empty name) and a v4
// signature (class 0x00, SHA-256). The result is binary, not armored.
func Sign(payload []byte, key *SigningKey) ([]byte, error) {
	return SignAt(payload, key, time.Now())
}

// SignAt is Sign with the signature creation time given, for tests and
// reproducible output.
func SignAt(payload []byte, key *SigningKey, now time.Time) ([]byte, error) {
	priv := key.entity.PrivateKey
	if priv == nil || priv.Encrypted {
		return nil, errors.New("signing: secret key is not available (missing or still encrypted)")
	}
	now = now.Truncate(time.Second)
	noSalt := false
	cfg := &packet.Config{
		DefaultHash: crypto.SHA256,
		Time:        func() time.Time { return now },
		// go-crypto adds a random salt notation by default; gpg does not,
		// and the extra subpacket buys nothing for a signed manifest digest.
		NonDeterministicSignaturesViaNotation: &noSalt,
	}
	sig := &packet.Signature{
		Version:      priv.PublicKey.Version,
		SigType:      packet.SigTypeBinary,
		PubKeyAlgo:   priv.PublicKey.PubKeyAlgo,
		Hash:         crypto.SHA256,
		CreationTime: now,
		IssuerKeyId:  &priv.PublicKey.KeyId,
	}
	h := crypto.SHA256.New()
	h.Write(payload)
	if err := sig.Sign(h, priv, cfg); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	var sigPacket bytes.Buffer
	if err := sig.Serialize(&sigPacket); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	sigBody, err := packetBody(sigPacket.Bytes())
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}

	var inner bytes.Buffer
	ops := []byte{onePassV3, sigBinary, hashIDSHA256, byte(priv.PublicKey.PubKeyAlgo)}
	ops = binary.BigEndian.AppendUint64(ops, priv.PublicKey.KeyId)
	ops = append(ops, 1) // last (only) signature
	writeOldPacket(&inner, tagOnePassSig, ops)

	lit := []byte{literalMode, 0} // mode, empty file name
	lit = binary.BigEndian.AppendUint32(lit, uint32(now.Unix()))
	lit = append(lit, payload...)
	writeNewPacket(&inner, tagLiteral, lit)

	writeOldPacket(&inner, tagSignature, sigBody)

	var out bytes.Buffer
	out.Write([]byte{0x80 | tagCompressed<<2 | 3, compressZIP}) // old format, indeterminate length
	zw, err := flate.NewWriter(&out, flate.DefaultCompression)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if _, err := zw.Write(inner.Bytes()); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return out.Bytes(), nil
}

// writeOldPacket writes an old-format packet with the shortest definite
// length, as gpg does for one-pass and signature packets.
func writeOldPacket(w *bytes.Buffer, tag byte, body []byte) {
	n := len(body)
	switch {
	case n < 1<<8:
		w.Write([]byte{0x80 | tag<<2, byte(n)})
	case n < 1<<16:
		w.Write([]byte{0x80 | tag<<2 | 1, byte(n >> 8), byte(n)})
	default:
		w.Write([]byte{0x80 | tag<<2 | 2})
		w.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	}
	w.Write(body)
}

// writeNewPacket writes a new-format packet with a definite length, as gpg
// does for literal data.
func writeNewPacket(w *bytes.Buffer, tag byte, body []byte) {
	w.WriteByte(0xC0 | tag)
	n := len(body)
	switch {
	case n < 192:
		w.WriteByte(byte(n))
	case n < 8384:
		n -= 192
		w.Write([]byte{byte(n>>8) + 192, byte(n)})
	default:
		w.WriteByte(255)
		w.Write(binary.BigEndian.AppendUint32(nil, uint32(n)))
	}
	w.Write(body)
}

// packetBody strips the header go-crypto wrote (always new format with a
// definite length) from one serialized packet.
func packetBody(p []byte) ([]byte, error) {
	if len(p) < 2 || p[0]&0xC0 != 0xC0 {
		return nil, errors.New("unexpected packet header from serializer")
	}
	var hdr, n int
	switch l := int(p[1]); {
	case l < 192:
		hdr, n = 2, l
	case l < 224 && len(p) >= 3:
		hdr, n = 3, (l-192)<<8+int(p[2])+192
	case l == 255 && len(p) >= 6:
		hdr, n = 6, int(binary.BigEndian.Uint32(p[2:6]))
	default:
		return nil, errors.New("unexpected packet length encoding from serializer")
	}
	if hdr+n != len(p) {
		return nil, errors.New("packet length mismatch from serializer")
	}
	return p[hdr:], nil
}
