#!/bin/bash
# bench/store.sh [RUNS] — ocid's image store against layer stores.
#
# Three parts, each printed as a table (docs/performance.md, "Image store"):
#
#   1 Pull + unpack: the realistic image (bench/lib/realistic-image.sh) from
#     a local registry into a fresh store, RUNS times (default 7) after one
#     untimed warm-up, strictly alternating
#       ocid image pull                 (ocid's file-level store)
#       skopeo copy … containers-storage:[overlay@GRAPH+RUN]…   (c/storage)
#       ctr image pull --plain-http     (a private containerd, overlayfs)
#     Each run gets a new, initialised, empty store on a new ext4 file
#     system (see STORE_BENCH_FS; made and removed outside the timing, then
#     `sync`); warm page cache (the registry's blobs stay cached), as in
#     bench/copy.sh. Medians, ratios to skopeo.
#   2 Ten images sharing a JRE: ten variants of the realistic image built
#     with `--salt 1..10` (every layer digest differs, the files are the
#     same; checked below), pulled into one store of each kind: bytes on
#     disk (du, hardlinks counted once) after the first and after all ten.
#   3 Page cache: after part 2, for ocid and for containers-storage: mount
#     the ten images, sync, drop caches, read every file under
#     usr/lib/jvm through each image's mount, then count with mincore(2)
#     (bench/cmd/mincore) how many bytes of the JRE files are resident,
#     each inode once, against one image's JRE.
#
# Environment:
#   OCID                 ocid binary (default bin/ocid, built if missing)
#   SKOPEO               skopeo binary (default skopeo)
#   OCID_BENCH_CACHE     cache of realistic-image.sh (default /var/cache/ocid-bench)
#   BENCH_TMPDIR         work directory's parent: registry, temporary files,
#                        the stores' file systems (default /var/tmp: a disk,
#                        not a tmpfs)
#   STORE_BENCH_PARTS    parts to run (default "1 2 3"; 3 needs 2's stores,
#                        so "3" also does part 2's pulls)
#   STORE_BENCH_IMAGES   number of variants in parts 2-3 (default 10)
#   STORE_BENCH_CONTAINERD  0 to leave containerd out
#   STORE_BENCH_FS       loop (default): every store on a new ext4 file system
#                        (sparse file, direct-I/O loop device), so no run sees
#                        what an earlier one deleted; dir: plain directories
#                        under BENCH_TMPDIR, each removed after its run. (On
#                        an ext4 without a journal, inodes deleted in the last
#                        5 minutes are skipped, slowly, when new ones are
#                        allocated: back-to-back runs in dir mode then measure
#                        that too; see docs/performance.md.)
#
# Root only (mounts, loop devices, drop_caches). Exits non-zero if any pull fails.
# Cleans up on exit, also when interrupted: every mount under its work
# directory (ocid image mounts, containers-storage's overlay mounts and its
# home's bind mount, containerd's, the stores' file systems) and their loop
# devices, the registry, the private containerd, the work directory.
set -eu
shopt -s inherit_errexit

RUNS=${1:-7}
case $RUNS in '' | *[!0-9]* | 0) echo "usage: $0 [RUNS]  (RUNS >= 1)" >&2; exit 2 ;; esac
NIMG=${STORE_BENCH_IMAGES:-10}
case $NIMG in '' | *[!0-9]* | 0 | 1) echo "STORE_BENCH_IMAGES must be >= 2" >&2; exit 2 ;; esac
PARTS=${STORE_BENCH_PARTS:-1 2 3}
want() { case " $PARTS " in *" $1 "*) return 0 ;; esac; [ "$1" = 2 ] && want 3; }
[ "$(id -u)" = 0 ] || { echo "$0: run as root (mounts, drop_caches)" >&2; exit 2; }

ROOT=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${OCID_BENCH_CACHE:-/var/cache/ocid-bench}
export OCID_BENCH_CACHE=$CACHE
OCID=${OCID:-$ROOT/bin/ocid}
export SKOPEO=${SKOPEO:-skopeo}
WITH_CTR=${STORE_BENCH_CONTAINERD:-1}
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin
START=$(date +%s%N)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)

log() { echo "store.sh: $*" >&2; }
die() { log "$*"; exit 1; }

