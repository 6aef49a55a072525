#!/bin/bash
# bench/cri.sh [RUNS] — ocid's CRI daemon against containerd 1.6 on the same
# machine, in the same run, with the same images (docs/performance.md, "CRI
# daemon: critest benchmarks and daemon memory").
#
#   1 critest -benchmark (cri-tools v1.37.0): its pod lifecycle, container
#     lifecycle, image pull/status/remove and image listing benchmarks with
#     CRITEST_N samples each, and its single "pod and container from
#     scratch" measurement; CRITEST_ROUNDS rounds in the order ocid,
#     containerd, containerd, ocid, … (ABBA, against drift in the machine's
#     load). critest writes the samples as JSON (--benchmarking-output-dir).
#   2 A crictl loop, RUNS times (default 30) after two untimed warm-ups, the
#     runtimes strictly alternating (the order rotates every iteration):
#       crictl runp POD.json                     pod sandbox start
#       crictl create POD CTR.json POD.json      a busybox `sleep 3600`
#       crictl start CTR
#       crictl exec -s CTR true                  ExecSync
#       crictl stop -t 10 CTR; crictl rm CTR; crictl stopp POD; crictl rmp POD
#       crictl version                           crictl's own cost (a process start, one RPC)
#     and, as the floor for create+start, bare runc with a bundle of the same
#     image (`runc spec`, args sleep 3600): `runc run -d` and `runc create` +
#     `runc start`, each followed by an untimed `runc delete -f`.
#     Wall time of each command (bash's EPOCHREALTIME around it); medians,
#     p90, ratios.
#   3 Memory, from /proc/PID/smaps_rollup (RSS and PSS): of each daemon idle
#     (after its start and one image pull, SETTLE s later), with PODS pods
#     each running one busybox `sleep` container, and idle again at the end;
#     the per-pod helpers are counted apart: ocid's ocid-monitor processes
#     (one per container, one per pause) and pause processes, containerd's
#     containerd-shim-runc-v2 (one per pod) and pause containers. The pods
#     are made twice: as crictl makes them (no namespace options: the PID
#     namespace is the pod's, so ocid runs a pause process) and with
#     namespace_options.pid = CONTAINER, kubelet's default (ocid: no pause).
#     Each state is measured twice: SETTLE s after the last change, and
#     again right after one round of the read-only requests a kubelet keeps
#     making (version, pods, ps -a, images, imagefsinfo, stats, statsp,
#     info): ocid unmaps memory when idle, and polling maps some back.
#
# The runtimes are those of test/critest/run.sh, reused as they are: it is
# started once per runtime with CRITEST_HOLD=1 (registries with the
# stand-in images, registries.conf mirrors, a CNI bridge network of its own,
# the runtime on a private socket, root and state), both at once, each with
# its own work directory, subnet, bridge, network name and cgroup parent,
# and its own cache copy, so that neither collides with a `make test`
# running test/critest/run.sh at the same time. The images are the
# harness's stand-ins: the container image is
# registry.k8s.io/e2e-test-images/busybox:1.29-2 (Debian's dynamic busybox
# and its libraries), critest's pull benchmark pulls
# gcr.io/k8s-staging-cri-tools/test-image-latest:latest (the same base
# layer plus one file) from a local registry; containerd's sandbox image is
# the harness's pause stand-in (a small static Go program, as is ocid's
# pause: ocid-monitor).
#
# Where things live:
#   DIR  (CRI_BENCH_DIR, default /var/tmp/ocid-bench-cri, a disk): the
#        ocid binaries this run uses (copied, so that a concurrent
#        `make build` changes nothing under a running daemon), the
#        harness's cache (critest, crictl, busybox seeded from
#        test/critest/.cache when there; images; registry storage), the
#        runc bundle, critest's JSON and logs
#   RUN  (CRI_BENCH_RUN, default /run/ocid-bench-cri): RUN/ocid and
#        RUN/containerd are the harness's CRITEST_WORK of each runtime
#        (root, state, sockets, netns, CNI state), RUN/runc runc's state
#   cgroups: /ocid-bench-cri/… in every hierarchy (ocid's default parent,
#        crictl's pods, runc); critest's containerd pods go to containerd's
#        default /k8s.io
#
# Environment:
#   OCID                      ocid binary (default bin/ocid, built with make build if missing;
#                             ocid-monitor is taken from next to it)
#   RUNC                      runc binary (default runc)
#   CRI_BENCH_PARTS           parts to run (default "1 2 3")
#   CRI_BENCH_CRITEST_N       samples per critest benchmark and round (default 20)
#   CRI_BENCH_CRITEST_ROUNDS  critest rounds per runtime (default 2)
#   CRI_BENCH_PODS            pods in part 3 (default 50)
#   CRI_BENCH_PIDNS           part 3's pod kinds, "pod container" (default both)
#   CRI_BENCH_SETTLE          seconds between the last start and a memory reading (default 10)
#   CRI_BENCH_DIR, CRI_BENCH_RUN  see above
#   CRI_BENCH_SUBNETS         the two pod subnets (default "10.89.78.0/24 10.89.79.0/24")
#   CRI_BENCH_KEEP=1          keep DIR/results (logs, critest's JSON); kept anyway on failure
#
# Root only. Exits non-zero if any step fails. Cleans up on exit, also when
# interrupted (a run killed with SIGKILL is cleaned up by the next one): the
# harness runs are stopped with SIGTERM and clean up after themselves (pods
# removed through the runtime, so that CNI releases their network; shims,
# monitors, registries; mounts, netns, nat rules, the bridge, ip_forward;
# their work directories); then runc's containers, the cgroups under
# /ocid-bench-cri, RUN and DIR. A check for leftovers ends the run.
set -eu
shopt -s inherit_errexit

