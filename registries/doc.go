// Package registries reads containers-registries.conf(5) (the TOML "v2"
// format, and the deprecated v1 format in the main file) and answers the
// questions a pull or push asks of it: which physical locations serve a
// logical image name, in which order, over plain HTTP or TLS, whether the
// name is blocked, and which fully-qualified names a short name stands for.
//
// The semantics are those of containers/image v5.23 (pkg/sysregistriesv2 and
// pkg/shortnames), the library Debian 12's skopeo 1.9.3 is built on, so that
// a node's existing registries.conf means the same to ocid as to skopeo and
// podman. A loaded *Config is immutable and safe for concurrent use.
//
// # Loading
//
// [Load] reads one main file and then the drop-in directory:
//
//   - Options.Path empty: [DefaultPath]; a missing file is an empty
//     configuration. Options.Path set (the CLI's --registries-conf): that
//     file, which must exist.
//   - Drop-ins: every non-directory entry named "*.conf" directly in
//     Options.DropInDir (default [DefaultDropInDir]), in lexical order. As in
//     containers/image, drop-ins are read even when Path is given explicitly
//     (skopeo --registries-conf FILE still merges
//     /etc/containers/registries.conf.d); set Options.NoDropIns to read the
//     one file only. A missing drop-in directory is not an error.
//   - Each drop-in is merged over what came before: a [[registry]] with the
//     same prefix replaces the earlier one as a whole; the scalar and list
//     globals (unqualified-search-registries, short-name-mode,
//     credential-helpers) replace earlier values when the drop-in sets them
//     (an explicit empty list clears); aliases merge name by name, and an
//     alias set to "" erases an earlier one.
//   - Drop-ins must use the v2 format. The main file may use v1
//     ([registries.search], [registries.insecure], [registries.block]),
//     which is converted; mixing v1 and v2 in one file is an error.
//
// Defaults after merging: short-name-mode "permissive" (the documented and
// implemented default of containers/image; "enforcing" must be set to get
// its errors), credential-helpers ["containers-auth.json"].
//
// # Matching and rewriting
//
// A name selects the [[registry]] whose prefix is the longest match. A
// literal prefix matches the whole name or a leading part of it followed by
// ':', '/' or '@'. A wildcard prefix "*.example.com" matches any host that
// ends in ".example.com" (any number of extra labels). The physical reference
// is the registry's location followed by the rest of the name; a wildcard
// registry without a location keeps the name as it is.
//
// Pulls ([Config.PullSources]) try the eligible mirrors in file order, then
// the primary location. mirror-by-digest-only limits every mirror to
// references carrying a digest; per mirror, pull-from-mirror "digest-only"
// or "tag-only" does the same for that mirror alone. Pushes
// ([Config.PushDestination]) never use mirrors or location rewriting, as the
// man page says and containers/image does.
//
// # Short names
//
// [Config.ResolveShortName] turns a name without a registry into candidates:
// an alias when one is configured, otherwise every unqualified-search
// registry in order. With short-name-mode "enforcing" more than one search
// candidate is an error listing them (ocid never prompts on a terminal);
// "permissive" and "disabled" return all candidates. Candidates keep the
// tag and digest of the input and get ":latest" when they have neither.
// The machine-written short-name-aliases.conf cache is not read: ocid never
// records aliases.
//
// # Deliberate differences from containers/image
//
//   - Strict parsing: an unknown key is an error naming the file and the key
//     (containers/image only logs it at debug level). A [[registry]]
//     prefix defined twice in one file is an error (containers/image keeps
//     the first and silently drops the rest).
//   - Prefixes and locations are validated when loading: host[:port], an
//     optional repository path, an optional tag or digest, or (prefix only)
//     "*." followed by a host name. containers/image accepts any string and
//     fails, or silently never matches, at pull time.
//   - Wildcards match by host suffix. containers/image looks for the first
//     occurrence of the suffix, so "*.example.com" misses
//     "a.example.com.example.com". When a literal host and a wildcard of the
//     same length both match ("x.example.com" and "*.example.com": a
//     one-character first label), the literal one wins; containers/image
//     picks by sort order, which favours the wildcard.
//   - blocked is applied to the registry the logical name selects, before
//     any endpoint is tried, as the man page says ("pulling images with
//     matching names is forbidden"). containers/image checks it only against
//     the physical name of each endpoint it contacts, so a blocked registry
//     that has mirrors, or a location elsewhere, is still pulled from. Like
//     containers/image, ocid also refuses a physical location that is
//     itself blocked: such a mirror is skipped, such a primary fails.
//   - No per-user files ($HOME/.config/containers/...): ocid is a system
//     daemon; a caller that wants them passes Options.Path and
//     Options.DropInDir.
//
// Kept for compatibility although surprising: a host prefix also matches the
// same host with a port ("example.com" matches "example.com:5000/app", the
// port staying in the rewritten remainder), and prefixes carrying a tag or
// digest are accepted but never select a registry for a pull, because
// matching uses the repository name, exactly as containers/image does.
// Conflicting insecure/blocked settings for one location are checked within
// each file, not across files, because a drop-in replacing a prefix is how
// an administrator overrides the base file.
package registries