# shellcheck source=bench/lib/registry.sh
. "$ROOT/bench/lib/registry.sh"
# shellcheck source=bench/lib/containerd.sh
. "$ROOT/bench/lib/containerd.sh"
# shellcheck source=bench/lib/cstorage.sh
. "$ROOT/bench/lib/cstorage.sh"

WORK=""
CS_CHECKS=""
# unmount_under DIR: every mount below DIR, deepest first.
unmount_under() {
	awk -v t="$1/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" || true; done
}
cleanup() {
	set +e
	# containerd first: its store is on a file system under WORK.
	containerd_stop
	registry_stop
	if [ -n "$WORK" ]; then
		unmount_under "$WORK"
		# Loop devices still backed by our image files (only those: a
		# device detached earlier may belong to someone else by now).
		for img in "$WORK"/img/fs.*; do
			[ -f "$img" ] || continue
			losetup -nO NAME -j "$img" | while read -r dev; do losetup -d "$dev" || true; done
		done
		rm -rf --one-file-system "$WORK"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- prerequisites --------------------------------------------------------
for tool in skopeo:skopeo docker-registry:docker-registry curl:curl ss:iproute2 jq:jq; do
	if ! command -v "${tool%%:*}" >/dev/null 2>&1; then
		log "installing ${tool#*:}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${tool#*:}" >&2
	fi
done
if [ "$WITH_CTR" = 1 ] && { [ ! -x "$CONTAINERD_BIN" ] || [ ! -x "$CTR_BIN" ]; }; then
	# Debian's package ships only a systemd unit: installing it starts no
	# daemon on a machine without systemd; on one with systemd it would, so
	# say so rather than hide it.
	log "installing containerd (the system service it enables is not used here)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends containerd >&2 ||
		{ log "containerd could not be installed; leaving it out"; WITH_CTR=0; }
fi
grep -qw overlay /proc/filesystems || modprobe overlay 2>/dev/null || true
grep -qw overlay /proc/filesystems || die "no overlayfs in this kernel: containers-storage's overlay driver cannot work"
if [ ! -x "$OCID" ]; then
	log "building ocid (make build)"
	make -C "$ROOT" build >&2
fi
command -v go >/dev/null || die "go is needed for bench/cmd/mincore"

WORK=$(mktemp -d "${BENCH_TMPDIR:-/var/tmp}/ocid-bench-store.XXXXXX")
mkdir -p "$WORK/tmp" "$WORK/mnt"
# Every tool puts its temporary files under WORK, so cleanup finds them.
export TMPDIR=$WORK/tmp
log "work directory $WORK"

log "building bench/cmd/mincore"
(cd "$ROOT" && go build -o "$WORK/mincore" ./bench/cmd/mincore)
MINCORE=$WORK/mincore

# --- images -----------------------------------------------------------------
IMAGES=$CACHE/images
if want 1; then
	"$ROOT/bench/lib/realistic-image.sh" "$IMAGES/realistic"
fi
if want 2; then
	for i in $(seq 1 "$NIMG"); do
		[ -f "$IMAGES/salt-$i/.complete" ] || log "building variant $i of $NIMG (--salt $i; about 40 s, cached afterwards)"
		"$ROOT/bench/lib/realistic-image.sh" "$IMAGES/salt-$i" --salt "$i"
	done
	# The unsalted image is the reference for the check below.
	"$ROOT/bench/lib/realistic-image.sh" "$IMAGES/realistic"
fi

# check_variants: every layer digest of the variants differs, and each
# salted layer is the unsalted layer's tar plus one small salt file: the
# uncompressed streams agree byte for byte up to the unsalted tar's
# end-of-archive marker, so every file (content, mode, owner, mtime,
# xattrs) is the same in every variant. The result is cached per variant.
check_variants() {
	local n dups i name dg ref blob salted eoa diff key
	n=$(for i in $(seq 1 "$NIMG"); do cat "$IMAGES/salt-$i/layers.tsv"; done | wc -l)
	dups=$(for i in $(seq 1 "$NIMG"); do cut -f2 "$IMAGES/salt-$i/layers.tsv"; done | sort | uniq -d | wc -l)
	[ "$dups" = 0 ] || die "variants share $dups layer digests: expected every layer to differ"
	declare -A entries=() ends=()
	for i in $(seq 1 "$NIMG"); do
		key=$(cat "$IMAGES/realistic/layers.tsv" "$IMAGES/salt-$i/layers.tsv" | sha256sum | cut -d' ' -f1)
		if [ "$(cat "$IMAGES/salt-$i/.checked" 2>/dev/null)" = "$key" ]; then continue; fi
		log "checking variant $i: the unsalted image's files, byte for byte, plus one salt file per layer"
		while IFS=$'\t' read -r name dg _; do
			ref=$(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$IMAGES/realistic/layers.tsv")
			blob=$IMAGES/realistic/layout/blobs/sha256/${ref#sha256:}
			salted=$IMAGES/salt-$i/layout/blobs/sha256/${dg#sha256:}
			# GNU tar -R ends with "block N: ** Block of NULs **": where the
			# unsalted tar's entries end.
			[ -n "${ends[$name]:-}" ] ||
				ends[$name]=$(tar -tzRf "$blob" | awk '/\*\* Block of NULs \*\*/ { b = $2 + 0 } END { print b * 512 }')
			eoa=${ends[$name]}
			[ -n "${entries[$name]:-}" ] || entries[$name]=$(tar -tzf "$blob" | wc -l)
			# cmp: "... differ: byte B, line L", B counted from 1.
			diff=$(cmp <(zcat "$blob") <(zcat "$salted") 2>/dev/null | sed -n 's/.* byte \([0-9]*\),.*/\1/p' || true)
			if [ -z "$diff" ] || [ "$diff" -le "$eoa" ]; then
				die "variant $i layer $name differs from the unsalted one at byte ${diff:-?} (its entries end at $eoa)"
			fi
			# …and what follows is exactly one entry, the salt file.
			if [ "$(tar -tzf "$salted" | wc -l)" != $((entries[$name] + 1)) ] ||
				! tar -tzf "$salted" | tail -n 1 | grep -q ocid-bench-salt; then
				die "variant $i layer $name has more than a salt file added"
			fi
		done <"$IMAGES/salt-$i/layers.tsv"
		echo "$key" >"$IMAGES/salt-$i/.checked"
	done
	log "variants: $n layers, all digests distinct; every file identical across variants but the salt files"
}
if want 2; then check_variants; fi

# --- registry ---------------------------------------------------------------
registry_start "$WORK" >/dev/null
HOST=$REGISTRY_HOST
log "registry at $HOST (pid $REGISTRY_PID)"
cat >"$WORK/registries.conf" <<EOF
unqualified-search-registries = []
[[registry]]
location = "$HOST"
insecure = true
EOF
# An empty configuration file: ocid's built-in defaults, whatever
# /etc/ocid/ocid.toml says on this machine.
: >"$WORK/ocid.toml"
push() { # push LAYOUT REPO
	"$SKOPEO" --insecure-policy copy -q --dest-tls-verify=false "oci:$1:realistic" "docker://$HOST/$2"
}
if want 1; then push "$IMAGES/realistic/layout" bench/realistic:1; fi
if want 2; then
	log "pushing $NIMG variants"
	for i in $(seq 1 "$NIMG"); do push "$IMAGES/salt-$i/layout" "bench/app-$i:1"; done
fi

# --- the three tools ----------------------------------------------------------
ocidc() { # ocidc STOREDIR ARGS...: ocid on the store STOREDIR/{root,run}
	local d=$1
	shift
	"$OCID" --config "$WORK/ocid.toml" --root "$d/root" --runroot "$d/run" \
		--registries-conf "$WORK/registries.conf" --insecure-policy "$@"
}
ctrc() { "$CTR_BIN" -a "$CONTAINERD_SOCK" -n bench "$@"; }

# Where a store lives. loop (default): each store gets a new ext4 file
# system of its own (mkfs.ext4 defaults, so with a journal) on a sparse
# file under WORK, attached with a direct-I/O loop device (no second copy
# in the page cache); nothing one run deleted can affect the next. dir:
# a plain directory under BENCH_TMPDIR, removed after the run.
FSMODE=${STORE_BENCH_FS:-loop}
case $FSMODE in loop | dir) ;; *) die "STORE_BENCH_FS must be loop or dir" ;; esac
# fs_new DIR SIZE: a fresh file system mounted at DIR (loop mode).
fs_new() {
	local img dev
	mkdir -p "$WORK/img" "$1"
	img=$(mktemp "$WORK/img/fs.XXXXXX")
	truncate -s "$2" "$img"
	# Inode tables and journal written now (they are sparse-file zero
	# ranges, so this is instant): no lazy init in the background later.
	mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0,nodiscard "$img"
	dev=$(losetup -f --show --direct-io=on "$img")
	printf '%s\t%s\t%s\n' "$dev" "$1" "$img" >>"$WORK/loops"
	mount "$dev" "$1"
}
# fs_drop DIR: unmounts DIR's file system, detaches and deletes it.
fs_drop() {
	local dev img
	unmount_under "$1"
	umount "$1" 2>/dev/null || umount -l "$1"
	read -r dev img < <(awk -F'\t' -v d="$1" '$2 == d { print $1, $3 }' "$WORK/loops" | tail -n 1)
	# Detach only if the device is still ours.
	if losetup -nO NAME -j "$img" | grep -qxF "$dev"; then losetup -d "$dev"; fi
	rm -f "$img"
	rmdir "$1"
}
# store_new TOOL DIR SIZE: a new, initialised, empty store in DIR.
store_new() {
	if [ "$FSMODE" = loop ]; then fs_new "$2" "$3"; else rm -rf "$2"; mkdir -p "$2"; fi
	case $1 in
	ocid) ocidc "$2" image ls >/dev/null ;;
	skopeo)
		cs_init "$2/cs"
		cs_prepare
		# The overlay driver's checks of this file system, for the report.
		CS_CHECKS=$(find "$CS_RUN/overlay" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null || true)
		;;
	ctr) containerd_start "$2" ;;
	esac
}
# store_drop TOOL DIR: stops/unmounts what the store has, removes it.
store_drop() {
	case $1 in
	ocid) unmount_under "$2" ;;
	skopeo) cs_destroy ;;
	ctr) containerd_stop ;;
	esac
	if [ "$FSMODE" = loop ]; then fs_drop "$2"; else rm -rf --one-file-system "$2"; fi
}
# store_bytes TOOL DIR: bytes on disk of the store, each inode once.
store_bytes() {
	sync
	case $1 in
	ocid) du -s --block-size=1 "$2/root" | cut -f1 ;;
	skopeo) du -s --block-size=1 "$CS_GRAPH" | cut -f1 ;;
	ctr) du -s --block-size=1 "$CONTAINERD_ROOT" | cut -f1 ;;
	esac
}

