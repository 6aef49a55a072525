// Package signature reads and writes container image signatures in the
// formats the containers ecosystem uses, so signatures made by skopeo verify
// here and ours verify in skopeo:
//
//   - the "simple signing" payload (JSON naming a manifest digest and a
//     docker reference), wrapped in a binary OpenPGP signed message the way
//     gpg writes it;
//   - the cosign ("sigstore") payload with an ECDSA signature carried in an
//     annotation;
//   - the stored-blob form of both (lookaside files, dir: signature-N files).
//
// It is a leaf: it imports nothing of ocid's except errdefs. Policy (which
// keys, which identities) lives in package trust; this package only answers
// "who signed these bytes, and what do they say".
package signature
