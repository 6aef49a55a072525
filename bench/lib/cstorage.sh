#!/bin/bash
# cstorage.sh — a throwaway containers-storage (the layer store of podman,
# CRI-O and skopeo's containers-storage: transport) with the overlay
# driver, in a directory of its own.
#
#   . bench/lib/cstorage.sh
#   cs_init DIR            # sets CS_DIR, CS_GRAPH (DIR/graph), CS_RUN (DIR/run);
#                          # writes DIR/storage.conf; creates nothing else
#   cs_prepare             # initialises the empty store (driver checks,
#                          # lock files, the overlay home's bind mount)
#   cs_skopeo ARGS...      # skopeo with CONTAINERS_STORAGE_CONF=DIR/storage.conf
#   cs_ref NAME            # prints containers-storage:[overlay@GRAPH+RUN]NAME
#   cs_mount NAME MNT      # mounts image NAME read-only at MNT: overlayfs
#                          # over its layers' diff dirs, as podman would
#   cs_jre_dirs            # prints every layer's diff/usr/lib/jvm
#   cs_destroy             # unmounts everything under DIR, removes DIR
#
# The storage.conf names the driver, graph root and run root, so the host's
# /etc/containers/storage.conf (options, mount programs) plays no part; the
# transport's [overlay@GRAPH+RUN] specifier says the same again.
#
# The overlay driver bind-mounts its home (GRAPH/overlay) onto itself when a
# store is opened and leaves that mount behind; cs_destroy removes it.
# Sourcing sets no trap: the caller owns its traps and calls cs_destroy.

CS_DIR=""
CS_GRAPH=""
CS_RUN=""
SKOPEO=${SKOPEO:-skopeo}

cs_init() {
	CS_DIR=$1
	CS_GRAPH=$CS_DIR/graph
	CS_RUN=$CS_DIR/run
	mkdir -p "$CS_DIR"
	cat >"$CS_DIR/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$CS_GRAPH"
		runroot = "$CS_RUN"
	EOF
}

cs_skopeo() {
	CONTAINERS_STORAGE_CONF=$CS_DIR/storage.conf "$SKOPEO" "$@"
}

cs_ref() {
	echo "containers-storage:[overlay@$CS_GRAPH+$CS_RUN]$1"
}

# cs_prepare: opens the store once, so that a timed pull does not pay for
# creating it. Inspecting an image that is not there is the cheapest way
# to open it; the "not found" error is expected (anything else is not).
cs_prepare() {
	local out
	if out=$(cs_skopeo --insecure-policy inspect "$(cs_ref localhost/ocid-bench/none:0)" 2>&1); then
		return 0
	fi
	case $out in
	*"does not resolve to an image ID"* | *"image not known"* | *"not found"*) [ -d "$CS_GRAPH/overlay" ] ;;
	*) echo "cstorage.sh: cannot open the store: $out" >&2; return 1 ;;
	esac
}

# cs_layer_of NAME: prints the top layer ID of image NAME.
cs_layer_of() {
	jq -er --arg n "$1" '[.[] | select((.names // []) | index($n)) | .layer] | first' "$CS_GRAPH/overlay-images/images.json"
}

# cs_mount NAME MNT: a read-only overlay mount of image NAME at MNT.
cs_mount() {
	local top lower="" l ov=$CS_GRAPH/overlay
	top=$(cs_layer_of "$1")
	if [ -s "$ov/$top/lower" ]; then
		# "l/ABC:l/DEF", relative to the overlay home; l/ABC links to a diff.
		for l in $(tr ':' ' ' <"$ov/$top/lower"); do
			lower="$lower:$ov/$l"
		done
	fi
	mkdir -p "$2"
	# Only lower dirs, no upper: the mount is read-only by construction.
	mount -t overlay overlay -o "ro,lowerdir=$ov/$top/diff$lower" "$2"
}

# cs_jre_dirs: the JRE directory of every layer that has one (each a
# separate copy on disk: one per image when every layer digest differs).
cs_jre_dirs() {
	local d
	for d in "$CS_GRAPH"/overlay/*/diff/usr/lib/jvm; do
		[ -d "$d" ] && echo "$d"
	done
	return 0
}

cs_destroy() {
	if [ -n "$CS_DIR" ] && [ -d "$CS_DIR" ]; then
		awk -v t="$CS_DIR/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
			while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
		rm -rf --one-file-system "$CS_DIR"
	fi
	CS_DIR=""
	CS_GRAPH=""
	CS_RUN=""
}
