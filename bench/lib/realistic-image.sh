#!/bin/bash
# realistic-image.sh OUTDIR [--base-salt N] [--salt N] [--tag NAME]
#
# Builds a realistic image as an OCI layout at OUTDIR/layout (tag NAME,
# default "realistic"), four gzip layers, several hundred MB unpacked:
#
#   1 base   Debian bookworm minbase rootfs (debootstrap --variant=minbase)
#   2 jre    files of openjdk-17-jre-headless and the dependencies that
#            minbase lacks (the .debs unpacked with dpkg-deb -x, no chroot)
#   3 extra  python3-minimal and its dependencies not in layers 1-2
#   4 app    a small application: a launcher, config and a few jars
#
# Idempotent: when OUTDIR already holds the finished layout built with the
# same options, it does nothing. Everything slow is cached under
# $OCID_BENCH_CACHE (default /var/cache/ocid-bench): debootstrap's .debs,
# the unpacked layer trees, the downloaded .debs, the package lists chosen
# on the first run (so later builds give the same image even after the
# archive moves on) and the compressed unsalted layers.
#
# Variants, for benchmarks that need many different but overlapping images:
#   --base-salt N  writes N into /etc/ocid-bench-salt of the base layer:
#                  only the base layer's digest changes; layers 2-4 are
#                  byte-identical (shared blobs) on a different base.
#   --salt N       adds a tiny salt file to every layer: every layer digest
#                  differs while the large file set (the JRE, minbase…) is
#                  identical, which is what a file-level store dedups.
# Both may be given. OUTDIR/layers.tsv lists the layers written
# (name, digest, compressed size, diff ID, uncompressed size).
set -eu
# Command substitutions below run functions that must stop at an error.
shopt -s inherit_errexit

usage() {
	echo "usage: $0 OUTDIR [--base-salt N] [--salt N] [--tag NAME]" >&2
	exit 2
}

OUTDIR=""
BASE_SALT=""
SALT=""
TAG=realistic
while [ $# -gt 0 ]; do
	case $1 in
	--base-salt) [ $# -ge 2 ] || usage; BASE_SALT=$2; shift 2 ;;
	--salt) [ $# -ge 2 ] || usage; SALT=$2; shift 2 ;;
	--tag) [ $# -ge 2 ] || usage; TAG=$2; shift 2 ;;
	-h | --help) usage ;;
	-*) usage ;;
	*) [ -z "$OUTDIR" ] || usage; OUTDIR=$1; shift ;;
	esac
done
[ -n "$OUTDIR" ] || usage
case $BASE_SALT$SALT in *[!A-Za-z0-9._-]*) echo "salts must be [A-Za-z0-9._-]" >&2; exit 2 ;; esac

