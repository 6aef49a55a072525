#!/bin/bash
# bench/copy.sh [RUNS] — times `ocid image copy` against `skopeo copy`.
#
# Builds (or reuses) the realistic image of bench/lib/realistic-image.sh,
# pushes it to a throwaway local registry, then for registry→oci and
# registry→dir runs the two tools RUNS times each (default 7), strictly
# alternating ocid, skopeo, ocid, skopeo…, each into a fresh, empty
# destination, and prints the median wall times and their ratio.
#
# Warm cache: nothing is dropped from the page cache (the registry's blobs
# stay cached after the push); one untimed warm-up run of each tool per
# scenario comes first. Between runs, outside the timing, the previous
# destination is removed and `sync` is run, so the write-back of one run
# does not land in the next one's time.
#
# Environment:
#   OCID_BENCH_CACHE   cache of realistic-image.sh (default /var/cache/ocid-bench)
#   BENCH_TMPDIR       where destinations and the registry live (default
#                      /var/tmp: a disk, not a tmpfs, so fsync costs what
#                      it costs on a node)
#   OCID               the ocid binary (default bin/ocid, built if missing)
#
# Exits non-zero if any copy fails. Cleans up (registry, temporary
# directories) on exit, also when interrupted.
set -eu
shopt -s inherit_errexit

RUNS=${1:-7}
case $RUNS in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS >= 1)" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${OCID_BENCH_CACHE:-/var/cache/ocid-bench}
export OCID_BENCH_CACHE=$CACHE
OCID=${OCID:-$ROOT/bin/ocid}
SKOPEO=${SKOPEO:-skopeo}
START=$(date +%s%N)
# Other work on the machine skews wall times: the report shows the load.
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log() { echo "copy.sh: $*" >&2; }

# shellcheck source=bench/lib/registry.sh
. "$ROOT/bench/lib/registry.sh"

WORK=""
cleanup() {
	registry_stop
	if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites --------------------------------------------------------
for tool in skopeo:skopeo docker-registry:docker-registry curl:curl ss:iproute2; do
	if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
		log "installing ${tool#*:}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${tool#*:}" >&2
	fi
done
if [ ! -x "$OCID" ]; then
	log "building ocid (make build)"
	make -C "$ROOT" build >&2
fi

IMAGE_DIR=$CACHE/images/realistic
"$ROOT/bench/lib/realistic-image.sh" "$IMAGE_DIR"
LAYOUT=$IMAGE_DIR/layout

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/ocid-bench-copy.XXXXXX")
mkdir -p "$WORK/tmp"
# Both tools put any temporary file under WORK, so cleanup finds it.
export TMPDIR=$WORK/tmp

registry_start "$WORK" >/dev/null
log "registry at $REGISTRY_HOST (pid $REGISTRY_PID)"
SRC=docker://$REGISTRY_HOST/bench/realistic:1
"$SKOPEO" --insecure-policy copy -q --dest-tls-verify=false "oci:$LAYOUT:realistic" "$SRC"

# --- one timed copy -------------------------------------------------------
# run_copy TOOL SCENARIO DEST: copies SRC to DEST (which must not exist),
# prints the wall time in seconds; on failure shows the tool's output and
# exits the script.
run_copy() {
	local tool=$1 scenario=$2 dest=$3 ref t0 t1 rc=0
	case $scenario in
	oci) ref=oci:$dest:realistic ;;
	dir) ref=dir:$dest ;;
	esac
	t0=$(date +%s%N)
	case $tool in
	ocid) "$OCID" --insecure-policy image copy -q --src-tls-verify=false "$SRC" "$ref" >"$WORK/out" 2>&1 || rc=$? ;;
	skopeo) "$SKOPEO" --insecure-policy copy -q --src-tls-verify=false "$SRC" "$ref" >"$WORK/out" 2>&1 || rc=$? ;;
	esac
	t1=$(date +%s%N)
	if [ "$rc" != 0 ]; then
		log "$tool copy to $ref failed (exit $rc):"
		cat "$WORK/out" >&2
		exit 1
	fi
	# A copy that "succeeds" without writing the image is a failure too.
	case $scenario in
	oci) [ -s "$dest/index.json" ] ;;
	dir) [ -s "$dest/manifest.json" ] ;;
	esac || { log "$tool wrote no manifest to $ref"; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

# fresh PATH: removes PATH and flushes pending write-back, outside timing.
fresh() {
	rm -rf "$1"
	sync
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

declare -A TIMES
for scenario in oci dir; do
	dest=$WORK/dest-$scenario
	log "registry→$scenario: warm-up (untimed)"
	for tool in ocid skopeo; do
		fresh "$dest"
		run_copy "$tool" "$scenario" "$dest" >/dev/null
	done
	for i in $(seq 1 "$RUNS"); do
		for tool in ocid skopeo; do
			fresh "$dest"
			t=$(run_copy "$tool" "$scenario" "$dest")
			TIMES[$tool,$scenario]="${TIMES[$tool,$scenario]:-} $t"
			log "registry→$scenario run $i/$RUNS $tool ${t}s"
		done
	done
	fresh "$dest"
done

# --- report ---------------------------------------------------------------
layers=$(wc -l <"$IMAGE_DIR/layers.tsv")
csize=$(awk -F'\t' '{ s += $3 } END { print s }' "$IMAGE_DIR/layers.tsv")
usize=$(awk -F'\t' '{ s += $5 } END { print s }' "$IMAGE_DIR/layers.tsv")
fstype=$(df --output=fstype "$WORK" | tail -n 1)

echo
echo "Image: $layers gzip layers, $csize bytes compressed ($((csize / 1000000)) MB), $usize bytes uncompressed ($((usize / 1000000)) MB)"
awk -F'\t' '{ printf "  %-6s %s  %10d bytes gz  %10d bytes tar\n", $1, substr($2, 1, 19), $3, $5 }' "$IMAGE_DIR/layers.tsv"
echo "Source: docker-registry $(docker-registry --version 2>/dev/null | awk '{ print $3 }') on $REGISTRY_HOST (plain HTTP, loopback)"
echo "Destination file system: $fstype ($WORK)"
echo "Tools: $("$OCID" --version), $("$SKOPEO" --version)"
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Runs: $RUNS per tool and scenario, strictly alternating, after one untimed warm-up each;"
echo "      warm page cache (nothing dropped), fresh empty destination and sync before each run."
echo
echo "| scenario | ocid median (s) | skopeo median (s) | ratio ocid/skopeo | runs |"
echo "|---|---:|---:|---:|---:|"
for scenario in oci dir; do
	# shellcheck disable=SC2086 # the lists are space-separated numbers
	mo=$(median ${TIMES[ocid,$scenario]})
	# shellcheck disable=SC2086
	ms=$(median ${TIMES[skopeo,$scenario]})
	ratio=$(awk -v a="$mo" -v b="$ms" 'BEGIN { printf "%.2f", a / b }')
	echo "| registry→$scenario | $mo | $ms | $ratio | $RUNS |"
done
echo
echo "All runs (s):"
for scenario in oci dir; do
	for tool in ocid skopeo; do
		echo "  registry→$scenario $tool:${TIMES[$tool,$scenario]}"
	done
done
END=$(date +%s%N)
echo
echo "Benchmark wall time: $(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') s"