RUNS=${1:-${CRI_BENCH_RUNS:-30}}
posint() { case $2 in '' | *[!0-9]* | 0) echo "$0: $1 must be a positive integer" >&2; exit 2 ;; esac; }
posint RUNS "$RUNS"
CRITEST_N=${CRI_BENCH_CRITEST_N:-20}
posint CRI_BENCH_CRITEST_N "$CRITEST_N"
ROUNDS=${CRI_BENCH_CRITEST_ROUNDS:-2}
posint CRI_BENCH_CRITEST_ROUNDS "$ROUNDS"
PODS=${CRI_BENCH_PODS:-50}
posint CRI_BENCH_PODS "$PODS"
SETTLE=${CRI_BENCH_SETTLE:-10}
case $SETTLE in '' | *[!0-9]*) echo "$0: CRI_BENCH_SETTLE must be a number of seconds" >&2; exit 2 ;; esac
PARTS=${CRI_BENCH_PARTS:-1 2 3}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
PIDNS=${CRI_BENCH_PIDNS:-pod container}
for k in $PIDNS; do case $k in pod | container) ;; *) echo "$0: CRI_BENCH_PIDNS: pod and/or container" >&2; exit 2 ;; esac; done
read -r SUBNET_OCID SUBNET_CTD <<<"${CRI_BENCH_SUBNETS:-10.89.78.0/24 10.89.79.0/24}"
DIR=${CRI_BENCH_DIR:-/var/tmp/ocid-bench-cri}
RUN=${CRI_BENCH_RUN:-/run/ocid-bench-cri}
for d in "$DIR" "$RUN"; do case $d in /?*/?*) ;; *) echo "$0: $d: want an absolute path two levels deep at least" >&2; exit 2 ;; esac; done
[ "$(id -u)" = 0 ] || { echo "$0: run as root (runtimes, mounts, cgroups, network)" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
HARNESS=$ROOT/test/critest/run.sh
OCID=${OCID:-$ROOT/bin/ocid}
RUNC=${RUNC:-runc}
CG=ocid-bench-cri # the cgroup of everything this run starts, in every hierarchy
RTS="ocid containerd"
IMAGE=registry.k8s.io/e2e-test-images/busybox:1.29-2
PULL_IMAGE=gcr.io/k8s-staging-cri-tools/test-image-latest:latest
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin
START=$EPOCHREALTIME
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A LOADS=()

log() { echo "cri.sh $(date +%T): $*" >&2; }
die() { log "error: $*"; exit 1; }

# One run at a time: a lock on this script itself (no lock file to leave
# behind). Every long-lived child closes fd 8, so a killed run leaves no
# lock held.
exec 8<"$0"
flock -n 8 || die "another bench/cri.sh run is in progress"

# --- cleanup ------------------------------------------------------------------

# hold_pids: the harness processes (test/critest/run.sh) of this or of an
# earlier, killed run, found by the CRITEST_WORK in their environment.
hold_pids() {
	local d args env
	for d in /proc/[0-9]*; do
		mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
		case " ${args[*]} " in *"critest/run.sh "*) ;; *) continue ;; esac
		mapfile -d '' -t env 2>/dev/null <"$d/environ" || continue
		case " ${env[*]} " in *" CRITEST_WORK=$RUN/"*) echo "${d#/proc/}" ;; esac
	done
	return 0
}
# work_of PID: the CRITEST_WORK of a harness process.
work_of() {
	local env e
	mapfile -d '' -t env 2>/dev/null <"/proc/$1/environ" || return 0
	for e in "${env[@]}"; do case $e in CRITEST_WORK=*) echo "${e#CRITEST_WORK=}" ;; esac; done
}
# stop_holds: SIGTERM to each harness run, which then removes its pods
# through the runtime and cleans up; waits for all (3 minutes at most).
# containerd's first: each run restores net.ipv4.ip_forward as it found it,
# so they must end in the reverse order of their start.
stop_holds() {
	local pids p n rt
	for rt in containerd ocid ''; do
		pids=$(hold_pids)
		[ -n "$pids" ] || return 0
		if [ -n "$rt" ]; then
			pids=$(for p in $pids; do [ "$(work_of "$p")" = "$RUN/$rt" ] && echo "$p"; done)
		fi
		[ -n "$pids" ] || continue
		log "stopping the harness (${rt:-any}; pid ${pids//$'\n'/ }); it cleans up"
		# shellcheck disable=SC2086 # pids
		kill -TERM $pids 2>/dev/null
		for n in $(seq 1 1800); do
			# shellcheck disable=SC2086
			kill -0 $pids 2>/dev/null || break
			sleep 0.1
		done
		# shellcheck disable=SC2086
		if kill -0 $pids 2>/dev/null; then log "the harness did not finish in 3 minutes; the next run will clean up"; return 1; fi
	done
}
# remove_cgroups: our cgroup tree, deepest first, in every hierarchy.
remove_cgroups() {
	local h
	for h in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/"$CG"; do
		[ -d "$h" ] || continue
		find "$h" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$h" ] && log "warning: cgroup $h could not be removed"
	done
	return 0
}
mounts_under() { awk -v t="$1/" 'index($2, t) == 1 { print $2 }' /proc/mounts; }
# runc_cleanup: the floor's containers (also those of a killed run).
runc_cleanup() {
	local id
	[ -d "$RUN/runc" ] || return 0
	for id in $("$RUNC" --root "$RUN/runc" list -q 2>/dev/null); do
		"$RUNC" --root "$RUN/runc" delete -f "$id" >/dev/null 2>&1
	done
	return 0
}
# leftovers: anything of ours still there, one line each (none: no output).
leftovers() {
	local d f args
	for d in /proc/[0-9]*; do
		[ "${d#/proc/}" = $$ ] && continue
		mapfile -d '' -t args 2>/dev/null <"$d/cmdline" || continue
		case " ${args[*]} " in *"$RUN/"* | *"$DIR/"*) echo "process ${d#/proc/}: ${args[*]}" ;; esac
	done
	mounts_under "$RUN" | sed 's/^/mount /'
	mounts_under "$DIR" | sed 's/^/mount /'
	for f in ocidbench0 ocidbench1; do ip link show "$f" >/dev/null 2>&1 && echo "bridge $f"; done
	iptables-save 2>/dev/null | grep -F 'name: \"ocid-bench-cri-' | sed 's/^/iptables /'
	for f in /sys/fs/cgroup/*/"$CG"; do [ -d "$f" ] && echo "cgroup $f"; done
	[ -e "$RUN" ] && echo "directory $RUN"
	return 0
}
cleanup() {
	local rc=$?
	set +e
	# Not to be cut short: the harness runs must be stopped once, and waited for.
	trap '' INT TERM HUP
	[ -n "${CRITEST_PID:-}" ] && kill -TERM "$CRITEST_PID" 2>/dev/null && wait "$CRITEST_PID" 2>/dev/null
	log "cleaning up"
	stop_holds
	runc_cleanup
	remove_cgroups
	if [ -n "$(mounts_under "$RUN")" ]; then
		log "warning: mounts left under $RUN; not removing it"
	else
		rm -rf --one-file-system "$RUN"
	fi
	if [ -d "$DIR" ]; then
		if [ "$rc" != 0 ] || [ "${CRI_BENCH_KEEP:-0}" = 1 ]; then
			[ -d "$DIR/cache/last-run" ] && cp -a "$DIR/cache/last-run" "$DIR/results/harness-last-run" 2>/dev/null
			find "$DIR" -mindepth 1 -maxdepth 1 ! -name results -exec rm -rf --one-file-system {} +
			log "logs and critest's JSON kept in $DIR/results"
		else
			rm -rf --one-file-system "$DIR"
		fi
	fi
	local left
	left=$(leftovers)
	if [ -n "$left" ]; then
		log "warning: left behind:"
		echo "$left" >&2
	else
		log "nothing left behind (processes, mounts, bridges, nat rules, cgroups, $RUN)"
	fi
	return "$rc"
}

# A run killed before (SIGKILL) may have left harness runs holding their
# runtimes, runc containers, cgroups and directories: clean them first (a
# harness run also cleans what a killed one left in its work directory).
if [ -n "$(hold_pids)" ] || [ -d "$RUN" ] || [ -d "$DIR" ]; then
	log "cleaning up what an earlier run left"
	stop_holds || die "could not stop an earlier run's harness"
	runc_cleanup
	remove_cgroups
	rm -rf --one-file-system "$DIR"
	# RUN/ocid and RUN/containerd are the harness's: it cleans them at start.
	rm -rf "${RUN:?}/runc" "$RUN"/*.json "$RUN"/crictl-*.yaml 2>/dev/null || true
fi
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM HUP

# --- prerequisites --------------------------------------------------------------
missing=""
for p in jq runc containerd iproute2 iptables util-linux; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	# shellcheck disable=SC2086 # package names
	apt-get install -y -q --no-install-recommends $missing >&2 || {
		apt-get update -q >&2
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >&2
	}
fi
command -v go >/dev/null || die "go is needed (the harness builds critest, crictl and its images)"
if [ ! -x "$OCID" ]; then
	log "building ocid (make build)"
	make -C "$ROOT" build >&2
fi

mkdir -p "$DIR/bin" "$DIR/results" "$DIR/tmp" "$RUN" "$RUN/runc"
export TMPDIR=$DIR/tmp
# The binaries of this run, copied: a `make build` elsewhere while the
# daemon runs must neither change what is measured nor fail on a busy file.
cp "$OCID" "$DIR/bin/ocid"
if [ -x "$(dirname "$OCID")/ocid-monitor" ]; then cp "$(dirname "$OCID")/ocid-monitor" "$DIR/bin/ocid-monitor"; fi
OCID_VERSION=$("$DIR/bin/ocid" --version)

# The harness's cache, private to this run (the harness rewrites its image
# layout and registry storage on each start; sharing them with a concurrent
# `make test` would race). critest, crictl and busybox are copied from the
# shared cache when it has them, which saves building them again.
CACHE=$DIR/cache
SHARED=$ROOT/test/critest/.cache
mkdir -p "$CACHE/bin"
if [ -x "$SHARED/bin/critest" ] && [ -x "$SHARED/bin/crictl" ] && [ -f "$SHARED/bin/tools.stamp" ]; then
	cp -a "$SHARED/bin/critest" "$SHARED/bin/crictl" "$SHARED/bin/tools.stamp" "$CACHE/bin/"
fi
if [ -x "$SHARED/busybox/bin/busybox" ]; then cp -a "$SHARED/busybox" "$CACHE/"; fi
CRICTL=$CACHE/bin/crictl
CRITEST=$CACHE/bin/critest

# --- the runtimes, through the harness ---------------------------------------------
declare -A HOLD SOCK CFG DPID
SOCK[ocid]=$RUN/ocid/ocid/ocid.sock
SOCK[containerd]=$RUN/containerd/containerd/containerd.sock

# start_hold RT SUBNET BRIDGE: test/critest/run.sh RT with CRITEST_HOLD=1, in
# a session of its own (a Ctrl-C here reaches only this script, whose
# cleanup stops the harness once), stdout and stderr to a log.
start_hold() {
	local rt=$1
	CRITEST_HOLD=1 CRITEST_WORK=$RUN/$rt CRITEST_CACHE=$CACHE CRITEST_SUBNET=$2 \
		CRITEST_BRIDGE=$3 CRITEST_NETWORK=ocid-bench-cri-$rt CRITEST_CGROUP_PARENT=/$CG/ocid \
		OCID=$DIR/bin/ocid CRITEST_RUNC=$(command -v "$RUNC") \
		setsid "$HARNESS" "$rt" </dev/null >"$DIR/results/harness-$rt.log" 2>&1 8>&- &
	HOLD[$rt]=$!
}
# wait_hold RT: until the harness says it holds the runtime (15 minutes at
# most: a first run builds critest and crictl).
wait_hold() {
	local rt=$1 n
	for n in $(seq 1 9000); do
		grep -q 'holding; try' "$DIR/results/harness-$rt.log" && break
		if ! kill -0 "${HOLD[$rt]}" 2>/dev/null; then
			tail -20 "$DIR/results/harness-$rt.log" >&2
			die "test/critest/run.sh $rt failed (log above)"
		fi
		sleep 0.1
	done
	[ "$n" -lt 9000 ] || die "test/critest/run.sh $rt did not get ready in 15 minutes"
	DPID[$rt]=$(cat "$RUN/$rt/pids/runtime")
	CFG[$rt]=$RUN/crictl-$rt.yaml
	cat >"${CFG[$rt]}" <<-EOF
		runtime-endpoint: unix://${SOCK[$rt]}
		image-endpoint: unix://${SOCK[$rt]}
		timeout: 120
	EOF
	log "$rt ready: daemon pid ${DPID[$rt]}, socket ${SOCK[$rt]}"
}
# One after the other: both harness runs write the same (deterministic)
# image layout into the cache at start.
log "starting ocid through test/critest/run.sh (CRITEST_HOLD=1)"
start_hold ocid "$SUBNET_OCID" ocidbench0
wait_hold ocid
log "starting containerd through test/critest/run.sh (CRITEST_HOLD=1)"
start_hold containerd "$SUBNET_CTD" ocidbench1
wait_hold containerd

cri() { # cri RT ARGS...: crictl against RT
	local rt=$1
	shift
	"$CRICTL" -c "${CFG[$rt]}" "$@"
}
for rt in $RTS; do cri "$rt" pull "$IMAGE" >/dev/null || die "$rt: pull of $IMAGE failed"; done

# --- measurement helpers ------------------------------------------------------------
# Times are integers in microseconds: EPOCHREALTIME has six decimals.
usec() { echo "${1/./}"; }
# stats LIST...: "median p90 min max" (p90 by nearest rank).
stats() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan nan"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		r = int(0.9 * NR); if (r < 0.9 * NR) r++; if (r < 1) r = 1
		printf "%.1f %.1f %.1f %.1f\n", m, a[r], a[1], a[NR] }'
}
median() { stats "$@" | cut -d' ' -f1; }
ms() { awk -v u="$1" 'BEGIN { if (u == "nan") print "–"; else printf "%.1f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b == "nan" || b == 0) print "–"; else printf "%.2f", a / b }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# le A B [FACTOR]: "yes" if A <= FACTOR*B.
le() { awk -v a="$1" -v b="$2" -v f="${3:-1}" 'BEGIN { if (a == "nan" || b == "nan") print "–"; else print (a <= f * b) ? "yes" : "**no**" }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# timed RT KEY ARGS...: crictl ARGS against RT, its wall time appended to
# T[RT,KEY] and left in LAST; its stdout in $DIR/tmp/out. Exits on failure.
declare -A T=()
LAST=0
timed() {
	local rt=$1 key=$2 t0 t1
	shift 2
	t0=$EPOCHREALTIME
	if ! "$CRICTL" -c "${CFG[$rt]}" "$@" </dev/null >"$DIR/tmp/out" 2>"$DIR/tmp/err"; then
		log "$rt: crictl $* failed:"
		cat "$DIR/tmp/err" >&2
		exit 1
	fi
	t1=$EPOCHREALTIME
	LAST=$(($(usec "$t1") - $(usec "$t0")))
	T[$rt,$key]="${T[$rt,$key]:-} $LAST"
}
add() { T[$1,$2]="${T[$1,$2]:-} $3"; } # add RT KEY USEC

# pod_json FILE RT NAME PIDMODE and ctr_json FILE PIDMODE: the pod and its
# sleep container. PIDMODE 0 is POD (the zero value: crictl's and critest's
# pods), 1 CONTAINER (kubelet's default). The log directory is made first,
# as the kubelet does.
pod_json() {
	mkdir -p "$RUN/$2/podlogs/$3"
	cat >"$1" <<-EOF
		{
		  "metadata": {"name": "$3", "uid": "uid-$3-$RANDOM$RANDOM", "namespace": "ocid-bench-cri", "attempt": 0},
		  "log_directory": "$RUN/$2/podlogs/$3",
		  "linux": {
		    "cgroup_parent": "/$CG/pods-$2",
		    "security_context": {"namespace_options": {"pid": $4}}
		  }
		}
	EOF
}
ctr_json() {
	cat >"$1" <<-EOF
		{
		  "metadata": {"name": "sleep", "attempt": 0},
		  "image": {"image": "$IMAGE"},
		  "command": ["sleep", "3600"],
		  "log_path": "sleep.log",
		  "linux": {"security_context": {"namespace_options": {"pid": $2}}}
		}
	EOF
}
ctr_json "$RUN/ctr-0.json" 0
ctr_json "$RUN/ctr-1.json" 1

# no_pods RT: checks that RT has no pod and no container left.
no_pods() {
	local n
	n=$(cri "$1" pods -q | wc -l)
	[ "$n" = 0 ] || die "$1: $n pods left"
	n=$(cri "$1" ps -aq | wc -l)
	[ "$n" = 0 ] || die "$1: $n containers left"
}

# --- memory ---------------------------------------------------------------------------
# rollup PID: "rss pss pss_anon" in kB.
rollup() {
	awk '$1 == "Rss:" { r = $2 } $1 == "Pss:" { p = $2 } $1 == "Pss_Anon:" { a = $2 } END { print r + 0, p + 0, a + 0 }' "/proc/$1/smaps_rollup"
}
# helpers RT: "pid kind" of RT's per-pod helper processes: kind monitor
# (ocid-monitor CONFIG, under ocid's run root) or shim
# (containerd-shim-runc-v2 naming our containerd's socket), and pause
# (comm pause, a child of one of those).
helpers() {
	local rt=$1 f p comm ppid args
	declare -A mine=()
	local pauses=()
	for f in /proc/[0-9]*/stat; do
		read -r p comm _ ppid _ 2>/dev/null <"$f" || continue
		case $rt,$comm in
		ocid,"(ocid-monitor)" | containerd,"(containerd-shim)")
			mapfile -d '' -t args 2>/dev/null <"/proc/$p/cmdline" || continue
			case " ${args[*]} " in *"$RUN/$rt/"*) mine[$p]=1 ;; esac
			;;
		*,"(pause)") pauses+=("$p:$ppid") ;;
		esac
	done
	for p in "${!mine[@]}"; do
		if [ "$rt" = ocid ]; then echo "$p monitor"; else echo "$p shim"; fi
	done
	for p in "${pauses[@]}"; do
		[ -n "${mine[${p#*:}]:-}" ] && echo "${p%%:*} pause"
	done
	return 0
}
# measure LABEL RT: the daemon's RSS/PSS and the helpers' PSS, in MEM[LABEL,RT,*].
declare -A MEM=()
measure() {
	local label=$1 rt=$2 r p a pid kind hp=0 hn=0 pp=0 pn=0
	read -r r p a < <(rollup "${DPID[$rt]}")
	MEM[$label,$rt,drss]=$r
	MEM[$label,$rt,dpss]=$p
	MEM[$label,$rt,danon]=$a
	while read -r pid kind; do
		[ -n "$pid" ] || continue
		read -r r p a < <(rollup "$pid" 2>/dev/null || echo "0 0 0")
		if [ "$kind" = pause ]; then
			pp=$((pp + p))
			pn=$((pn + 1))
		else
			hp=$((hp + p))
			hn=$((hn + 1))
		fi
	done < <(helpers "$rt")
	MEM[$label,$rt,hn]=$hn
	MEM[$label,$rt,hpss]=$hp
	MEM[$label,$rt,pn]=$pn
	MEM[$label,$rt,ppss]=$pp
	MEM[$label,$rt,total]=$((MEM[$label,$rt,dpss] + hp + pp))
	log "memory $label $rt: daemon RSS ${MEM[$label,$rt,drss]} kB PSS ${MEM[$label,$rt,dpss]} kB; $hn helpers ${hp} kB, $pn pause ${pp} kB PSS"
}

