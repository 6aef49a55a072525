#!/bin/sh
# Installs the Debian packages ocid's build and tests need, only when
# something is missing (apt-get update is slow; a warm machine skips it).
set -eu
PKGS="docker-registry skopeo runc crun busybox-static gnupg umoci containernetworking-plugins iptables iproute2 ca-certificates git make gcc"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "missing packages:$missing — run as root (make deps) or install them" >&2
		exit 1
	fi
	echo "installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi
if ! command -v go >/dev/null 2>&1; then
	echo "go is not installed (expected at /usr/local/go/bin)" >&2
	exit 1
fi