SUITE=bookworm
MIRROR=${OCID_BENCH_MIRROR:-http://deb.debian.org/debian}
CACHE=${OCID_BENCH_CACHE:-/var/cache/ocid-bench}
# The image's own timestamps, fixed so rebuilding from the cache gives the
# same config and manifest digests.
CREATED=2024-01-01T00:00:00Z
JRE_PKG=openjdk-17-jre-headless
JAVA_HOME_DIR=/usr/lib/jvm/java-17-openjdk-amd64
EXTRA_PKGS=(python3-minimal)
# Bump when the recipe changes, so stale OUTDIRs and cached layers rebuild.
RECIPE=1
KEY="recipe=$RECIPE suite=$SUITE tag=$TAG base-salt=$BASE_SALT salt=$SALT"

log() { echo "realistic-image: $*" >&2; }

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
if [ -f "$OUTDIR/.complete" ] && [ "$(cat "$OUTDIR/.complete")" = "$KEY" ] && [ -f "$OUTDIR/layout/index.json" ]; then
	log "$OUTDIR/layout is up to date"
	exit 0
fi

mkdir -p "$CACHE/roots" "$CACHE/blobs" "$CACHE/debs" "$CACHE/debootstrap"
# One builder at a time per cache: the cached trees are built in place.
exec 9>"$CACHE/.lock"
flock 9

WORK=$(mktemp -d "$OUTDIR/.build.XXXXXX")
# unmount_under DIR: lazily unmounts whatever is mounted below DIR.
# debootstrap mounts proc and sys in its target (and in some environments
# binds /dev); a tree is never removed across a live mount.
unmount_under() {
	awk -v t="$1/" 'index($2, t) == 1 { print $2 }' /proc/mounts | sort -r |
		while read -r m; do umount -l "$m" || true; done
}
cleanup() {
	[ -d "$CACHE/roots/.minbase.tmp" ] && unmount_under "$CACHE/roots/.minbase.tmp"
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

need() { # need COMMAND PACKAGE: apt-get install PACKAGE when COMMAND is missing
	command -v "$1" >/dev/null 2>&1 && return 0
	log "installing $2"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >&2 ||
		{ DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$2" >&2; }
}

# --- layer 1: minbase ---------------------------------------------------
build_minbase() {
	local root=$CACHE/roots/minbase tmp=$CACHE/roots/.minbase.tmp
	[ -d "$root" ] && return 0
	need debootstrap debootstrap
	log "debootstrap --variant=minbase $SUITE (about a minute the first time)"
	if [ -d "$tmp" ]; then unmount_under "$tmp"; rm -rf --one-file-system "$tmp"; fi
	# --cache-dir keeps the downloaded .debs, so a rebuild (after the tree
	# was deleted) downloads nothing.
	debootstrap --variant=minbase --cache-dir="$CACHE/debootstrap" "$SUITE" "$tmp" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
		{ tail -30 "$WORK/debootstrap.log" >&2; return 1; }
	unmount_under "$tmp"
	# What an image's base layer does not carry: device nodes, runtime and
	# temporary files, downloaded .debs, apt's lists and caches.
	for d in dev proc sys run tmp var/tmp; do
		find "$tmp/$d" -mindepth 1 -maxdepth 1 -exec rm -rf --one-file-system {} +
	done
	find "$tmp/var/lib/apt/lists" "$tmp/var/cache/apt" -type f ! -name lock -delete
	: >"$tmp/etc/resolv.conf"
	echo localhost >"$tmp/etc/hostname"
	mv "$tmp" "$root"
}

# --- layers 2 and 3: packages unpacked from .debs ------------------------
# simulate PKG...: the PKG=VERSION lines apt would install on top of
# minbase (recommends off), using the host's package lists and minbase's
# dpkg status as what is already installed.
simulate() {
	apt-get -s -q -o Dir::State::status="$CACHE/roots/minbase/var/lib/dpkg/status" \
		-o APT::Install-Recommends=false install "$@" 2>/dev/null |
		awk '$1 == "Inst" { v = $3; if (v ~ /^\[/) v = $4; gsub(/[()]/, "", v); print $2 "=" v }' | sort
}

ensure_apt_lists() {
	if ! apt-cache policy "$JRE_PKG" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
		log "apt-get update"
		DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
	fi
}

# pkg_list NAME PKG...: makes $CACHE/pkgs-NAME.txt (PKG=VER lines) on
# first use; later builds reuse it so the image does not drift.
pkg_list() {
	local list=$CACHE/pkgs-$1.txt
	shift
	[ -s "$list" ] && return 0
	ensure_apt_lists
	simulate "$@" >"$list.tmp"
	[ -s "$list.tmp" ] || { log "apt found nothing to install for $*"; return 1; }
	mv "$list.tmp" "$list"
}

# unpack_debs ROOT PKG=VER...: downloads (cached) and unpacks into ROOT.
unpack_debs() {
	local root=$1 uri file rest
	shift
	# --print-uris names the file apt would download; fetch only missing ones.
	apt-get download -q --print-uris "$@" >"$WORK/uris"
	local missing=()
	while read -r uri file rest; do
		[ -f "$CACHE/debs/$file" ] || missing+=("$uri")
	done <"$WORK/uris"
	if [ ${#missing[@]} -gt 0 ]; then
		log "downloading ${#missing[@]} .debs"
		# Sandbox::User=root: _apt cannot write into the root-owned cache.
		(cd "$CACHE/debs" && apt-get download -q -o APT::Sandbox::User=root "$@" >&2)
	fi
	while read -r uri file rest; do
		dpkg-deb -x "$CACHE/debs/$file" "$root"
	done <"$WORK/uris"
}

build_pkg_root() { # build_pkg_root NAME PKG=VER...
	local name=$1 root=$CACHE/roots/$1 tmp=$CACHE/roots/.$1.tmp
	shift
	[ -d "$root" ] && return 0
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "unpacking $# packages into the $name layer"
	unpack_debs "$tmp" "$@"
	if [ "$name" = jre ]; then
		# dpkg would make /usr/bin/java through update-alternatives.
		mkdir -p "$tmp/usr/bin"
		ln -sf "$JAVA_HOME_DIR/bin/java" "$tmp/usr/bin/java"
	fi
	mv "$tmp" "$root"
}

# --- layer 4: app ---------------------------------------------------------
build_app_root() {
	local root=$CACHE/roots/app tmp=$CACHE/roots/.app.tmp i
	[ -d "$root" ] && return 0
	rm -rf "$tmp"
	mkdir -p "$tmp/app/bin" "$tmp/app/conf" "$tmp/app/lib"
	cat >"$tmp/app/bin/run.sh" <<-'EOF'
		#!/bin/sh
		exec java -Xshare:auto -cp '/app/lib/*' -Dconfig=/app/conf/application.properties bench.Main "$@"
	EOF
	chmod 0755 "$tmp/app/bin/run.sh"
	printf 'server.port=8080\nlog.level=info\ncache.size=256\n' >"$tmp/app/conf/application.properties"
	# Jars are zip files: incompressible, so random bytes stand in for
	# them honestly (written once; the cached tree keeps them stable).
	head -c $((3 * 1024 * 1024)) /dev/urandom >"$tmp/app/lib/app.jar"
	for i in 1 2 3 4 5; do
		head -c $((384 * 1024 * i)) /dev/urandom >"$tmp/app/lib/dep$i.jar"
	done
	find "$tmp" -exec touch -h -d "$CREATED" {} +
	mv "$tmp" "$root"
}

# --- tar + gzip ---------------------------------------------------------
# make_layer NAME SALT OUT: writes OUT.tar.gz and OUT.diffid (sha256 of the
# uncompressed tar). The tar is deterministic for a given tree: sorted
# names, numeric owners, no atime/ctime. A salt adds one small file whose
# parent directory exists in that layer.
make_layer() {
	local name=$1 salt=$2 out=$3 saltdir="" saltpath="" root=$CACHE/roots/$1
	[ "$name" = base ] && root=$CACHE/roots/minbase
	if [ -n "$salt" ]; then
		case $name in
		base) saltpath=etc/ocid-bench-salt ;;
		jre) saltpath=usr/share/doc/ocid-bench-salt-jre ;;
		extra) saltpath=usr/share/doc/ocid-bench-salt-extra ;;
		app) saltpath=app/ocid-bench-salt ;;
		esac
		saltdir=$WORK/salt-$name
		mkdir -p "$saltdir/$(dirname "$saltpath")"
		echo "$salt" >"$saltdir/$saltpath"
		touch -d "$CREATED" "$saltdir/$saltpath"
	fi
	tar --create --file="$out.tar" --directory="$root" \
		--sort=name --format=pax --numeric-owner \
		--pax-option='exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime' \
		. ${saltdir:+--directory="$saltdir" "./$saltpath"}
	sha256sum <"$out.tar" | cut -d' ' -f1 >"$out.diffid"
	stat -c %s "$out.tar" >"$out.usize"
	# -n: no name or time in the gzip header, so the blob is reproducible.
	gzip -n -6 <"$out.tar" >"$out.tar.gz"
	rm -f "$out.tar"
}

# layer NAME SALT: prints the path prefix of the finished layer; unsalted
# layers are cached and shared by every variant.
layer() {
	local name=$1 salt=$2
	if [ -n "$salt" ]; then
		make_layer "$name" "$salt" "$WORK/$name"
		echo "$WORK/$name"
		return
	fi
	local c=$CACHE/blobs/$name-r$RECIPE
	if [ ! -f "$c.tar.gz" ]; then
		log "compressing the $name layer"
		make_layer "$name" "" "$c.tmp"
		mv "$c.tmp.diffid" "$c.diffid"
		mv "$c.tmp.usize" "$c.usize"
		mv "$c.tmp.tar.gz" "$c.tar.gz"
	fi
	echo "$c"
}

# put_blob FILE: hard-links (or copies) FILE into the layout, prints digest.
put_blob() {
	local dg
	dg=$(sha256sum <"$1" | cut -d' ' -f1)
	ln -f "$1" "$LAYOUT/blobs/sha256/$dg" 2>/dev/null || cp "$1" "$LAYOUT/blobs/sha256/$dg"
	echo "$dg"
}

# --- main -----------------------------------------------------------------
build_minbase
pkg_list jre "$JRE_PKG"
pkg_list jre-extra "$JRE_PKG" "${EXTRA_PKGS[@]}"
# A cached list can name versions the archive has since dropped (security
# updates replace old ones); if a tree still has to be unpacked and apt no
# longer knows a listed version, choose the packages afresh.
if [ ! -d "$CACHE/roots/jre" ] || [ ! -d "$CACHE/roots/extra" ]; then
	ensure_apt_lists
	# shellcheck disable=SC2046 # one PKG=VER per word
	if ! apt-get download -q --print-uris $(cat "$CACHE/pkgs-jre-extra.txt") >/dev/null 2>&1; then
		log "cached package versions are gone from the archive; choosing again"
		rm -f "$CACHE/pkgs-jre.txt" "$CACHE/pkgs-jre-extra.txt"
		pkg_list jre "$JRE_PKG"
		pkg_list jre-extra "$JRE_PKG" "${EXTRA_PKGS[@]}"
	fi
fi
mapfile -t JRE_SET <"$CACHE/pkgs-jre.txt"
# Layer 3 is what the extra packages add on top of minbase and the JRE.
mapfile -t EXTRA_SET < <(comm -13 "$CACHE/pkgs-jre.txt" "$CACHE/pkgs-jre-extra.txt")
build_pkg_root jre "${JRE_SET[@]}"
build_pkg_root extra "${EXTRA_SET[@]}"
build_app_root

LAYOUT=$WORK/layout
mkdir -p "$LAYOUT/blobs/sha256"
: >"$WORK/layers.tsv"
layers_json=""
diffids_json=""
history_json=""
for name in base jre extra app; do
	salt=$SALT
	if [ "$name" = base ] && [ -n "$BASE_SALT" ]; then salt="$BASE_SALT${SALT:+-$SALT}"; fi
	p=$(layer "$name" "$salt")
	dg=$(put_blob "$p.tar.gz")
	size=$(stat -c %s "$p.tar.gz")
	diffid=$(cat "$p.diffid")
	printf '%s\tsha256:%s\t%s\tsha256:%s\t%s\n' "$name" "$dg" "$size" "$diffid" "$(cat "$p.usize")" >>"$WORK/layers.tsv"
	layers_json="$layers_json${layers_json:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$dg\",\"size\":$size}"
	diffids_json="$diffids_json${diffids_json:+,}\"sha256:$diffid\""
	case $name in
	base) by="debootstrap --variant=minbase $SUITE" ;;
	jre) by="dpkg-deb -x $JRE_PKG and dependencies" ;;
	extra) by="dpkg-deb -x ${EXTRA_PKGS[*]} and dependencies" ;;
	app) by="COPY app /app" ;;
	esac
	history_json="$history_json${history_json:+,}{\"created\":\"$CREATED\",\"created_by\":\"$by\"}"