# poll RT: one round of the read-only requests a kubelet keeps making
# (PLEG relists every second, image and stats every few): a daemon that
# gives memory back when idle maps part of it again for these.
poll() {
	local c
	for c in version pods "ps -a" images imagefsinfo stats statsp info; do
		# shellcheck disable=SC2086 # c holds a command and its flags
		cri "$1" $c >/dev/null || die "$1: crictl $c failed"
	done
}
# measure_polled LABEL RT: measure LABEL, then again as LABEL+poll right
# after one polling round.
measure_polled() {
	measure "$1" "$2"
	poll "$2"
	measure "$1+poll" "$2"
}

# --- part 3a: idle memory -------------------------------------------------------------
if want 3; then
	log "part 3: idle memory, ${SETTLE}s after start and one pull"
	sleep "$SETTLE"
	for rt in $RTS; do measure_polled idle "$rt"; done
fi

# --- part 1: critest -benchmark --------------------------------------------------------
if want 1; then
	LOADS[1]=$(loadavg)
	cat >"$DIR/benchmark-params.yaml" <<-EOF
		containersNumber: $CRITEST_N
		containersNumberParallel: 1
		podsNumber: $CRITEST_N
		podsNumberParallel: 1
		imagesNumber: $CRITEST_N
		imagesNumberParallel: 1
		# The default images are on public.ecr.aws; this one is served by the
		# harness's registry for gcr.io. The listing benchmark lists whatever
		# is there and removes these afterwards.
		imagePullingBenchmarkImage: $PULL_IMAGE
		imageListingBenchmarkImages:
		  - $PULL_IMAGE
	EOF
	# critest in the background, so that a signal reaches the trap at once.
	run_critest() { # run_critest RT ROUND
		local rt=$1 out=$DIR/results/critest-$1-$2
		mkdir -p "$out"
		log "part 1: critest -benchmark against $rt, round $2/$ROUNDS ($CRITEST_N samples each)"
		"$CRITEST" --runtime-endpoint "unix://${SOCK[$rt]}" --image-endpoint "unix://${SOCK[$rt]}" \
			-benchmark --benchmarking-params-file "$DIR/benchmark-params.yaml" \
			--benchmarking-output-dir "$out" --ginkgo.no-color >"$out/critest.log" 2>&1 8>&- &
		CRITEST_PID=$!
		if ! wait "$CRITEST_PID"; then
			CRITEST_PID=
			tail -30 "$out/critest.log" >&2
			die "critest -benchmark failed against $rt (log above)"
		fi
		CRITEST_PID=
		no_pods "$rt"
	}
	for round in $(seq 1 "$ROUNDS"); do
		if [ $((round % 2)) = 1 ]; then order="ocid containerd"; else order="containerd ocid"; fi
		for rt in $order; do run_critest "$rt" "$round"; done
	done
