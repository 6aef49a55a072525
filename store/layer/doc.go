// Package layer unpacks an image layer's uncompressed tar into the file
// object store, safely, and rebuilds the same tar byte for byte.
//
// Unpack reads the stream once with archive/tar. A tap between the stream
// and the reader hashes every byte (the diffID) and keeps every byte that
// is not a regular file's content as tar-split segments
// (github.com/vbatts/tar-split, tar/storage JSON lines); file contents go
// to objects.Store.Put. Export replays the segments and the objects through
// tar-split's assembler (tar/asm), so the rebuilt stream is the original
// one. tar-split's own NewInputTarStream is not used: it would parse the
// stream a second time with tar-split's fork of archive/tar (two parsers
// that could disagree about a hostile tar), its JSON packer refuses tars
// that list a name twice, and it expands sparse files, so its reassembly of
// a sparse entry is not the original bytes. The tap keeps a sparse entry's
// physical bytes as segments instead (its expanded content is still an
// object, for checkouts), and bytes after the end-of-archive marker too.
//
// # Safety
//
// Unpack never creates anything but objects; it validates entries for the
// checkout builder and fails, naming the entry and wrapping
// errdefs.ErrInvalidArgument, on:
//   - names that still have a ".." component once leading slashes are
//     stripped and the name is cleaned (absolute names are contained);
//     NUL bytes; paths over PATH_MAX or components over NAME_MAX;
//   - hardlink targets with the same faults, the root, the entry itself, or
//     a path this layer last made something other than a regular file
//     (targets not in this layer are resolved by the checkout against the
//     lower layers, inside the checkout);
//   - device nodes and FIFOs unless allowed (default: only as root);
//   - files larger than Options.MaxFileSize, more entries than
//     Options.MaxEntries, more non-content bytes than
//     Options.MaxMetadataBytes;
//   - xattrs the policy rejects (Options.Xattrs, default
//     DefaultXattrPolicy); no policy can allow a name objects refuses;
//   - entry types other than files, directories, links, devices and FIFOs;
//     uids/gids outside 0…2³²-2; malformed, truncated or oversized headers
//     (archive/tar limits PAX records and GNU long names to 1 MiB).
//
// Symlink targets are kept as given: images legitimately hold absolute and
// "../" symlinks, and the checkout builder never follows them outside.
// archive/tar takes the last of repeated PAX records (as every Go-based
// runtime does); PAX global headers are kept for Export but not applied.
//
// # Empty layers
//
// A stream of zero bytes, a lone end-of-archive marker and a single zero
// block are all empty layers (no entries); their DiffID is the digest of
// exactly those bytes, and Export gives them back.
//
// # Whiteouts
//
// ".wh.NAME" becomes a TypeWhiteout entry for dir/NAME, ".wh..wh..opq" a
// TypeOpaque entry for its directory; other ".wh..wh.*" names (aufs
// bookkeeping) and everything under them are TypeIgnored (so a hardlink to
// aufs' ".wh..wh.plnk" fails at checkout). They are applied by the
// checkout, never created as files.
//
// # Metadata files
//
// Layer.WriteDir and ReadLayer store a layer as two files, "entries" and
// "tar-split.json.gz"; their format is described in format.go.
//
// Layers can be unpacked concurrently into one objects.Store.
package layer