# pull TOOL DIR REPO: pulls HOST/REPO into the store, prints the wall time
# in seconds; checks the image is there; on failure shows the output and
# exits the script.
pull() {
	local tool=$1 d=$2 ref=$HOST/$3 t0 t1 rc=0
	t0=$(date +%s%N)
	case $tool in
	ocid) ocidc "$d" image pull -q "$ref" >"$WORK/out" 2>&1 || rc=$? ;;
	skopeo) cs_skopeo --insecure-policy --tmpdir "$TMPDIR" --registries-conf "$WORK/registries.conf" copy -q --src-tls-verify=false \
		"docker://$ref" "$(cs_ref "$ref")" >"$WORK/out" 2>&1 || rc=$? ;;
	ctr) ctrc image pull --plain-http "$ref" >"$WORK/out" 2>&1 || rc=$? ;;
	esac
	t1=$(date +%s%N)
	if [ "$rc" != 0 ]; then
		log "$tool pull of $ref failed (exit $rc):"
		tail -20 "$WORK/out" >&2
		exit 1
	fi
	# A pull that "succeeds" without storing the unpacked image fails too.
	case $tool in
	ocid) ocidc "$d" image ls --format json | jq -e --arg n "$ref" 'any(.[]; (.names // []) | index($n))' >/dev/null ;;
	skopeo) [ -d "$CS_GRAPH/overlay/$(cs_layer_of "$ref")/diff" ] ;;
	ctr) ctrc image ls -q | grep -qxF "$ref" && [ "$(ctrc snapshot ls | tail -n +2 | wc -l)" -ge 4 ] ;;
	esac || { log "$tool: $ref is not in the store after the pull"; exit 1; }
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}