fi

# critest_samples RT FILE JQ: one number (µs) per sample over all rounds;
# JQ maps a sample's array of durations (ns) to one duration.
critest_samples() {
	local f
	for f in "$DIR/results/critest-$1-"*/"$2"; do
		[ -f "$f" ] || continue
		jq -r ".datapoints[].operationsDurationsNs | $3 | . / 1000 | floor" "$f"
	done
}
# critest_scratch RT: critest's single "create PodSandbox and container"
# measurement of each round (µs), from its report entry in the log.
critest_scratch() {
	local f
	for f in "$DIR/results/critest-$1-"*/critest.log; do
		[ -f "$f" ] || continue
		awk -F'|' '/create PodSandbox and container \[duration\]/ {
			v = $3; gsub(/ /, "", v)
			if (v ~ /µs$/) { sub(/µs$/, "", v); print v + 0 }
			else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%d\n", v * 1000 }
			else if (v ~ /s$/) { sub(/s$/, "", v); printf "%d\n", v * 1000000 }
			exit }' "$f"
	done
}

# --- part 2: the crictl loop and the runc floor -----------------------------------
# The runc bundle: the busybox image's layers from the harness's OCI
# layout, `runc spec` with args sleep 3600 and a cgroup under ours.
make_bundle() {
	local b=$DIR/bundle manifest layer mt
	manifest=$(jq -r '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == "busybox") | .digest' "$CACHE/layout/index.json")
	[ -n "$manifest" ] || die "no busybox image in $CACHE/layout"
	mkdir -p "$b/rootfs"
	while read -r layer mt; do
		case $mt in
		*gzip) tar -xzf "$CACHE/layout/blobs/sha256/${layer#sha256:}" -C "$b/rootfs" ;;
		*) tar -xf "$CACHE/layout/blobs/sha256/${layer#sha256:}" -C "$b/rootfs" ;;
		esac
	done < <(jq -r '.layers[] | "\(.digest) \(.mediaType)"' "$CACHE/layout/blobs/sha256/${manifest#sha256:}")
	(cd "$b" && "$RUNC" spec)
	jq '.process.terminal = false | .process.args = ["sleep", "3600"]' "$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
}
# runc_step MODE N: `runc run -d` (MODE run) or `runc create` + `runc start`
# (MODE createstart) of the bundle, timed; then an untimed delete -f.
runc_step() {
	local mode=$1 id=bench-runc-$2 t0 t1 rc=0 b=$DIR/bundle
	jq --arg cg "/$CG/runc/$id" '.linux.cgroupsPath = $cg' "$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
	t0=$EPOCHREALTIME
	case $mode in
	run) "$RUNC" --root "$RUN/runc" run -d --bundle "$b" "$id" </dev/null >/dev/null 2>"$DIR/tmp/err" || rc=$? ;;
	createstart)
		{ "$RUNC" --root "$RUN/runc" create --bundle "$b" "$id" </dev/null >/dev/null 2>"$DIR/tmp/err" &&
			"$RUNC" --root "$RUN/runc" start "$id" </dev/null >/dev/null 2>>"$DIR/tmp/err"; } || rc=$?
		;;
	esac
	t1=$EPOCHREALTIME
	[ "$rc" = 0 ] || { cat "$DIR/tmp/err" >&2; die "runc $mode $id failed"; }
	"$RUNC" --root "$RUN/runc" delete -f "$id" >/dev/null 2>&1 || die "runc delete -f $id failed"
	add runc "$mode" $(($(usec "$t1") - $(usec "$t0")))
}
# cycle RT N: one pod through all steps.
cycle() {
	local rt=$1 name=bench-$2 pod cid
	pod_json "$RUN/pod.json" "$rt" "$name" 0
	timed "$rt" runp runp "$RUN/pod.json"
	read -r pod <"$DIR/tmp/out"
	timed "$rt" create create "$pod" "$RUN/ctr-0.json" "$RUN/pod.json"
	read -r cid <"$DIR/tmp/out"
	local c=$LAST
	timed "$rt" start start "$cid"
	add "$rt" createstart $((c + LAST))
	timed "$rt" exec exec -s "$cid" true
	timed "$rt" stop stop -t 10 "$cid"
	local s=$LAST
	timed "$rt" rm rm "$cid"
	s=$((s + LAST))
	timed "$rt" stopp stopp "$pod"
	s=$((s + LAST))
	timed "$rt" rmp rmp "$pod"
	add "$rt" teardown $((s + LAST))
	timed "$rt" version version
	rm -rf "$RUN/$rt/podlogs/$name"
}
if want 2; then
	LOADS[2]=$(loadavg)
	make_bundle
	log "part 2: warm-up (2 untimed cycles each)"
	for w in 1 2; do
		for rt in $RTS; do cycle "$rt" "w$w"; done
		runc_step run "w$w"
		runc_step createstart "w$w"
	done
	T=()
	for rt in $RTS; do no_pods "$rt"; done
	steps=(ocid containerd runc-run runc-createstart)
	for i in $(seq 1 "$RUNS"); do
		# Rotate the order each iteration.
		for j in 0 1 2 3; do
			s=${steps[$(((i + j) % 4))]}
			case $s in
			runc-run) runc_step run "$i" ;;
			runc-createstart) runc_step createstart "$i" ;;
			*) cycle "$s" "$i" ;;
			esac
		done
		if [ $((i % 10)) = 0 ] || [ "$i" = "$RUNS" ]; then log "part 2: $i/$RUNS cycles"; fi
	done
	for rt in $RTS; do no_pods "$rt"; done
	[ -z "$("$RUNC" --root "$RUN/runc" list -q)" ] || die "runc containers left"
