#!/bin/bash
# bench/runtime.sh [RUNS] — ocid's container runtime: lifecycle latency and
# the memory of its per-container monitors (docs/performance.md, "Runtime").
#
#   1 Lifecycle latency: a busybox container running `true`, created,
#     started, waited for and deleted, RUNS times (default 30) per tool
#     after two untimed warm-ups each, strictly alternating:
#       ocid container run --rm busybox:bench true
#       runc run --keep --bundle B ID; runc delete ID    (runc spec, the floor)
#       the same with the config.json ocid generates     (seccomp, masks…)
#       ocid container run --rm with crun as its runtime  (if crun is installed;
#                                                       ocid compiles the seccomp filter)
#       crun run --bundle B ID                           (runc spec's bundle)
#       the same with the config.json ocid generates for crun
#       podman run --rm … busybox:bench true             (if podman works)
#       ctr run --rm … busybox:bench ID true             (if containerd works)
#     Wall time of each command (bash's EPOCHREALTIME around it); medians,
#     p90, ratios to bare runc.
#   2 Monitor memory: MONITORS (default 20) detached containers running
#     `sleep 1000`; RSS and PSS (/proc/PID/smaps_rollup) of each one's
#     monitor: ocid's `ocid monitor` processes, podman's conmon, containerd's
#     containerd-shim-runc-v2; median and max per monitor, total PSS.
#   3 Where it goes: `strace -f --seccomp-bpf` of PROFILE_RUNS (default 10)
#     `ocid container run --rm` runs, cut into phases at the execs of the
#     monitor and of runc run/delete; fixed costs (`ocid --version`,
#     `ocid container ps`, `runc --version`); the monitor's memory by mapping
#     and its package-init allocations (GODEBUG=inittrace=1); monitors with
#     GOMAXPROCS=1 and with GOMEMLIMIT=1MiB; one monitor's GODEBUG=gctrace=1;
#     the same runs untraced with runc timed by a wrapper (ocid's own share);
#     and the same monitor code alone in a small binary (bench/cmd/slimmonitor,
#     started through ocid's runtime package by bench/cmd/monstart).
#
# The image: bench/cmd/mkbusybox writes a one-layer OCI layout from the
# host's /bin/busybox (busybox-static, installed if missing); ocid pulls it
# (`image pull --name busybox:bench oci:…`), ocid copies it to a
# docker-archive that podman loads and ctr imports; the runc bundles'
# rootfs is that layer extracted with tar. Same files everywhere.
#
# Where things live (all under one work directory, WORK):
#   ocid     --root WORK/ocid (disk) --runroot WORK/run/ocid (tmpfs),
#            a config file with [runtime] cgroup_parent = "/CG"
#   runc     --root WORK/run/runc; bundles in WORK/bundle*
#   podman   --root WORK/podman/graph (disk), --runroot/--tmpdir on the tmpfs,
#            CONTAINERS_CONF/CONTAINERS_STORAGE_CONF/CONTAINERS_REGISTRIES_CONF
#            of its own, runtime runc, cgroupfs, file locks, no events, no
#            network (--network none); runc's state for its containers in
#            /run/runc (podman passes no --root to the runc it cleans up with)
#   containerd  bench/lib/containerd.sh with CONTAINERD_TASKS=1, under WORK
#            (disk); ctr --runc-root/--fifo-dir on the tmpfs; its shims'
#            sockets in /run/containerd/s (built into containerd 1.6)
# where WORK is a new directory under BENCH_TMPDIR (default /var/tmp, a disk)
# and WORK/run a tmpfs mounted for the run (as /run is on a node). Every
# container's cgroup is under /CG = /ocid-bench-runtime.XXXXXX in every
# hierarchy. /run/containers/networks (podman makes it), /run/containerd/s,
# /run/runc and /dev/shm/libpod_lock are removed afterwards if this run
# created them and they are empty.
#
# Environment:
#   OCID                       ocid binary (default bin/ocid, built if missing)
#   RUNC                       runc binary (default runc)
#   BENCH_TMPDIR               parent of WORK (default /var/tmp)
#   RUNTIME_BENCH_PARTS        parts to run (default "1 2 3")
#   RUNTIME_BENCH_MONITORS     containers in part 2 (default 20)
#   RUNTIME_BENCH_SETTLE       seconds between starting them and measuring (default 5)
#   RUNTIME_BENCH_PROFILE_RUNS traced runs in part 3 (default 10)
#   RUNTIME_BENCH_PODMAN       0 to leave podman out (default 1: installed if missing)
#   RUNTIME_BENCH_CONTAINERD   0 to leave containerd out (default 1)
#   RUNTIME_BENCH_CRUN         0 to leave crun out (default 1: used if installed)
#   RUNTIME_BENCH_GAP          seconds of quiet before each timed command in
#                              part 1 (default 0: back to back). Moving a
#                              process into a cgroup costs an RCU grace period
#                              after a quiet spell (internal/cgwarm), so back to
#                              back a tool's time depends on the one before it;
#                              with a gap (0.1) every command starts quiet.
#
# crun 1.8 refuses a hybrid cgroup host (cgroup v1 with a cgroup2 mount at
# /sys/fs/cgroup/unified, as here): with crun in use on such a host the
# whole benchmark runs in a private mount namespace where a private tmpfs
# covers that mount, and every tool sees a plain cgroup v1 host.
#
# Root only. Exits non-zero if any container run fails. Cleans up on exit,
# also when interrupted: every container (ocid, runc, podman, containerd),
# monitor, conmon and shim it started (by PID or through their tools), the
# private containerd, mounts under WORK, the cgroups under /CG, WORK.
set -eu
shopt -s inherit_errexit