median() {
	printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

TOOLS="ocid skopeo"
if [ "$WITH_CTR" = 1 ]; then TOOLS="$TOOLS ctr"; fi
declare -A CMD=(
	[ocid]="ocid --root R --runroot RR --registries-conf F --insecure-policy image pull -q HOST/REPO:TAG"
	[skopeo]="skopeo --insecure-policy --tmpdir WORK/tmp --registries-conf F copy -q --src-tls-verify=false docker://HOST/REPO:TAG containers-storage:[overlay@GRAPH+RUN]HOST/REPO:TAG"
	[ctr]="ctr -a SOCK -n bench image pull --plain-http HOST/REPO:TAG"
)
declare -A NAME=([ocid]="ocid (file objects)" [skopeo]="skopeo → containers-storage (overlay)" [ctr]="containerd (overlayfs snapshotter)")

# --- part 1: pull + unpack ----------------------------------------------------
declare -A P1
if want 1; then
	log "part 1: warm-up (untimed)"
	for tool in $TOOLS; do
		store_new "$tool" "$WORK/p1-$tool" 4G
		pull "$tool" "$WORK/p1-$tool" bench/realistic:1 >/dev/null
		store_drop "$tool" "$WORK/p1-$tool"
	done
	for i in $(seq 1 "$RUNS"); do
		for tool in $TOOLS; do
			store_new "$tool" "$WORK/p1-$tool" 4G
			sync
			t=$(pull "$tool" "$WORK/p1-$tool" bench/realistic:1)
			store_drop "$tool" "$WORK/p1-$tool"
			P1[$tool]="${P1[$tool]:-} $t"
			log "part 1 run $i/$RUNS $tool ${t}s"
		done
	done
fi

# --- part 2: ten images sharing a JRE -----------------------------------------
declare -A ONE TEN FIRST LATER
if want 2; then
	# One store per tool (c/storage's and containerd's helpers keep theirs
	# in globals: one of each at a time).
	for tool in $TOOLS; do store_new "$tool" "$WORK/p2-$tool" 16G; done
	for i in $(seq 1 "$NIMG"); do
		for tool in $TOOLS; do
			sync
			t=$(pull "$tool" "$WORK/p2-$tool" "bench/app-$i:1")
			if [ "$i" = 1 ]; then
				FIRST[$tool]=$t
				ONE[$tool]=$(store_bytes "$tool" "$WORK/p2-$tool")
			else
				LATER[$tool]="${LATER[$tool]:-} $t"
			fi
			log "part 2 image $i/$NIMG $tool ${t}s"
		done
		if [ "$i" = 1 ]; then DF_ONE=$(ocidc "$WORK/p2-ocid" store df --format json); fi
	done
	for tool in $TOOLS; do
		TEN[$tool]=$(store_bytes "$tool" "$WORK/p2-$tool")
	done
	DF_TEN=$(ocidc "$WORK/p2-ocid" store df --format json)
	# Part 3 does not need containerd's store: stop it, for a quiet machine.
	if [ "$WITH_CTR" = 1 ]; then store_drop ctr "$WORK/p2-ctr"; fi
fi

# --- part 3: page cache ---------------------------------------------------------
# read_through MOUNT: reads every regular file under MOUNT/usr/lib/jvm,
# prints the wall time.
read_through() {
	local t0 t1
	t0=$(date +%s%N)
	find "$1/usr/lib/jvm" -type f -exec cat {} + >/dev/null
	t1=$(date +%s%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e9 }'
}
cached_kb() { awk '$1 == "Cached:" { print $2 }' /proc/meminfo; }
drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }

declare -A P3
# page_cache TOOL: mounts (outside the measurement), drops caches, reads
# the JRE through every image, measures; sets P3[TOOL,…].
page_cache() {
	local tool=$1 i m mounts=() dirs=() t reads="" before after c0 c1
	for i in $(seq 1 "$NIMG"); do
		m=$WORK/mnt/$tool-$i
		mkdir -p "$m"
		case $tool in
		ocid) ocidc "$WORK/p2-ocid" image mount "$HOST/bench/app-$i:1" "$m" >/dev/null ;;
		skopeo) cs_mount "$HOST/bench/app-$i:1" "$m" ;;
		esac
		[ -d "$m/usr/lib/jvm" ] || die "$tool: image $i mounted at $m has no usr/lib/jvm"
		mounts+=("$m/usr/lib/jvm")
	done
	# What to count with mincore: the inodes the reads went to. ocid's
	# mounts are bind mounts of the checkouts (hardlinks to the objects),
	# so the mounted paths are those inodes. An overlay mount's files are
	# the layers' own files (overlayfs reads go to their page cache), so
	# for containers-storage count the layers' diff dirs.
	case $tool in
	ocid) dirs=("${mounts[@]}") ;;
	skopeo) mapfile -t dirs < <(cs_jre_dirs) ;;
	esac
	drop_caches
	c0=$(cached_kb)
	before=$("$MINCORE" "${dirs[@]}")
	for m in "${mounts[@]}"; do
		t=$(read_through "${m%/usr/lib/jvm}")
		reads="$reads $t"
	done
	c1=$(cached_kb)
	after=$("$MINCORE" "${dirs[@]}")
	P3[$tool,one]=$("$MINCORE" "${mounts[0]}")
	P3[$tool,before]=$before
	P3[$tool,after]=$after
	P3[$tool,reads]=$reads
	P3[$tool,cached]=$(((c1 - c0) * 1024))
	P3[$tool,dirs]=${#dirs[@]}
	for i in $(seq 1 "$NIMG"); do
		m=$WORK/mnt/$tool-$i
		case $tool in
		ocid) ocidc "$WORK/p2-ocid" image umount "$m" ;;
		skopeo) umount "$m" ;;
		esac
	done
	log "part 3 $tool: before $before; after $after; reads$reads"
}
if want 3; then
	for tool in ocid skopeo; do page_cache "$tool"; done