fi

# --- part 3b: memory with PODS pods ---------------------------------------------------
# start_pods RT KIND: PODS pods, each with a running sleep container.
start_pods() {
	local rt=$1 kind=$2 pm=0 i pod cid t0
	[ "$kind" = container ] && pm=1
	t0=$EPOCHREALTIME
	for i in $(seq 1 "$PODS"); do
		pod_json "$RUN/pod.json" "$rt" "mem-$kind-$i" "$pm"
		pod=$(cri "$rt" runp "$RUN/pod.json") || die "$rt: runp failed"
		cid=$(cri "$rt" create "$pod" "$RUN/ctr-$pm.json" "$RUN/pod.json") || die "$rt: create failed"
		cri "$rt" start "$cid" >/dev/null || die "$rt: start failed"
	done
	MEM[$kind,$rt,startsecs]=$(awk -v a="$(usec "$t0")" -v b="$(usec "$EPOCHREALTIME")" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
}
remove_pods() {
	local rt=$1 t0
	t0=$EPOCHREALTIME
	cri "$rt" rmp -fa >/dev/null || die "$rt: rmp -fa failed"
	MEM[$2,$rt,rmsecs]=$(awk -v a="$(usec "$t0")" -v b="$(usec "$EPOCHREALTIME")" 'BEGIN { printf "%.1f", (b - a) / 1e6 }')
	no_pods "$rt"
	rm -rf "$RUN/$rt/podlogs"
}
if want 3; then
	LOADS[3]=$(loadavg)
	for kind in $PIDNS; do
		for rt in $RTS; do
			log "part 3: $PODS pods on $rt (PID namespace per $kind)"
			start_pods "$rt" "$kind"
			sleep "$SETTLE"
			measure_polled "$kind" "$rt"
			[ "${MEM[$kind,$rt,pn]}" -gt 0 ] || [ "$rt,$kind" = ocid,container ] || log "warning: no pause process found for $rt"
			remove_pods "$rt" "$kind"
		done
	done
	log "part 3: idle again, ${SETTLE}s after the last removal"
	sleep "$SETTLE"
	for rt in $RTS; do measure_polled after "$rt"; done
fi

# --- report -------------------------------------------------------------------------
containerd_version=$(containerd --version | awk '{ print $3 }')
echo
echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "cgroups: $(if [ -d /sys/fs/cgroup/memory ]; then echo "v1 (hybrid)"; else echo v2; fi); $RUN on $(findmnt -no FSTYPE -T "$RUN"), $DIR on $(findmnt -no FSTYPE -T "$DIR")"
echo "Runtimes: $OCID_VERSION ($(go version "$DIR/bin/ocid" 2>/dev/null | awk '{ print $2 }')); containerd $containerd_version ($(go version "$(command -v containerd)" 2>/dev/null | awk '{ print $2 }'))"
echo "          $("$RUNC" --version | head -1) ($("$RUNC" --version | awk '/^go:/ { print $2 }')); crictl and critest of cri-tools $(awk '{ for (i = 1; i < NF; i++) if ($i == "sigs.k8s.io/cri-tools") { print $(i + 1); exit } }' "$ROOT/test/critest/tools/go.mod")"
echo "Load average (1/5/15 min) at start: $LOAD_START; part 1: ${LOADS[1]:-–}; part 2: ${LOADS[2]:-–}; part 3: ${LOADS[3]:-–}; end: $(loadavg)"

# row LABEL OCID_SAMPLES CTD_SAMPLES: a table row, medians and p90 in ms.
row() {
	local label=$1 om op cm cp
	# shellcheck disable=SC2086 # lists of numbers
	read -r om op _ < <(stats $2)
	# shellcheck disable=SC2086
	read -r cm cp _ < <(stats $3)
	echo "| $label | $(ms "$om") | $(ms "$op") | $(ms "$cm") | $(ms "$cp") | $(ratio "$om" "$cm") | $(le "$om" "$cm") |"
}
HEAD="| step | ocid median (ms) | ocid p90 | containerd median (ms) | containerd p90 | ocid / containerd | ocid ≤ containerd |
|---|---:|---:|---:|---:|---:|---|"

if want 1; then
	echo
	echo "## Part 1: critest -benchmark ($CRITEST_N samples per benchmark and round, $ROUNDS rounds per runtime, ABBA)"
	echo
	echo "$HEAD"
	cs() { critest_samples "$1" "$2" "$3" | tr '\n' ' '; }
	for spec in \
		"RunPodSandbox (pod lifecycle)|pod_benchmark_data.json|.[0]" \
		"PodSandboxStatus|pod_benchmark_data.json|.[1]" \
		"StopPodSandbox|pod_benchmark_data.json|.[2]" \
		"RemovePodSandbox|pod_benchmark_data.json|.[3]" \
		"CreateContainer (ImageStatus + CreateContainer)|container_benchmark_data.json|.[0]" \
		"StartContainer|container_benchmark_data.json|.[1]" \
		"container create + start|container_benchmark_data.json|.[0] + .[1]" \
		"ContainerStatus|container_benchmark_data.json|.[2]" \
		"StopContainer (top, timeout 60 s)|container_benchmark_data.json|.[3]" \
		"RemoveContainer|container_benchmark_data.json|.[4]" \
		"PullImage (test-image-latest: base layer present)|image_lifecycle_benchmark_data.json|.[0]" \
		"ImageStatus|image_lifecycle_benchmark_data.json|.[1]" \
		"RemoveImage|image_lifecycle_benchmark_data.json|.[2]" \
		"ListImages|image_listing_benchmark_data.json|.[0]"; do
		IFS='|' read -r label file expr <<<"$spec"
		row "$label" "$(cs ocid "$file" "$expr")" "$(cs containerd "$file" "$expr")"
	done
	row "pod + container from scratch (one sample per round)" "$(critest_scratch ocid | tr '\n' ' ')" "$(critest_scratch containerd | tr '\n' ' ')"
fi

if want 2; then
	echo
	echo "## Part 2: crictl loop ($RUNS cycles per runtime after 2 warm-ups, alternating; wall time per crictl command)"
	echo
	echo "$HEAD"
	declare -A LABEL=(
		[runp]="runp (pod sandbox start)" [create]="create" [start]="start" [createstart]="container create + start"
		[exec]="exec -s true (ExecSync)" [stop]="stop -t 10" [rm]="rm" [stopp]="stopp" [rmp]="rmp"
		[teardown]="stop + rm + stopp + rmp" [version]="crictl version (client start + one RPC)"
	)
	for k in runp create start createstart exec stop rm stopp rmp teardown version; do
		row "${LABEL[$k]}" "${T[ocid,$k]}" "${T[containerd,$k]}"
	done
	echo
	echo "Container create + start against bare runc (same image, \`runc spec\` bundle, sleep 3600):"
	echo
	echo "| | median (ms) | p90 (ms) | / runc run -d | ≤ 1.3 × runc run -d |"
	echo "|---|---:|---:|---:|---|"
	# shellcheck disable=SC2086
	read -r rr rp _ < <(stats ${T[runc,run]})
	# shellcheck disable=SC2086
	read -r rc rcp _ < <(stats ${T[runc,createstart]})
	for rt in $RTS; do
		# shellcheck disable=SC2086
		read -r m p _ < <(stats ${T[$rt,createstart]})
		echo "| $rt: crictl create + crictl start | $(ms "$m") | $(ms "$p") | $(ratio "$m" "$rr") | $(le "$m" "$rr" 1.3) |"
	done
	if want 1; then
		for rt in $RTS; do
			# shellcheck disable=SC2046
			read -r m p _ < <(stats $(critest_samples "$rt" container_benchmark_data.json '.[0] + .[1]'))
			echo "| $rt: critest CreateContainer + StartContainer (gRPC, no process start) | $(ms "$m") | $(ms "$p") | $(ratio "$m" "$rr") | $(le "$m" "$rr" 1.3) |"
		done
	fi
	echo "| runc run -d | $(ms "$rr") | $(ms "$rp") | 1.00 | |"
	echo "| runc create + runc start | $(ms "$rc") | $(ms "$rcp") | $(ratio "$rc" "$rr") | |"
	echo
	echo "All cycles (ms):"
	for k in runp createstart exec teardown; do
		for rt in $RTS; do
			echo "  $rt $k:$(for t in ${T[$rt,$k]}; do printf ' %s' "$(ms "$t")"; done)"
		done
	done
	for k in run createstart; do echo "  runc $k:$(for t in ${T[runc,$k]}; do printf ' %s' "$(ms "$t")"; done)"; done
fi

if want 3; then
	echo
	echo "## Part 3: memory (MiB; RSS and PSS from /proc/PID/smaps_rollup, ${SETTLE} s after the last start)"
	echo
	echo "helpers: ocid-monitor (ocid: one per container and one per pause) or containerd-shim-runc-v2 (one per pod);"
	echo "pause: ocid's pause process (ocid-monitor pause) or containerd's pause container (the harness's stand-in)."
	echo
	echo "| state | runtime | daemon RSS | daemon PSS | daemon PSS anon | helpers | helpers PSS | pause | pause PSS | total PSS |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
	declare -A SNAME=([idle]="idle (start + one pull)" [pod]="$PODS pods, PID namespace per pod" [container]="$PODS pods, PID namespace per container" [after]="idle again, after the run")
	for l in idle $PIDNS after; do SNAME[$l+poll]="${SNAME[$l]}, right after one kubelet-like polling round"; done
	LABELS=""
	for l in idle $PIDNS after; do LABELS+=" $l $l+poll"; done
	for label in $LABELS; do
		for rt in $RTS; do
			[ -n "${MEM[$label,$rt,drss]:-}" ] || continue
			echo "| ${SNAME[$label]} | $rt | $(mib "${MEM[$label,$rt,drss]}") | $(mib "${MEM[$label,$rt,dpss]}") | $(mib "${MEM[$label,$rt,danon]}") | ${MEM[$label,$rt,hn]} | $(mib "${MEM[$label,$rt,hpss]}") | ${MEM[$label,$rt,pn]} | $(mib "${MEM[$label,$rt,ppss]}") | $(mib "${MEM[$label,$rt,total]}") |"
		done
	done
	echo
	echo "| state | daemon RSS ocid / containerd | ≤ 0.5 | daemon PSS ocid / containerd | total PSS ocid / containerd | per pod, ocid (MiB PSS) | per pod, containerd |"
	echo "|---|---:|---|---:|---:|---:|---:|"
	for label in $LABELS; do
		if [ -z "${MEM[$label,ocid,drss]:-}" ] || [ -z "${MEM[$label,containerd,drss]:-}" ]; then continue; fi
		pp_o="" pp_c=""
		base=idle
		case $label in *+poll) base=idle+poll ;; esac
		if [ "${label%+poll}" = pod ] || [ "${label%+poll}" = container ]; then
			pp_o=$(awk -v a="${MEM[$label,ocid,total]}" -v b="${MEM[$base,ocid,total]}" -v n="$PODS" 'BEGIN { printf "%.2f", (a - b) / n / 1024 }')
			pp_c=$(awk -v a="${MEM[$label,containerd,total]}" -v b="${MEM[$base,containerd,total]}" -v n="$PODS" 'BEGIN { printf "%.2f", (a - b) / n / 1024 }')
		fi
		echo "| ${SNAME[$label]} | $(ratio "${MEM[$label,ocid,drss]}" "${MEM[$label,containerd,drss]}") | $(le "${MEM[$label,ocid,drss]}" "${MEM[$label,containerd,drss]}" 0.5) | $(ratio "${MEM[$label,ocid,dpss]}" "${MEM[$label,containerd,dpss]}") | $(ratio "${MEM[$label,ocid,total]}" "${MEM[$label,containerd,total]}") | ${pp_o:-} | ${pp_c:-} |"
	done
	echo
	for kind in $PIDNS; do
		for rt in $RTS; do
			[ -n "${MEM[$kind,$rt,startsecs]:-}" ] && echo "$rt, $PODS pods (PID namespace per $kind): started (runp, create, start, one after the other) in ${MEM[$kind,$rt,startsecs]} s, removed (rmp -fa) in ${MEM[$kind,$rt,rmsecs]} s"
		done
	done
fi
echo
echo "Benchmark wall time: $(awk -v a="$(usec "$START")" -v b="$(usec "$EPOCHREALTIME")" 'BEGIN { printf "%.0f", (b - a) / 1e6 }') s (before the cleanup)"
