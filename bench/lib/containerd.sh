#!/bin/bash
# shellcheck disable=SC2034 # CONTAINERD_* are set for the caller
# containerd.sh — a private, throwaway containerd for the benchmarks.
#
# Debian's containerd (1.6) started by hand with a config that keeps
# everything in one temporary directory: its root (content store, bolt
# metadata, snapshots), its state, its temp dir, its gRPC and ttrpc
# sockets and the "opt" plugin's directory. No debug or metrics listener;
# the CRI plugin and the snapshotters that are of no use here (aufs,
# btrfs, devmapper, zfs) are disabled, and so is the v1 runtime (it would
# put its state under /run/containerd): this containerd can pull and
# unpack images, not run them. /etc/containerd/config.toml is not read.
#
# CONTAINERD_TASKS=1 (before containerd_start) keeps the v1 runtime, with
# its runc root and shim state in the same directory, so that the task
# service exists and `ctr run` works (containerd 1.6's task service needs
# both runtimes; containers still run through the v2 runc shim). Even then
# the v2 shims' sockets are under /run/containerd/s (containerd 1.6 has
# that path built in; a shim removes its socket when it exits), and `ctr
# run` wants --runc-root and --fifo-dir to keep its runc state and FIFOs
# out of /run/containerd.
#
#   . bench/lib/containerd.sh
#   containerd_start PARENT_DIR     # sets CONTAINERD_DIR, CONTAINERD_ROOT,
#                                   # CONTAINERD_SOCK, CONTAINERD_PID;
#                                   # waits until it answers
#   ctr -a "$CONTAINERD_SOCK" -n bench image pull --plain-http HOST/REPO:TAG
#   containerd_stop                 # from the caller's EXIT trap too
#
# Sourcing sets no trap: the caller owns its traps.

CONTAINERD_BIN=${CONTAINERD_BIN:-/usr/bin/containerd}
CTR_BIN=${CTR_BIN:-/usr/bin/ctr}
CONTAINERD_DIR=""
CONTAINERD_ROOT=""
CONTAINERD_SOCK=""
CONTAINERD_PID=""
CONTAINERD_TASKS=${CONTAINERD_TASKS:-0}

# containerd_unmount_under DIR: unmounts whatever is mounted below DIR,
# deepest first (an unpack interrupted mid-way can leave a temporary
# mount under root/tmpmounts).
containerd_unmount_under() {
	awk -v t="$1/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}

# containerd_start PARENT_DIR: starts containerd in a new directory under
# PARENT_DIR and waits (up to 10 s) until `ctr version` answers.
containerd_start() {
	local parent=${1:-${TMPDIR:-/tmp}} d
	if [ ! -x "$CONTAINERD_BIN" ] || [ ! -x "$CTR_BIN" ]; then
		echo "containerd.sh: $CONTAINERD_BIN or $CTR_BIN missing (apt-get install containerd)" >&2
		return 1
	fi
	d=$(mktemp -d "$parent/ocid-bench-containerd.XXXXXX")
	CONTAINERD_DIR=$d
	CONTAINERD_ROOT=$d/root
	CONTAINERD_SOCK=$d/containerd.sock
	mkdir -p "$d/root" "$d/state" "$d/tmp" "$d/opt"
	local v1='  "io.containerd.runtime.v1.linux",' v1conf=""
	if [ "$CONTAINERD_TASKS" = 1 ]; then
		v1=""
		v1conf=$'[plugins."io.containerd.runtime.v1.linux"]\n    runtime_root = "'"$d/runc-v1"'"'
	fi
	cat >"$d/config.toml" <<-EOF
		version = 2
		root = "$d/root"
		state = "$d/state"
		temp = "$d/tmp"
		disabled_plugins = [
		  "io.containerd.grpc.v1.cri",
		  "io.containerd.snapshotter.v1.aufs",
		  "io.containerd.snapshotter.v1.btrfs",
		  "io.containerd.snapshotter.v1.devmapper",
		  "io.containerd.snapshotter.v1.zfs",
		$v1
		  "io.containerd.tracing.processor.v1.otlp",
		  "io.containerd.internal.v1.tracing",
		]
		[grpc]
		  address = "$d/containerd.sock"
		[ttrpc]
		  address = "$d/containerd.sock.ttrpc"
		[debug]
		  address = ""
		[metrics]
		  address = ""
		[plugins]
		  [plugins."io.containerd.internal.v1.opt"]
		    path = "$d/opt"
		  $v1conf
	EOF
	# Log level error: the disabled v1 runtime makes the task services
	# warn at start-up, which is expected here.
	"$CONTAINERD_BIN" --config "$d/config.toml" --log-level error >"$d/containerd.log" 2>&1 &
	CONTAINERD_PID=$!
	for _ in $(seq 1 100); do
		if [ -S "$CONTAINERD_SOCK" ] && "$CTR_BIN" -a "$CONTAINERD_SOCK" version >/dev/null 2>&1; then
			return 0
		fi
		kill -0 "$CONTAINERD_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "containerd.sh: containerd did not start:" >&2
	tail -5 "$d/containerd.log" >&2
	containerd_stop
	return 1
}

# containerd_stop: stops the containerd started by containerd_start (by its
# PID, nothing else), unmounts anything left under its directory and
# removes it. Safe to call twice.
containerd_stop() {
	if [ -n "$CONTAINERD_PID" ]; then
		kill "$CONTAINERD_PID" 2>/dev/null || true
		# SIGTERM makes it shut down cleanly; give it 10 s, then kill it.
		for _ in $(seq 1 100); do
			kill -0 "$CONTAINERD_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$CONTAINERD_PID" 2>/dev/null || true
		wait "$CONTAINERD_PID" 2>/dev/null || true
		CONTAINERD_PID=""
	fi
	if [ -n "$CONTAINERD_DIR" ]; then
		containerd_unmount_under "$CONTAINERD_DIR"
		rm -rf --one-file-system "$CONTAINERD_DIR"
		CONTAINERD_DIR=""
	fi
	CONTAINERD_ROOT=""
	CONTAINERD_SOCK=""
}