fi
if want 2; then
	store_drop skopeo "$WORK/p2-skopeo"
	store_drop ocid "$WORK/p2-ocid"
fi

# --- report -------------------------------------------------------------------
j() { jq -r "$2" <<<"$1"; }
echo
echo "Machine: $(nproc) cores ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), kernel $(uname -r)"
if [ "$FSMODE" = loop ]; then
	echo "Stores: each on a new ext4 file system (mkfs.ext4 defaults, journal) on a direct-I/O loop device,"
	echo "        a sparse file in $WORK ($(df --output=fstype "$WORK" | tail -n 1)); STORE_BENCH_FS=loop"
else
	echo "Stores: directories in $WORK ($(df --output=fstype "$WORK" | tail -n 1)), each removed after its run; STORE_BENCH_FS=dir"
fi
echo "Tools: $("$OCID" --version); $("$SKOPEO" --version) (containers-storage, overlay driver: ${CS_CHECKS:-})"
if [ "$WITH_CTR" = 1 ]; then echo "       $("$CONTAINERD_BIN" --version | awk '{ print "containerd " $3 }'); ctr $("$CTR_BIN" --version | awk '{ print $3 }')"; fi
echo "Registry: docker-registry $(docker-registry --version 2>/dev/null | awk '{ print $3 }') on $HOST (plain HTTP, loopback)"
echo "Load average (1/5/15 min) at start: $LOAD_START, at end: $(cut -d' ' -f1-3 /proc/loadavg)"

if want 1; then
	csize=$(awk -F'\t' '{ s += $3 } END { print s }' "$IMAGES/realistic/layers.tsv")
	usize=$(awk -F'\t' '{ s += $5 } END { print s }' "$IMAGES/realistic/layers.tsv")
	echo
	echo "## Part 1: pull + unpack of the realistic image ($(wc -l <"$IMAGES/realistic/layers.tsv") gzip layers, $(mb "$csize") MB compressed, $(mb "$usize") MB unpacked)"
	echo
	echo "Fresh initialised store per run (made/removed outside the timing, then sync), warm page cache,"
	echo "$RUNS timed runs per tool, strictly alternating, after one untimed warm-up each."
	echo
	for tool in $TOOLS; do echo "    ${CMD[$tool]}"; done
	echo
	echo "| tool | median (s) | ratio to skopeo | runs |"
	echo "|---|---:|---:|---:|"
	# shellcheck disable=SC2086 # space-separated numbers
	ms=$(median ${P1[skopeo]})
	for tool in $TOOLS; do
		# shellcheck disable=SC2086
		m=$(median ${P1[$tool]})
		echo "| ${NAME[$tool]} | $m | $(ratio "$m" "$ms") | $RUNS |"
	done
	echo
	echo "All runs (s):"
	for tool in $TOOLS; do echo "  $tool:${P1[$tool]}"; done