RUNS=${1:-30}
case $RUNS in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS >= 1)" >&2; exit 2 ;; esac
NMON=${RUNTIME_BENCH_MONITORS:-20}
case $NMON in '' | *[!0-9]* | 0) echo "RUNTIME_BENCH_MONITORS must be >= 1" >&2; exit 2 ;; esac
SETTLE=${RUNTIME_BENCH_SETTLE:-5}
PRUNS=${RUNTIME_BENCH_PROFILE_RUNS:-10}
case $PRUNS in '' | *[!0-9]* | 0) echo "RUNTIME_BENCH_PROFILE_RUNS must be >= 1" >&2; exit 2 ;; esac
PARTS=${RUNTIME_BENCH_PARTS:-1 2 3}
GAP=${RUNTIME_BENCH_GAP:-0}
case $GAP in '' | *[!0-9.]*) echo "RUNTIME_BENCH_GAP must be a number of seconds" >&2; exit 2 ;; esac
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
WITH_PODMAN=${RUNTIME_BENCH_PODMAN:-1}
WITH_CTR=${RUNTIME_BENCH_CONTAINERD:-1}
[ "$(id -u)" = 0 ] || { echo "$0: run as root (containers, mounts, cgroups)" >&2; exit 2; }
WITH_CRUN=${RUNTIME_BENCH_CRUN:-1}
if [ "$WITH_CRUN" = 1 ] && ! command -v crun >/dev/null; then WITH_CRUN=0; fi
if [ "$WITH_CRUN" = 1 ] && [ -z "${RUNTIME_BENCH_NS:-}" ] &&
	[ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	# A private tmpfs over the cgroup2 mount (not an unmount: crun still
	# writes a directory per container under it, which then goes with
	# the namespace; see test/critest/crun.sh).
	exec unshare -m --propagation unchanged env RUNTIME_BENCH_NS=1 \
		bash -c 'mount -t tmpfs -o size=4m,mode=0755 ocid-no-cgroup2 /sys/fs/cgroup/unified && exec bash "$0" "$@"' "$0" "$@"
fi

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OCID=${OCID:-$ROOT/bin/ocid}
RUNC=${RUNC:-runc}
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin
START=$(date +%s%N)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log() { echo "runtime.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=bench/lib/containerd.sh
. "$ROOT/bench/lib/containerd.sh"

WORK=""
RUNTMP=""
CG=""
PODMAN_OK=0
CTR_OK=0
# Host paths some tools create outside WORK: removed at the end if this
# run created them (and they are empty).
HOST_PATHS="/run/containers/networks /run/containers /run/containerd/s /run/containerd /run/runc /dev/shm/libpod_lock"
declare -A PREEXISTING=()
for p in $HOST_PATHS; do if [ -e "$p" ]; then PREEXISTING[$p]=1; fi; done

# unmount_under DIR: every mount below DIR, deepest first.
unmount_under() {
	awk -v t="$1/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
# pids_mentioning STRING: processes whose command line contains STRING.
pids_mentioning() {
	local f pid
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = $$ ] && continue
		if { tr '\0' ' ' <"$f"; } 2>/dev/null | grep -qF -- "$1"; then echo "$pid"; fi
	done
	return 0
}

cleanup() {
	set +e
	trap - INT TERM
	if [ -n "$WORK" ]; then
		log "cleaning up"
		# ocid: remove every container (kills it, stops its monitor).
		if [ -x "$OCID" ] && [ -f "$WORK/ocid.toml" ]; then
			ids=$(ocidc container ps -a --format '{{.ID}}' 2>/dev/null)
			# shellcheck disable=SC2086 # IDs
			if [ -n "$ids" ]; then ocidc container rm -f $ids >/dev/null 2>&1; fi
		fi
		if [ "$WITH_CRUN" = 1 ] && [ -n "$RUNTMP" ]; then
			crun --root "$RUNTMP/crun" delete -f ocid-bench-crun >/dev/null 2>&1
		fi
		# podman: its containers, through podman.
		if [ "$PODMAN_OK" = 1 ]; then
			pm rm -f -t 0 -a >/dev/null 2>&1
		fi
		# containerd: tasks, containers, then the daemon.
		if [ -n "$CONTAINERD_PID" ]; then
			for id in $(ctrc task ls -q 2>/dev/null); do ctrc task kill -s KILL "$id" >/dev/null 2>&1; done
			sleep 0.2
			for id in $(ctrc task ls -q 2>/dev/null); do ctrc task delete -f "$id" >/dev/null 2>&1; done
			for id in $(ctrc container ls -q 2>/dev/null); do ctrc container rm "$id" >/dev/null 2>&1; done
		fi
		containerd_stop
		# Bare runc containers.
		for r in "$RUNTMP/runc" "$RUNTMP/ocid/runtime/runc" "$RUNTMP/ctr-runc"/*; do
			[ -d "$r" ] || continue
			for id in $("$RUNC" --root "$r" list -q 2>/dev/null); do "$RUNC" --root "$r" delete -f "$id" >/dev/null 2>&1; done
		done
		# Anything still running that names WORK (monitors, conmon, shims,
		# containerd's shims name its socket there): by PID.
		for pid in $(pids_mentioning "$WORK"); do kill -9 "$pid" 2>/dev/null; done
		sleep 0.2
		unmount_under "$WORK"
		rm -rf --one-file-system "$WORK"
	fi
	# Our cgroups, deepest first (a cgroup with processes stays: say so).
	if [ -n "$CG" ]; then
		for h in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/"$CG"; do
			[ -d "$h" ] || continue
			# The private tmpfs over cgroup2 (see above) goes at exit.
			[ "$(stat -f -c %T "$h")" != tmpfs ] || continue
			find "$h" -depth -type d -exec rmdir {} + 2>/dev/null
			[ -d "$h" ] && log "cgroup $h could not be removed"
		done
	fi
	# Host paths this run created, if empty now.
	for p in $HOST_PATHS; do
		[ -n "${PREEXISTING[$p]:-}" ] && continue
		if [ -d "$p" ]; then rmdir "$p" 2>/dev/null; elif [ -f "$p" ] && [ "$p" = /dev/shm/libpod_lock ]; then rm -f "$p"; fi
	done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites --------------------------------------------------------
apt_install() { DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; }
for tool in runc:runc jq:jq strace:strace /bin/busybox:busybox-static; do
	if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
		log "installing ${tool#*:}"
		apt_install "${tool#*:}"
	fi
done
# busybox-static, not the dynamic busybox: the image has no libc.
if ldd /bin/busybox >/dev/null 2>&1; then die "/bin/busybox is dynamically linked (apt-get install busybox-static)"; fi
if [ "$WITH_PODMAN" = 1 ] && ! command -v podman >/dev/null 2>&1; then
	log "installing podman (Debian's; its systemd units are not used here)"
	apt_install podman || { log "podman could not be installed; leaving it out"; WITH_PODMAN=0; }
fi
if [ "$WITH_CTR" = 1 ] && { [ ! -x "$CONTAINERD_BIN" ] || [ ! -x "$CTR_BIN" ]; }; then
	log "installing containerd (its system service is not used here)"
	apt_install containerd || { log "containerd could not be installed; leaving it out"; WITH_CTR=0; }
fi
command -v go >/dev/null || die "go is needed for bench/cmd/mkbusybox"
if [ ! -x "$OCID" ]; then
	log "building ocid (make build)"
	make -C "$ROOT" build >&2
fi

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/ocid-bench-runtime.XXXXXX")
CG=ocid-bench-runtime.${WORK##*.}
RUNTMP=$WORK/run
mkdir -p "$WORK/tmp" "$RUNTMP"
mount -t tmpfs -o mode=0755,size=2g ocid-bench-runtime "$RUNTMP"
export TMPDIR=$WORK/tmp
log "work directory $WORK, cgroup parent /$CG"

log "building bench/cmd/mkbusybox, slimmonitor, monstart"
for c in mkbusybox slimmonitor monstart; do
	(cd "$ROOT" && go build -trimpath -ldflags "-s -w" -o "$WORK/bin/$c" "./bench/cmd/$c")
done

# --- the image ----------------------------------------------------------------
"$WORK/bin/mkbusybox" "$WORK/layout" bench
MANIFEST=$(jq -r '.manifests[0].digest' "$WORK/layout/index.json")
LAYER=$(jq -r '.layers[0].digest' "$WORK/layout/blobs/sha256/${MANIFEST#sha256:}")
CONFIG=$(jq -r '.config.digest' "$WORK/layout/blobs/sha256/${MANIFEST#sha256:}")

# ocid
cat >"$WORK/ocid.toml" <<EOF
[runtime]
cgroup_parent = "/$CG"
EOF
if [ "$WITH_CRUN" = 1 ]; then
	# A second handler; the default stays runc. seccomp_bpf is auto:
	# on for a binary named crun.
	printf '[runtime.handlers.runc]\npath = "runc"\n[runtime.handlers.crun]\npath = "%s"\n' "$(command -v crun)" >>"$WORK/ocid.toml"
fi
ocidc() { "$OCID" --config "$WORK/ocid.toml" --root "$WORK/ocid" --runroot "$RUNTMP/ocid" --insecure-policy "$@"; }
ocidc image pull -q --name busybox:bench "oci:$WORK/layout:bench" >/dev/null
ocidc image copy -q "oci:$WORK/layout:bench" "docker-archive:$WORK/busybox.tar:localhost/busybox:bench"

# runc: a bundle from `runc spec`, and one with ocid's own config.json.
mkdir -p "$WORK/bundle/rootfs" "$WORK/bundle-ocidspec" "$RUNTMP/runc"
tar -xzf "$WORK/layout/blobs/sha256/${LAYER#sha256:}" -C "$WORK/bundle/rootfs"
(cd "$WORK/bundle" && "$RUNC" spec)
jq --arg cg "/$CG/ocid-bench-runc" '.process.terminal = false | .process.args = ["true"] | .linux.cgroupsPath = $cg' \
	"$WORK/bundle/config.json" >"$WORK/bundle/config.json.new"
mv "$WORK/bundle/config.json.new" "$WORK/bundle/config.json"
id=$(ocidc container create --name ocid-bench-spec busybox:bench true)
jq --arg root "$WORK/bundle/rootfs" --arg cg "/$CG/ocid-bench-runc-ocidspec" \
	'.root.path = $root | .linux.cgroupsPath = $cg' \
	"$RUNTMP/ocid/runtime/$id/bundle/config.json" >"$WORK/bundle-ocidspec/config.json"
ocidc container rm -f ocid-bench-spec >/dev/null
[ "$(jq -r '.hooks // {} | length' "$WORK/bundle-ocidspec/config.json")" = 0 ] || die "ocid's spec has hooks: cannot reuse it as is"
if [ "$WITH_CRUN" = 1 ]; then
	# crun: the same bundles (its state in RR/crun), and the config.json
	# ocid writes for a crun container (with the compiled seccomp filter).
	mkdir -p "$WORK/bundle-crun" "$WORK/bundle-crun-ocidspec" "$RUNTMP/crun"
	jq --arg root "$WORK/bundle/rootfs" --arg cg "/$CG/ocid-bench-crun" '.root.path = $root | .linux.cgroupsPath = $cg' \
		"$WORK/bundle/config.json" >"$WORK/bundle-crun/config.json"
	id=$(ocidc container create --runtime crun --name ocid-bench-spec busybox:bench true)
	jq --arg root "$WORK/bundle/rootfs" --arg cg "/$CG/ocid-bench-crun-ocidspec" \
		'.root.path = $root | .linux.cgroupsPath = $cg' \
		"$RUNTMP/ocid/runtime/$id/bundle/config.json" >"$WORK/bundle-crun-ocidspec/config.json"
	ocidc container rm -f ocid-bench-spec >/dev/null
	[ "$(jq -r '.annotations["run.oci.seccomp_bpf_data"] // "" | length > 0' "$WORK/bundle-crun-ocidspec/config.json")" = true ] ||
		die "ocid's spec for crun has no compiled seccomp filter"
fi

# podman
pm() {
	CONTAINERS_CONF=$WORK/podman/containers.conf CONTAINERS_STORAGE_CONF=$WORK/podman/storage.conf \
		CONTAINERS_REGISTRIES_CONF=$WORK/podman/registries.conf \
		podman --root "$WORK/podman/graph" --runroot "$RUNTMP/podman" --storage-driver overlay \
		--tmpdir "$RUNTMP/podman-tmp" --cgroup-manager cgroupfs --events-backend none --runtime runc "$@"
}
# podman sets RLIMIT_NOFILE and RLIMIT_NPROC in the container by default,
# to values above this machine's hard limits (no CAP_SYS_RESOURCE here):
# runc then fails with EPERM. Ask for the limits a podman process has.
# (podman raises its own RLIMIT_NOFILE to at most 1048576 and sets its
# RLIMIT_NPROC to 32768, if the hard limits allow.)
hn=$(ulimit -Hn)
if [ "$hn" = unlimited ] || [ "$hn" -gt 1048576 ]; then hn=1048576; fi
hu=$(ulimit -Hu)
if [ "$hu" = unlimited ] || [ "$hu" -gt 32768 ]; then hu=32768; fi
PM_ULIMITS=(--ulimit "nofile=$hn:$hn" --ulimit "nproc=$hu:$hu")
PM_RUN=(--network none --cgroup-parent "/$CG" "${PM_ULIMITS[@]}")
if [ "$WITH_PODMAN" = 1 ]; then
	mkdir -p "$WORK/podman/net" "$RUNTMP/podman-tmp"
	cat >"$WORK/podman/storage.conf" <<-EOF
		[storage]
		driver = "overlay"
		graphroot = "$WORK/podman/graph"
		runroot = "$RUNTMP/podman"
	EOF
	cat >"$WORK/podman/containers.conf" <<-EOF
		[containers]
		log_driver = "k8s-file"
		[engine]
		cgroup_manager = "cgroupfs"
		events_logger = "none"
		runtime = "runc"
		lock_type = "file"
		tmp_dir = "$RUNTMP/podman-tmp"
		volume_path = "$WORK/podman/graph/volumes"
		static_dir = "$WORK/podman/graph/libpod"
		[network]
		network_config_dir = "$WORK/podman/net"
	EOF
	echo 'unqualified-search-registries = []' >"$WORK/podman/registries.conf"
	if pm load -q -i "$WORK/busybox.tar" >"$WORK/out" 2>&1 &&
		pm run --rm "${PM_RUN[@]}" localhost/busybox:bench true >>"$WORK/out" 2>&1; then
		PODMAN_OK=1
	else
		log "podman does not work here; leaving it out:"
		tail -5 "$WORK/out" >&2
		PODMAN_NOTE="podman: failed ($(tail -1 "$WORK/out"))"
	fi
fi

# containerd
ctrc() { "$CTR_BIN" -a "$CONTAINERD_SOCK" -n bench "$@"; }
CTR_RUN=(--fifo-dir "$RUNTMP/ctr-fifo" --runc-root "$RUNTMP/ctr-runc" --seccomp)
if [ "$WITH_CTR" = 1 ]; then
	mkdir -p "$RUNTMP/ctr-fifo" "$RUNTMP/ctr-runc"
	if CONTAINERD_TASKS=1 containerd_start "$WORK" &&
		ctrc image import "$WORK/busybox.tar" >"$WORK/out" 2>&1 &&
		ctrc run --rm "${CTR_RUN[@]}" --cgroup "/$CG/ctr-check" localhost/busybox:bench ctr-check true >>"$WORK/out" 2>&1; then
		CTR_OK=1
	else
		log "containerd does not work here; leaving it out:"
		tail -5 "$WORK/out" >&2
		CTR_NOTE="containerd: failed ($(tail -1 "$WORK/out"))"
		containerd_stop
	fi
fi

# --- helpers ------------------------------------------------------------------
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", b - a }'; }
# stats LIST...: "median p90 min max" (p90 by nearest rank).
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		r = int(0.9 * NR); if (r < 0.9 * NR) r++; if (r < 1) r = 1
		printf "%.4f %.4f %.4f %.4f\n", m, a[r], a[1], a[NR] }'
}
median() { stats "$@" | cut -d' ' -f1; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

# lifecycle TOOL N: one container, created, started, waited for, deleted;
# prints the wall time in seconds. Exits the script if it fails.
lifecycle() {
	local tool=$1 n=$2 t0 t1 rc=0
	if [ "$GAP" != 0 ]; then sleep "$GAP"; fi
	case $tool in
	ocid)
		t0=$EPOCHREALTIME
		ocidc container run --rm busybox:bench true </dev/null >"$WORK/out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		;;
	ocid-crun)
		t0=$EPOCHREALTIME
		ocidc container run --rm --runtime crun busybox:bench true </dev/null >"$WORK/out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		;;
	runc | runc-ocidspec)
		local b=$WORK/bundle
		[ "$tool" = runc ] || b=$WORK/bundle-ocidspec
		t0=$EPOCHREALTIME
		{ "$RUNC" --root "$RUNTMP/runc" run --keep --bundle "$b" ocid-bench-runc </dev/null >"$WORK/out" 2>&1 &&
			"$RUNC" --root "$RUNTMP/runc" delete ocid-bench-runc >>"$WORK/out" 2>&1; } || rc=$?
		t1=$EPOCHREALTIME
		;;
	crun | crun-ocidspec)
		# crun 1.8 has no run --keep: its run deletes the container.
		local b=$WORK/bundle-crun
		[ "$tool" = crun ] || b=$WORK/bundle-crun-ocidspec
		t0=$EPOCHREALTIME
		crun --root "$RUNTMP/crun" run --bundle "$b" ocid-bench-crun </dev/null >"$WORK/out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		;;
	podman)
		t0=$EPOCHREALTIME
		pm run --rm "${PM_RUN[@]}" localhost/busybox:bench true </dev/null >"$WORK/out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		;;
	ctr)
		t0=$EPOCHREALTIME
		ctrc run --rm "${CTR_RUN[@]}" --cgroup "/$CG/ctr-$n" localhost/busybox:bench "ctr-$n" true </dev/null >"$WORK/out" 2>&1 || rc=$?
		t1=$EPOCHREALTIME
		;;
	esac
	if [ "$rc" != 0 ]; then
		log "$tool run $n failed (exit $rc):"
		tail -20 "$WORK/out" >&2
		exit 1
	fi
	elapsed "$t0" "$t1"
}

TOOLS="ocid runc runc-ocidspec"
if [ "$WITH_CRUN" = 1 ]; then TOOLS="$TOOLS ocid-crun crun crun-ocidspec"; fi
if [ "$PODMAN_OK" = 1 ]; then TOOLS="$TOOLS podman"; fi
if [ "$CTR_OK" = 1 ]; then TOOLS="$TOOLS ctr"; fi
declare -A CMD=(
	[ocid]="ocid --config F --root R --runroot RR container run --rm busybox:bench true"
	[runc]="runc --root RR/runc run --keep --bundle B ocid-bench-runc; runc --root RR/runc delete ocid-bench-runc   (config.json: runc spec; terminal false, args [true], cgroupsPath /CG/…)"
	[runc-ocidspec]="the same with the config.json ocid generated for this container (root.path and cgroupsPath changed)"
	[ocid-crun]="ocid --config F --root R --runroot RR container run --rm --runtime crun busybox:bench true   (F: a crun handler, seccomp_bpf auto)"
	[crun]="crun --root RR/crun run --bundle B ocid-bench-crun   (runc spec's config.json; crun's run deletes the container)"
	[crun-ocidspec]="the same with the config.json ocid generated for a crun container (its compiled seccomp filter included)"
	[podman]="podman --root G --runroot RR --storage-driver overlay --tmpdir T --cgroup-manager cgroupfs --events-backend none --runtime runc run --rm --network none --cgroup-parent /CG --ulimit nofile=H:H --ulimit nproc=H:H localhost/busybox:bench true"
	[ctr]="ctr -a SOCK -n bench run --rm --fifo-dir D --runc-root D --seccomp --cgroup /CG/ctr-N localhost/busybox:bench ctr-N true"
)
declare -A NAME=([ocid]="ocid container run --rm" [runc]="bare runc (runc spec)" [runc-ocidspec]="bare runc, ocid's config.json" [ocid-crun]="ocid container run --rm, crun" [crun]="bare crun (runc spec)" [crun-ocidspec]="bare crun, ocid's config.json" [podman]="podman run --rm" [ctr]="ctr run --rm (containerd)")

# leftovers: checks that a tool left no container behind.
leftovers() {
	local n
	n=$(ocidc container ps -a --format '{{.ID}}' | wc -l)
	[ "$n" = 0 ] || die "ocid left $n containers"
	n=$("$RUNC" --root "$RUNTMP/runc" list -q | wc -l)
	[ "$n" = 0 ] || die "runc left $n containers"
	if [ "$WITH_CRUN" = 1 ]; then
		n=$(crun --root "$RUNTMP/crun" list -q | wc -l)
		[ "$n" = 0 ] || die "crun left $n containers"
	fi
	if [ "$PODMAN_OK" = 1 ]; then
		n=$(pm ps -a -q | wc -l)
		[ "$n" = 0 ] || die "podman left $n containers"
	fi
	if [ "$CTR_OK" = 1 ]; then
		n=$(ctrc container ls -q | wc -l)
		[ "$n" = 0 ] || die "containerd left $n containers"
	fi
	n=$(awk -v t="$WORK/" 'index($2, t) == 1 && $3 == "overlay"' /proc/mounts | wc -l)
	[ "$n" = 0 ] || die "$n overlay mounts left under $WORK"
}

# --- part 1: lifecycle latency ----------------------------------------------------
declare -A P1
if want 1; then
	log "part 1: warm-up (2 untimed runs each)"
	for w in 1 2; do for tool in $TOOLS; do lifecycle "$tool" "w$w" >/dev/null; done; done
	leftovers
	for i in $(seq 1 "$RUNS"); do
		line=""
		for tool in $TOOLS; do
			t=$(lifecycle "$tool" "$i")
			P1[$tool]="${P1[$tool]:-} $t"
			line="$line $tool ${t}s"
		done
		log "part 1 run $i/$RUNS:$line"
	done
	leftovers
fi

# --- part 2: monitor memory ---------------------------------------------------------
# smaps PID: "rss pss pss_anon pss_file" in kB.
smaps() {
	awk '$1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 } $1 == "Pss_Anon:" { a = $2 } $1 == "Pss_File:" { f = $2 }
		END { print r, p, a, f }' "/proc/$1/smaps_rollup"
}
# ocid_monitor_pids: the monitors of our ocid containers (from their pid
# files, checked against the command line).
ocid_monitor_pids() {
	local f pid
	for f in "$RUNTMP"/ocid/runtime/*/monitor.pid; do
		[ -f "$f" ] || continue
		pid=$(cut -d' ' -f1 "$f")
		{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -Eq "( monitor|ocid-monitor) $RUNTMP/ocid/runtime/" && echo "$pid"
	done
	return 0
}
# measure_pids LABEL PID...: records per-process smaps and prints a summary line.
declare -A MEM
measure_pids() {
	local label=$1 pid rows=""
	shift
	for pid in "$@"; do rows="$rows$(smaps "$pid")"$'\n'; done
	MEM[$label,n]=$#
	MEM[$label,rows]=$rows
	# shellcheck disable=SC2046 # numbers
	MEM[$label,rss]=$(stats $(awk 'NF { print $1 }' <<<"$rows"))
	# shellcheck disable=SC2046 # numbers
	MEM[$label,pss]=$(stats $(awk 'NF { print $2 }' <<<"$rows"))
	# shellcheck disable=SC2046 # numbers
	MEM[$label,anon]=$(stats $(awk 'NF { print $3 }' <<<"$rows"))
	# shellcheck disable=SC2046 # numbers
	MEM[$label,file]=$(stats $(awk 'NF { print $4 }' <<<"$rows"))
	MEM[$label,total]=$(awk 'NF { s += $2 } END { print s }' <<<"$rows")
	MEM[$label,totalrss]=$(awk 'NF { s += $1 } END { print s }' <<<"$rows")
	log "memory $label: $# processes, PSS median ${MEM[$label,pss]%% *} kB, total ${MEM[$label,total]} kB"
}
# mapping_breakdown PID: kB of RSS and PSS by kind of mapping, tab-separated.
mapping_breakdown() {
	awk '
	function flush(k) {
		if (!have) return
		if (name ~ /^\//) {
			lib = (name ~ /\.so/)
			if (anon == 0) k = lib ? "shared libraries (file pages)" : "the executable (file pages)"
			else k = lib ? "shared libraries (written pages)" : "the executable (written data pages)"
		} else if (name == "[heap]") k = "[heap] (brk, malloc)"
		else if (name == "[stack]") k = "[stack] (main thread)"
		else if (name ~ /^\[/) k = "vdso, vvar"
		else {
			k = "other anonymous mappings"
			if (rss > bigrss) { bigrss = rss; bigpss = pss }
		}
		R[k] += rss; P[k] += pss; have = 0
	}
	/^[0-9a-f]+-[0-9a-f]+ / { flush(); name = (NF >= 6) ? $6 : ""; rss = 0; pss = 0; anon = 0; have = 1; next }
	$1 == "Rss:" { rss = $2 }
	$1 == "Pss:" { pss = $2 }
	$1 == "Anonymous:" { anon = $2 }
	END {
		flush()
		k = "other anonymous mappings"; R[k] -= bigrss; P[k] -= bigpss
		k = "largest anonymous mapping (Go: the heap arena)"; R[k] = bigrss; P[k] = bigpss
		for (k in R) if (R[k] > 0) printf "%s\t%d\t%d\n", k, R[k], P[k]
	}' "/proc/$1/smaps" | sort -t$'\t' -k2 -n -r
}
wait_pids() { # wait_pids N CMD...: until CMD prints N pids (10 s at most)
	local n=$1 i
	shift
	for i in $(seq 1 100); do
		[ "$("$@" | wc -l)" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

start_ocid_monitors() { # start_ocid_monitors [ENV...]: NMON detached ocid containers
	local i
	for i in $(seq 1 "$NMON"); do
		env "$@" "$OCID" --config "$WORK/ocid.toml" --root "$WORK/ocid" --runroot "$RUNTMP/ocid" --insecure-policy \
			container run -d --name "mon-$i" busybox:bench sleep 1000 >/dev/null
	done
}
remove_ocid_containers() {
	local ids
	ids=$(ocidc container ps -a --format '{{.ID}}')
	# shellcheck disable=SC2086
	if [ -n "$ids" ]; then ocidc container rm -f $ids >/dev/null; fi
	[ -z "$(ocid_monitor_pids)" ] || die "ocid monitors left after rm"
}

if want 2; then
	log "part 2: $NMON ocid containers (sleep 1000)"
	start_ocid_monitors
	wait_pids "$NMON" ocid_monitor_pids || die "expected $NMON ocid monitors"
	sleep "$SETTLE"
	mapfile -t pids < <(ocid_monitor_pids)
	measure_pids ocid "${pids[@]}"
	# shellcheck disable=SC2034 # read through ${!v} in the report
	BREAKDOWN_OCID=$(mapping_breakdown "${pids[0]}")
	THREADS_OCID=$(awk '/^Threads:/ { print $2 }' "/proc/${pids[0]}/status")
	remove_ocid_containers

	if [ "$PODMAN_OK" = 1 ]; then
		log "part 2: $NMON podman containers"
		for i in $(seq 1 "$NMON"); do pm run -d "${PM_RUN[@]}" --name "mon-$i" localhost/busybox:bench sleep 1000 >/dev/null; done
		sleep "$SETTLE"
		pids=()
		for i in $(seq 1 "$NMON"); do
			p=$(pm inspect --format '{{.State.ConmonPid}}' "mon-$i")
			[ "$(cat "/proc/$p/comm")" = conmon ] || die "podman mon-$i: pid $p is not conmon"
			pids+=("$p")
		done
		measure_pids conmon "${pids[@]}"
		# shellcheck disable=SC2034
		BREAKDOWN_CONMON=$(mapping_breakdown "${pids[0]}")
		pm rm -f -t 0 -a >/dev/null
	fi

	if [ "$CTR_OK" = 1 ]; then
		log "part 2: $NMON containerd containers"
		for i in $(seq 1 "$NMON"); do
			ctrc run -d "${CTR_RUN[@]}" --cgroup "/$CG/mon-$i" localhost/busybox:bench "mon-$i" sleep 1000 >/dev/null
		done
		sleep "$SETTLE"
		pids=()
		for i in $(seq 1 "$NMON"); do
			# The shim is the parent of the container's init (it is the
			# subreaper); containerd 1.6 writes no shim.pid.
			p=$(cat "$CONTAINERD_DIR/state/io.containerd.runtime.v2.task/bench/mon-$i/init.pid")
			p=$(awk '{ sub(/^.*\) /, ""); print $2 }' "/proc/$p/stat")
			tr '\0' ' ' <"/proc/$p/cmdline" | grep -q "containerd-shim-runc-v2 .*-id mon-$i " || die "ctr mon-$i: pid $p is not its shim"
			pids+=("$p")
		done
		measure_pids shim "${pids[@]}"
		for i in $(seq 1 "$NMON"); do ctrc task kill -s KILL "mon-$i" >/dev/null; done
		for i in $(seq 1 "$NMON"); do
			for _ in $(seq 1 50); do ctrc task delete "mon-$i" >/dev/null 2>&1 && break; sleep 0.1; done
			ctrc container rm "mon-$i" >/dev/null
		done
	fi
fi

# --- part 3: where it goes -----------------------------------------------------------
# phases TRACE: one traced run cut at the execs; prints "name value" lines
# (seconds, or counts for n*). The trace has fd paths (strace -y), so each
# fsync-family call is counted as on disk (under WORK, not RUNTMP) or on
# the tmpfs.
phases() {
	awk -v tmpfs="$RUNTMP/" '
	function dur(line) { match(line, /<[0-9.]+>$/); return substr(line, RSTART + 1, RLENGTH - 2) + 0 }
	function where(line) { return index(line, "<" tmpfs) ? "tmpfs" : "disk" }
	NR == 1 { main = $1; t0 = $2 + 0 }
	/ execve\(/ && (/ = 0 </ || /<unfinished/) {
		if ($0 ~ /ocid-monitor"|"monitor"/ && !mon) mon = $2 + 0
		else if ($0 ~ /runc", .*"run"/ && !r0) { r0 = $2 + 0; rpid = $1 }
		else if ($0 ~ /runc", .*"delete"/ && !d0) { d0 = $2 + 0; dpid = $1 }
		else if ($0 ~ /execve\("\/bin\/true"/ && !tr0) { tr0 = $2 + 0; trpid = $1 }
	}
	/\+\+\+ exited/ {
		if ($1 == rpid && !r1) r1 = $2 + 0
		if ($1 == dpid && !d1) d1 = $2 + 0
		if ($1 == trpid && !tr1) tr1 = $2 + 0
		if ($1 == main) end = $2 + 0
	}
	/ umount2\(.*\/rootfs/ { if (/<unfinished/) pend[$1] = "umount"; else um += dur($0) }
	/ (fsync|fdatasync|syncfs)\(/ {
		w = where($0)
		if (/<unfinished/) pend[$1] = w; else { sy[w] += dur($0); n[w]++ }
	}
	/ resumed>/ && ($1 in pend) && pend[$1] != "" {
		if (pend[$1] == "umount") um += dur($0); else if (/(fsync|fdatasync|syncfs) resumed/) { sy[pend[$1]] += dur($0); n[pend[$1]]++ }
		pend[$1] = ""
	}
	END {
		printf "cli\t%.4f\n", mon - t0
		printf "monitor\t%.4f\n", r0 - mon
		printf "run\t%.4f\n", tr1 - r0
		printf "runproc\t%.4f\n", r1 - r0
		printf "todelete\t%.4f\n", d0 - tr1
		printf "delete\t%.4f\n", d1 - d0
		printf "after\t%.4f\n", end - d1
		printf "umount\t%.4f\n", um
		printf "syncdisk\t%.4f\n", sy["disk"]
		printf "synctmpfs\t%.4f\n", sy["tmpfs"]
		printf "nsyncdisk\t%d\n", n["disk"]
		printf "nsynctmpfs\t%d\n", n["tmpfs"]
		printf "total\t%.4f\n", end - t0
	}' "$1"
}
declare -A PH
declare -A WR
declare -A FIX
if want 3; then
	log "part 3: $PRUNS traced runs of ocid container run --rm"
	for i in $(seq 1 "$PRUNS"); do
		strace -f --seccomp-bpf -y -s 64 -ttt -T -e trace=execve,umount2,fsync,fdatasync,syncfs -o "$WORK/trace" \
			"$OCID" --config "$WORK/ocid.toml" --root "$WORK/ocid" --runroot "$RUNTMP/ocid" --insecure-policy \
			container run --rm busybox:bench true </dev/null >"$WORK/out" 2>&1 || die "traced run failed: $(tail -3 "$WORK/out")"
		while IFS=$'\t' read -r k v; do PH[$k]="${PH[$k]:-} $v"; done < <(phases "$WORK/trace")
		cp "$WORK/trace" "$WORK/trace.$i"
	done
	# The same runs untraced, with the runc handler pointed at a wrapper
	# that times each runc command: ocid's own share = total - runc's.
	log "part 3: $PRUNS runs with runc timed by a wrapper"
	cat >"$WORK/bin/runc-timed" <<-EOF
		#!/bin/bash
		t0=\$EPOCHREALTIME
		$(command -v "$RUNC") "\$@"
		rc=\$?
		t1=\$EPOCHREALTIME
		sub=other
		for a; do case \$a in create | start | delete | kill | state | run | exec) sub=\$a; break ;; esac; done
		echo "\$sub \$t0 \$t1" >>"$WORK/runc-times"
		exit \$rc
	EOF
	chmod +x "$WORK/bin/runc-timed"
	cat >"$WORK/ocid-timed.toml" <<-EOF
		[runtime]
		cgroup_parent = "/$CG"
		[runtime.handlers.runc]
		path = "$WORK/bin/runc-timed"
	EOF
	for i in $(seq 1 "$PRUNS"); do
		: >"$WORK/runc-times"
		t0=$EPOCHREALTIME
		"$OCID" --config "$WORK/ocid-timed.toml" --root "$WORK/ocid" --runroot "$RUNTMP/ocid" --insecure-policy \
			container run --rm busybox:bench true </dev/null >"$WORK/out" 2>&1 || die "timed run failed: $(tail -3 "$WORK/out")"
		t1=$EPOCHREALTIME
		WR[total]="${WR[total]:-} $(elapsed "$t0" "$t1")"
		WR[runc]="${WR[runc]:-} $(awk '{ s += $3 - $2 } END { printf "%.4f", s }' "$WORK/runc-times")"
		WR[calls]="${WR[calls]:-} $(awk '{ printf "%s%s", sep, $1; sep = "," }' "$WORK/runc-times")"
		for sub in run delete; do
			WR[$sub]="${WR[$sub]:-} $(awk -v s="$sub" '$1 == s { d += $3 - $2 } END { printf "%.4f", d }' "$WORK/runc-times")"
		done
	done
	WR[calls]=$(tr ' ' '\n' <<<"${WR[calls]}" | grep . | sort | uniq -c | awk 'NF { printf "%s%s×%s", sep, $2, $1; sep = "; " }')

	log "part 3: fixed costs"
	for i in $(seq 1 "$RUNS"); do
		for what in version ps slim runc; do
			t0=$EPOCHREALTIME
			case $what in
			version) "$OCID" --version >/dev/null ;;
			ps) ocidc container ps -a >/dev/null ;;
			slim) "$WORK/bin/slimmonitor" >/dev/null 2>&1 || true ;;
			runc) "$RUNC" --version >/dev/null ;;
			esac
			t1=$EPOCHREALTIME
			FIX[$what]="${FIX[$what]:-} $(elapsed "$t0" "$t1")"
		done
	done
	INIT_ALLOC=$(GODEBUG=inittrace=1 "$OCID" --version 2>&1 >/dev/null | awk '/^init / { n++; c += $5; b += $8; a += $10 } END { printf "%d packages, %.2f ms, %d bytes in %d allocations", n, c, b, a }')
	INIT_TOP=$(GODEBUG=inittrace=1 "$OCID" --version 2>&1 >/dev/null | awk '/^init / { printf "%s\t%d\n", $2, $8 }' | sort -t$'\t' -k2 -n -r | head -6)
	SLIM_INIT=$(GODEBUG=inittrace=1 "$WORK/bin/slimmonitor" 2>&1 >/dev/null | awk '/^init / { n++; c += $5; b += $8; a += $10 } END { printf "%d packages, %.2f ms, %d bytes in %d allocations", n, c, b, a }')

	# The monitor inherits the environment of the ocid command that starts
	# it. (GOGC cannot be tried this way: the monitor sets its own GC
	# percent, 25, which replaces GOGC.)
	for v in GOMAXPROCS=1 GOMEMLIMIT=1MiB; do
		log "part 3: $NMON ocid monitors with $v"
		start_ocid_monitors "$v"
		wait_pids "$NMON" ocid_monitor_pids || die "expected $NMON ocid monitors"
		sleep "$SETTLE"
		mapfile -t pids < <(ocid_monitor_pids)
		measure_pids "ocid-$v" "${pids[@]}"
		remove_ocid_containers
	done
	# The heap after each GC: one monitor with GODEBUG=gctrace=1 (its
	# stderr is its monitor.log).
	log "part 3: one ocid monitor with GODEBUG=gctrace=1"
	id=$(GODEBUG=gctrace=1 "$OCID" --config "$WORK/ocid.toml" --root "$WORK/ocid" --runroot "$RUNTMP/ocid" --insecure-policy \
		container run -d --name gctrace busybox:bench sleep 1000 </dev/null)
	sleep "$SETTLE"
	GCTRACE_OCID=$(grep '^gc ' "$RUNTMP/ocid/runtime/$id/monitor.log" || true)
	remove_ocid_containers

	log "part 3: $NMON containers with bench/cmd/slimmonitor as their monitor"
	"$WORK/bin/monstart" -root "$WORK/ocid" -runroot "$RUNTMP/ocid" -cgroup-parent "/$CG" \
		-monitor "$WORK/bin/slimmonitor monitor" -n "$NMON" -name slim busybox:bench sleep 1000 >/dev/null
	slim_pids() {
		local f pid
		for f in "$RUNTMP"/ocid/runtime/*/monitor.pid; do
			[ -f "$f" ] || continue
			pid=$(cut -d' ' -f1 "$f")
			{ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q "^$WORK/bin/slimmonitor monitor " && echo "$pid"
		done
		return 0
	}
	wait_pids "$NMON" slim_pids || die "expected $NMON slim monitors"
	sleep "$SETTLE"
	mapfile -t pids < <(slim_pids)
	measure_pids slim "${pids[@]}"
	id=$(GODEBUG=gctrace=1 "$WORK/bin/monstart" -root "$WORK/ocid" -runroot "$RUNTMP/ocid" -cgroup-parent "/$CG" \
		-monitor "$WORK/bin/slimmonitor monitor" -n 1 -name slimgc busybox:bench sleep 1000)
	sleep "$SETTLE"
	GCTRACE_SLIM=$(grep '^gc ' "$RUNTMP/ocid/runtime/$id/monitor.log" || true)
	# shellcheck disable=SC2034
	BREAKDOWN_SLIM=$(mapping_breakdown "${pids[0]}")
	ids=$(ocidc container ps -a --format '{{.ID}}')
	# shellcheck disable=SC2086
	ocidc container rm -f $ids >/dev/null
	[ -z "$(slim_pids)" ] || die "slim monitors left after rm"
fi
if want 1 || want 2 || want 3; then leftovers; fi

# --- report -------------------------------------------------------------------------
bytes_of() { stat -c %s "$1"; }
echo
echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "cgroups: $(if [ -d /sys/fs/cgroup/memory ]; then echo "v1 (hybrid)"; else echo v2; fi); root file system $(findmnt -no FSTYPE -T "$WORK") ($WORK); runroots on tmpfs ($RUNTMP)"
echo "Tools: $("$OCID" --version) ($(go version "$OCID" 2>/dev/null | awk '{ print $2 }'), $(bytes_of "$OCID") bytes); $("$RUNC" --version | head -1) ($("$RUNC" --version | awk '/^go:/ { print $2 }'))"
if [ "$WITH_CRUN" = 1 ]; then echo "       $(crun --version | head -1)$(if [ -n "${RUNTIME_BENCH_NS:-}" ]; then echo "; every tool in a private mount namespace without the cgroup2 mount (hybrid host: crun 1.8 refuses it)"; fi)"; fi
if [ "$PODMAN_OK" = 1 ]; then echo "       $(podman --version), conmon $(conmon --version | awk 'NR == 1 { print $3 }')"; elif [ "$WITH_PODMAN" = 1 ]; then echo "       ${PODMAN_NOTE:-podman: not used}"; fi
if [ "$CTR_OK" = 1 ]; then echo "       containerd $("$CONTAINERD_BIN" --version | awk '{ print $3 }'), ctr, containerd-shim-runc-v2"; elif [ "$WITH_CTR" = 1 ]; then echo "       ${CTR_NOTE:-containerd: not used}"; fi
echo "Image: busybox $(/bin/busybox 2>&1 | head -1 | awk '{ print $2 }') (static, $(bytes_of /bin/busybox) bytes), one gzip layer $LAYER, config $CONFIG"
echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"

if want 1; then
	echo
	echo "## Part 1: container lifecycle latency (busybox true: create, start, wait, delete)"
	echo
	echo "$RUNS timed runs per tool, strictly alternating, after two untimed warm-ups each$(if [ "$GAP" != 0 ]; then echo ", each after $GAP s of quiet"; else echo ", back to back"; fi); wall time of:"
	echo
	for tool in $TOOLS; do echo "    $tool: ${CMD[$tool]}"; done
	echo
	echo "| tool | median (ms) | p90 (ms) | min (ms) | max (ms) | median / bare runc | median / runc with ocid's config.json | median / bare crun | runs |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	mc=""
	# shellcheck disable=SC2086
	if [ "$WITH_CRUN" = 1 ]; then mc=$(median ${P1[crun]}); fi
	# shellcheck disable=SC2086
	mr=$(median ${P1[runc]})
	# shellcheck disable=SC2086
	mo=$(median ${P1[runc-ocidspec]})
	for tool in $TOOLS; do
		# shellcheck disable=SC2086
		read -r m p lo hi < <(stats ${P1[$tool]})
		echo "| ${NAME[$tool]} | $(ms "$m") | $(ms "$p") | $(ms "$lo") | $(ms "$hi") | $(ratio "$m" "$mr") | $(ratio "$m" "$mo") | $(if [ -n "$mc" ]; then ratio "$m" "$mc"; else echo –; fi) | $RUNS |"
	done
	echo
	echo "All runs (ms):"
	for tool in $TOOLS; do
		echo "  $tool:$(for t in ${P1[$tool]}; do printf ' %s' "$(ms "$t")"; done)"
	done
fi

if want 2 || want 3; then
	echo
	echo "## Part 2: memory of the per-container monitor ($NMON containers running sleep 1000)"
	echo
	echo "Per process, from /proc/PID/smaps_rollup ${SETTLE} s after the last start; PSS shares each page among"
	echo "the processes mapping it (so the executable's pages are split $NMON ways). kB → MiB."
	echo
	echo "| monitor | processes | RSS median (MiB) | PSS median (MiB) | PSS max (MiB) | PSS anon median (MiB) | PSS file median (MiB) | total PSS (MiB) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	declare -A MNAME=([ocid]="ocid monitor" [ocid-GOMAXPROCS=1]="ocid monitor, GOMAXPROCS=1" [ocid-GOMEMLIMIT=1MiB]="ocid monitor, GOMEMLIMIT=1MiB" [slim]="bench/cmd/slimmonitor (same code, own binary)" [conmon]="conmon (podman)" [shim]="containerd-shim-runc-v2")
	for label in ocid ocid-GOMAXPROCS=1 ocid-GOMEMLIMIT=1MiB slim conmon shim; do
		[ -n "${MEM[$label,n]:-}" ] || continue
		read -r rm _ _ _ <<<"${MEM[$label,rss]}"
		read -r pm_ _ _ px <<<"${MEM[$label,pss]}"
		read -r am _ <<<"${MEM[$label,anon]}"
		read -r fm _ <<<"${MEM[$label,file]}"
		echo "| ${MNAME[$label]} | ${MEM[$label,n]} | $(mib "$rm") | $(mib "$pm_") | $(mib "$px") | $(mib "$am") | $(mib "$fm") | $(mib "${MEM[$label,total]}") |"
	done
	echo
	echo "Per process (kB: RSS PSS PSS_anon PSS_file):"
	for label in ocid ocid-GOMAXPROCS=1 ocid-GOMEMLIMIT=1MiB slim conmon shim; do
		[ -n "${MEM[$label,n]:-}" ] || continue
		echo "  $label: $(awk 'NF { printf "%s/%s/%s/%s ", $1, $2, $3, $4 }' <<<"${MEM[$label,rows]}")"
	done
	for label in OCID SLIM CONMON; do
		v=BREAKDOWN_$label
		[ -n "${!v:-}" ] || continue
		echo
		echo "One ${label,,} monitor by mapping (kB):"
		echo
		echo "| mapping | RSS | PSS |"
		echo "|---|---:|---:|"
		awk -F'\t' '{ printf "| %s | %d | %d |\n", $1, $2, $3 }' <<<"${!v}"
	done
	if [ -n "${THREADS_OCID:-}" ]; then echo; echo "Threads in an ocid monitor: $THREADS_OCID"; fi
	if [ -n "${GCTRACE_OCID:-}${GCTRACE_SLIM:-}" ]; then
		echo
		echo "GODEBUG=gctrace=1 (heap before → after → live MB, goal), ocid monitor:"
		awk '{ print "    " $0 }' <<<"${GCTRACE_OCID:-none}"
		echo "slimmonitor:"
		awk '{ print "    " $0 }' <<<"${GCTRACE_SLIM:-none (no GC ran)}"
	fi
fi

if want 3; then
	echo
	echo "## Part 3: where ocid's time goes"
	echo
	echo "strace -f --seccomp-bpf -y -s 64 -ttt -T -e trace=execve,umount2,fsync,fdatasync,syncfs of $PRUNS runs of"
	echo "ocid container run --rm busybox:bench true, cut at the execs (medians, ms; tracing adds a little):"
	echo
	echo "| phase (the first six add up to the total) | median (ms) | min | max |"
	echo "|---|---:|---:|---:|"
	declare -A PNAME=(
		[cli]="ocid CLI start → monitor exec (config, store, image, record)"
		[monitor]="monitor exec → runc run exec (overlay mount, spec; monitor reports, CLI attaches and starts)"
		[run]="runc run exec → true exits"
		[todelete]="true exits → runc delete exec (exit noticed, recorded)"
		[delete]="runc delete"
		[after]="delete done → ocid exits (umount, removal)"
		[total]="total (traced)"
		[runproc]="the runc run --detach process alone (create and start)"
		[umount]="umount2 of the rootfs"
		[syncdisk]="fsync/fdatasync on disk (time in the calls)"
		[synctmpfs]="fsync on the tmpfs runroot"
	)
	for k in cli monitor run todelete delete after total runproc umount syncdisk synctmpfs; do
		# shellcheck disable=SC2086
		read -r m _ lo hi < <(stats ${PH[$k]})
		echo "| ${PNAME[$k]} | $(ms "$m") | $(ms "$lo") | $(ms "$hi") |"
	done
	echo
	# shellcheck disable=SC2086 # space-separated numbers
	echo "fsync-family calls per run: $(median ${PH[nsyncdisk]} | cut -d. -f1) on disk, $(median ${PH[nsynctmpfs]} | cut -d. -f1) on the tmpfs"
	echo
	echo "The same command untraced, $PRUNS runs, with [runtime.handlers.runc] path = a bash wrapper that times each"
	echo "runc command (the wrapper adds its own start, about a millisecond per call, to the total):"
	echo
	echo "| | median (ms) | min | max |"
	echo "|---|---:|---:|---:|"
	for k in total runc run delete; do
		# shellcheck disable=SC2086
		read -r m _ lo hi < <(stats ${WR[$k]})
		case $k in
		total) label="ocid container run --rm (wall)" ;;
		runc) label="all runc commands together" ;;
		*) label="runc $k" ;;
		esac
		echo "| $label | $(ms "$m") | $(ms "$lo") | $(ms "$hi") |"
	done
	# shellcheck disable=SC2086
	own=$(paste -d' ' <(tr ' ' '\n' <<<"${WR[total]# }") <(tr ' ' '\n' <<<"${WR[runc]# }") | awk '{ print $1 - $2 }')
	# shellcheck disable=SC2086
	read -r m _ lo hi < <(stats $own)
	echo "| ocid's own share (wall − runc), per run | $(ms "$m") | $(ms "$lo") | $(ms "$hi") |"
	echo
	echo "runc commands over the $PRUNS runs: ${WR[calls]}"
	echo
	# shellcheck disable=SC2086
	echo "Process start and fixed costs ($RUNS runs each, median ms): ocid --version $(ms "$(median ${FIX[version]})"), ocid container ps -a $(ms "$(median ${FIX[ps]})"),"
	# shellcheck disable=SC2086
	echo "slimmonitor (usage error: start and exit) $(ms "$(median ${FIX[slim]})"), runc --version $(ms "$(median ${FIX[runc]})")"
	echo
	echo "Package initialisation (GODEBUG=inittrace=1): ocid $INIT_ALLOC; slimmonitor $SLIM_INIT"
	echo "Largest in ocid (bytes):"
	awk -F'\t' '{ printf "  %s %d\n", $1, $2 }' <<<"$INIT_TOP"
	echo
	echo "Binaries: ocid $(bytes_of "$OCID") bytes; slimmonitor $(bytes_of "$WORK/bin/slimmonitor") bytes (go build -trimpath -ldflags \"-s -w\")"
fi
END=$(date +%s%N)
echo
echo "Benchmark wall time: $(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') s"