done

arch=$(dpkg --print-architecture)
printf '{"created":"%s","architecture":"%s","os":"linux","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=%s"],"Entrypoint":["/app/bin/run.sh"],"WorkingDir":"/app"},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[%s]}' \
	"$CREATED" "$arch" "$JAVA_HOME_DIR" "$diffids_json" "$history_json" >"$WORK/config.json"
cfg_dg=$(put_blob "$WORK/config.json")
cfg_size=$(stat -c %s "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
	"$cfg_dg" "$cfg_size" "$layers_json" >"$WORK/manifest.json"
man_dg=$(put_blob "$WORK/manifest.json")
man_size=$(stat -c %s "$WORK/manifest.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"%s"}}]}' \
	"$man_dg" "$man_size" "$TAG" >"$LAYOUT/index.json"
printf '{"imageLayoutVersion":"1.0.0"}' >"$LAYOUT/oci-layout"

# Publish: the old layout (if any) goes, the new one appears by rename, and
# .complete is written last, so an interrupted build is simply redone.
rm -f "$OUTDIR/.complete"
rm -rf "$OUTDIR/layout"
mv "$LAYOUT" "$OUTDIR/layout"
mv "$WORK/layers.tsv" "$OUTDIR/layers.tsv"
echo "$KEY" >"$OUTDIR/.complete"
log "built $OUTDIR/layout:$TAG (manifest sha256:$man_dg)"