fi

if want 2; then
	echo
	echo "## Part 2: $NIMG images sharing a JRE, bytes on disk"
	echo
	echo "Variants: bench/lib/realistic-image.sh --salt 1..$NIMG (every one of the $((4 * NIMG)) layer digests differs; every file"
	echo "but the salt files is identical across variants), pulled in turn into one store per tool with the"
	echo "commands of part 1. Bytes: du -s --block-size=1 of the store's root (ocid ROOT, c/storage graph"
	echo "root, containerd root), hardlinks counted once, after sync."
	echo
	echo "| store | one image (MB) | $NIMG images (MB) | $NIMG / one | first pull (s) | pulls 2–$NIMG, median (s) |"
	echo "|---|---:|---:|---:|---:|---:|"
	for tool in $TOOLS; do
		# shellcheck disable=SC2086
		echo "| ${NAME[$tool]} | $(mb "${ONE[$tool]}") | $(mb "${TEN[$tool]}") | $(ratio "${TEN[$tool]}" "${ONE[$tool]}") | ${FIRST[$tool]} | $(median ${LATER[$tool]}) |"
	done
	echo
	echo "ocid store df, one image:   $(jq -c . <<<"$DF_ONE")"
	echo "ocid store df, $NIMG images: $(jq -c . <<<"$DF_TEN")"
	echo "File objects added by images 2–$NIMG: $(($(j "$DF_TEN" .objects) - $(j "$DF_ONE" .objects)))"
fi

if want 3; then
	echo
	echo "## Part 3: page cache held by the JRE after reading it through all $NIMG images"
	echo
	echo "Mount the $NIMG images (ocid image mount IMAGE DIR; for c/storage a read-only overlay of the image's"
	echo "layers), sync; echo 3 > /proc/sys/vm/drop_caches, then per image:"
	echo
	echo "    find MOUNT/usr/lib/jvm -type f -exec cat {} + > /dev/null"
	echo
	echo "then bench/cmd/mincore (go build; mmap + mincore(2), each inode once) over the JRE files: for ocid"
	echo "the ten mounts' usr/lib/jvm; for c/storage the layers' diff/usr/lib/jvm dirs, the files its overlay"
	echo "mounts read. One JRE = one image's usr/lib/jvm files, each rounded up to whole pages. 'Cached grew'"
	echo "is the growth of Cached in /proc/meminfo over the reads (whole machine: other activity counts too)."
	echo
	echo "| store | JRE files read | distinct inodes | one JRE (MB) | resident before (MB) | resident after (MB) | after / one JRE | Cached grew (MB) | first image read (s) | images 2–$NIMG read, median (s) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
	for tool in ocid skopeo; do
		one=${P3[$tool,one]} before=${P3[$tool,before]} after=${P3[$tool,after]}
		read -r -a r <<<"${P3[$tool,reads]}"
		echo "| ${NAME[$tool]} | $((NIMG * $(j "$one" .paths))) | $(j "$after" .inodes) | $(mb "$(j "$one" .pageBytes)") | $(mb "$(j "$before" .residentBytes)") | $(mb "$(j "$after" .residentBytes)") | $(ratio "$(j "$after" .residentBytes)" "$(j "$one" .pageBytes)") | $(mb "${P3[$tool,cached]}") | ${r[0]} | $(median "${r[@]:1}") |"
	done
	echo
	echo "Read times (s): "
	for tool in ocid skopeo; do echo "  $tool:${P3[$tool,reads]}"; done
fi
END=$(date +%s%N)
echo
echo "Benchmark wall time: $(awk -v a="$START" -v b="$END" 'BEGIN { printf "%.0f", (b - a) / 1e9 }') s"
