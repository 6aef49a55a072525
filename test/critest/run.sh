#!/usr/bin/env bash
# CRI conformance harness: runs critest (cri-tools v1.37.0) against a CRI
# runtime started on a private socket, root and state, offline. See
# test/critest/README.md.
#
#   test/critest/run.sh [ocid|containerd]      (default: $RUNTIME, else ocid)
#
# Environment:
#   RUNTIME          ocid or containerd (the argument wins)
#   CRITEST_FOCUS    a Ginkgo focus regex (run only the matching specs)
#   CRITEST_ARGS     more critest arguments, split on spaces
#                    (e.g. "--ginkgo.seed=42 --ginkgo.fail-fast")
#   CRITEST_WORK     volatile state of a run (default /run/ocid-critest); it
#                    is wiped before and after, and a killed run left there
#                    is cleaned up by the next one
#   CRITEST_CACHE    cached binaries, images and registry storage, and the
#                    last run's logs (default test/critest/.cache)
#   CRITEST_SUBNET   pod subnet (default 10.89.77.0/24)
#   CRITEST_NETWORK  CNI network name (default ocid-critest) and
#   CRITEST_BRIDGE   its bridge (default ocidcrit0): the cleanup removes the
#                    nat rules naming this network and the bridge's netns, so
#                    runs that overlap in time need their own of both
#   CRITEST_CGROUP_PARENT  ocid's [runtime] cgroup_parent (default /ocid-critest)
#   CRITEST_KEEP=1   leave the runtime's and registries' logs of a passing run
#                    in $CRITEST_CACHE/last-run (they are always kept on failure)
#   CRITEST_LOG_LEVEL  ocid's --log-level (default info)
#   CRITEST_OCI_RUNTIME  an OCI runtime binary ocid uses instead of runc
#                    (handler "alt"; `make critest-crun` passes test/critest/crun.sh)
#   CRITEST_SECCOMP_BPF  that handler's seccomp_bpf (default auto; `make
#                    critest-crun` says always: crun.sh is crun by another name)
#   OCID             the ocid binary (default bin/ocid; built if missing)
#   CRITEST_HOLD=1   start the registries and the runtime, print how to reach
#                    them, and wait (instead of running critest) until
#                    interrupted; for debugging with crictl
#
# Prints one line "critest: P passed, F failed, S skipped of T" and the
# failing specs; exits 1 when a spec failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RUNTIME=${1:-${RUNTIME:-ocid}}
WORK=${CRITEST_WORK:-/run/ocid-critest}
CACHE=${CRITEST_CACHE:-$HERE/.cache}
SUBNET=${CRITEST_SUBNET:-10.89.77.0/24}
OCID=${OCID:-$REPO/bin/ocid}
OUT=$CACHE/last-run
NETNAME=${CRITEST_NETWORK:-ocid-critest}
BRIDGE=${CRITEST_BRIDGE:-ocidcrit0}
CGROUP_PARENT=${CRITEST_CGROUP_PARENT:-/ocid-critest}
# Upstream registries critest pulls from; each gets a local docker-registry.
HOSTS=(registry.k8s.io k8s.gcr.io gcr.io)
export PATH=$PATH:/usr/local/go/bin:/usr/sbin:/sbin

case $RUNTIME in
ocid | containerd) ;;
*)
	echo "usage: $0 [ocid|containerd]" >&2
	exit 2
	;;
esac
[ "$(id -u)" = 0 ] || {
	echo "critest harness: must run as root" >&2
	exit 2
}
case $WORK in
/*/*) ;;
*)
	echo "critest harness: CRITEST_WORK must be an absolute path below /" >&2
	exit 2
	;;
esac

log() { printf '[critest %s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# ---------------------------------------------------------------- cleanup --

# pids_using_work lists processes (not this shell) whose command line names
# $WORK: registries, the runtime, shims, monitors, critest.
pids_using_work() {
	local p cmd
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[ "$p" = $$ ] && continue
		[ "$p" = "${BASHPID:-$$}" ] && continue
		cmd=$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null) || continue
		case $cmd in *"$WORK/"* | *"$WORK "*) echo "$p" ;; esac
	done
}

# stop_pid stops a process of the run (one whose command line names $WORK:
# a stale pid file never kills another process), SIGKILL after a grace time.
stop_pid() { # pid [seconds]
	local pid=$1 n=$((${2:-10} * 10))
	case $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null) in
	*"$WORK/"*) ;;
	*) return 0 ;;
	esac
	kill -TERM "$pid" 2>/dev/null || return 0
	while [ $n -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# cleanup_network removes what CNI left of the pod network: the netns of
# pods attached to our bridge, the bridge, and nat rules and chains that
# portmap made for our network name.
cleanup_network() {
	local ids id name line chain
	if ip link show "$BRIDGE" >/dev/null 2>&1; then
		ids=$(ip -o link show master "$BRIDGE" 2>/dev/null | sed -n 's/.*link-netnsid \([0-9]*\).*/\1/p' | sort -u)
		for id in $ids; do
			name=$(ip netns list 2>/dev/null | sed -n "s/^\([^ ]*\) (id: $id)\$/\1/p")
			if [ -n "$name" ]; then ip netns delete "$name" 2>/dev/null; fi
		done
		for name in $(ip -o link show master "$BRIDGE" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1); do
			ip link delete "$name" 2>/dev/null || true
		done
		ip link delete "$BRIDGE" 2>/dev/null || true
	fi
	local chains=()
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		chain=$(sed -n 's/.* -j \(CNI-[A-Za-z0-9-]*\).*/\1/p' <<<"$line")
		case $chain in CNI-DN-* | CNI-SN-* | CNI-[0-9a-f]*) chains+=("$chain") ;; esac
		eval "iptables -w -t nat ${line/#-A /-D }" 2>/dev/null || true
	done < <(iptables-save -t nat 2>/dev/null | grep -F "name: \\\"$NETNAME\\\"" | grep '^-A ' || true)
	for chain in "${chains[@]}"; do
		iptables -w -t nat -F "$chain" 2>/dev/null || true
		iptables -w -t nat -X "$chain" 2>/dev/null || true
	done
}

# cleanup tears down a run, the current one or one killed before: it asks
# the runtime to remove its pods (so that CNI deletes their networks), stops
# every process of the run, deletes runc containers left in state dirs under
# $WORK (killing their processes and removing their cgroups), unmounts
# everything under $WORK, removes the pod network, restores ip_forward and
# wipes $WORK.
cleanup() {
	local rc=$? p f d sock
	trap - EXIT INT TERM HUP
	set +e
	[ -d "$WORK" ] || return $rc
	[ -n "${CRITEST_PID:-}" ] && kill -TERM "$CRITEST_PID" 2>/dev/null && sleep 1
	# A runtime still running (this run's, or one a killed run left) removes
	# its pods itself: CNI DEL, unmounts, cgroups.
	p=$(cat "$WORK/pids/runtime" 2>/dev/null)
	if [ -n "$p" ] && kill -0 "$p" 2>/dev/null && [ -x "$CACHE/bin/crictl" ]; then
		for sock in "$WORK/containerd/containerd.sock" "$WORK/ocid/ocid.sock"; do
			[ -S "$sock" ] && timeout 90 "$CACHE/bin/crictl" --timeout 30s -r "unix://$sock" rmp -fa >/dev/null 2>&1
		done
	fi
	# The runtime first (gracefully), then everything else of the run.
	for f in "$WORK"/pids/runtime "$WORK"/pids/*; do
		[ -f "$f" ] && stop_pid "$(cat "$f")" 10
	done
	for p in $(pids_using_work); do kill -KILL "$p" 2>/dev/null; done
	# runc containers left: runc's state dirs hold ID/state.json.
	while IFS= read -r f; do
		d=$(dirname "$f")
		runc --root "$(dirname "$d")" delete --force "$(basename "$d")" >/dev/null 2>&1
	done < <(find "$WORK" -xdev -name state.json -exec grep -l '"init_process_pid"' {} + 2>/dev/null)
	# Mounts below $WORK, deepest first (containerd's netns live there too).
	for _ in 1 2 3; do
		awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
			while read -r d; do umount -l "$d" 2>/dev/null; done
	done
	cleanup_network
	if [ -f "$WORK/ip_forward" ]; then
		sysctl -qw net.ipv4.ip_forward="$(cat "$WORK/ip_forward")" 2>/dev/null
	fi
	if [ $rc -ne 0 ] || [ "${CRITEST_KEEP:-}" = 1 ]; then
		[ -d "$WORK/logs" ] && mkdir -p "$OUT" && cp -a "$WORK/logs/." "$OUT/" 2>/dev/null
	fi
	if awk -v w="$WORK" '$5 == w || index($5, w "/") == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
		log "warning: mounts left below $WORK; not removing it"
	else
		rm -rf "$WORK"
	fi
	return $rc
}

# ------------------------------------------------------------------ build --

deps() {
	local pkgs="docker-registry runc containernetworking-plugins iptables iproute2 util-linux curl"
	[ "$RUNTIME" = containerd ] && pkgs="$pkgs containerd"
	local missing="" p
	for p in $pkgs; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
	done
	if [ -n "$missing" ]; then
		log "installing:$missing"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -q >/dev/null
		# shellcheck disable=SC2086
		apt-get install -y -q --no-install-recommends $missing >/dev/null
	fi
	command -v go >/dev/null || die "go is not installed"
}

# build_tools builds critest (the test binary of cri-tools' cmd/critest) and
# crictl from the tools module, once per tools/go.sum and Go version.
build_tools() {
	local stamp
	stamp=$(cat "$HERE/tools/go.mod" "$HERE/tools/go.sum" | sha256sum | cut -c1-16)-$(go env GOVERSION)
	if [ -x "$CACHE/bin/critest" ] && [ -x "$CACHE/bin/crictl" ] && [ "$(cat "$CACHE/bin/tools.stamp" 2>/dev/null)" = "$stamp" ]; then
		return
	fi
	log "building critest and crictl (cri-tools v1.37.0; the first time takes a few minutes)"
	mkdir -p "$CACHE/bin"
	(
		cd "$HERE/tools"
		go test -c -o "$CACHE/bin/critest" sigs.k8s.io/cri-tools/cmd/critest
		go build -o "$CACHE/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl
	)
	echo "$stamp" >"$CACHE/bin/tools.stamp"
}

# busybox: Debian's dynamically linked busybox, extracted from its package
# (not installed: it conflicts with busybox-static, which other tests use).
get_busybox() {
	local bb=$CACHE/busybox/bin/busybox deb tmp
	[ -x "$bb" ] && return
	log "fetching Debian's busybox package"
	tmp=$(mktemp -d)
	if ! (cd "$tmp" && apt-get download busybox >/dev/null 2>&1); then
		apt-get update -q >/dev/null
		(cd "$tmp" && apt-get download busybox >/dev/null)
	fi
	deb=$(ls "$tmp"/busybox_*.deb)
	rm -rf "$CACHE/busybox"
	mkdir -p "$CACHE/busybox"
	dpkg-deb -x "$deb" "$CACHE/busybox"
	rm -rf "$tmp"
	[ -x "$bb" ] || die "no busybox in $deb"
}

build_images() {
	(cd "$REPO" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$CACHE/bin/" ./test/critest/cmd/...)
	"$CACHE/bin/critest-harness" images --busybox "$CACHE/busybox/bin/busybox" \
		--pause "$CACHE/bin/critest-pause" --web "$CACHE/bin/critest-web" \
		--applets "$CACHE/bin/critest-applets" --out "$CACHE/layout"
	if [ ! -x "$OCID" ]; then
		log "building $OCID"
		make -C "$REPO" build >/dev/null
	fi
}

# ------------------------------------------------------------- registries --

declare -A PORT

wait_http() { # url seconds
	local n=$(($2 * 10))
	while [ $n -gt 0 ]; do
		curl -fs -o /dev/null "$1" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

start_registries() {
	local host ports i=0 dir
	mapfile -t ports < <("$CACHE/bin/critest-harness" freeport ${#HOSTS[@]})
	for host in "${HOSTS[@]}"; do
		PORT[$host]=${ports[$i]}
		i=$((i + 1))
		dir=$CACHE/registry/$host
		mkdir -p "$dir/storage"
		cat >"$WORK/registry-$host.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${PORT[$host]}
EOF
		docker-registry serve "$WORK/registry-$host.yml" >"$WORK/logs/registry-$host.log" 2>&1 9>&- &
		echo $! >"$WORK/pids/registry-$host"
	done
	for host in "${HOSTS[@]}"; do
		wait_http "http://127.0.0.1:${PORT[$host]}/v2/" 30 || die "registry for $host did not start (see $WORK/logs/registry-$host.log)"
	done
}

# push_images copies every stand-in image with ocid into the registry of
# its upstream host, unless that registry's storage already holds exactly
# this build (stamp = digest of the layout's index and name list).
push_images() {
	local stamp host ref name path n=0
	stamp=$(cat "$CACHE/layout/index.json" "$CACHE/layout/images.list" | sha256sum | cut -c1-32)
	local cfg=$WORK/ocid-cli
	mkdir -p "$cfg/root" "$cfg/run"
	: >"$cfg/ocid.toml"
	for host in "${HOSTS[@]}"; do
		if [ "$(cat "$CACHE/registry/$host/stamp" 2>/dev/null)" = "$stamp" ]; then
			continue
		fi
		# A new build: start from empty storage, so that old blobs do not pile up.
		rm -f "$CACHE/registry/$host/stamp"
		rm -rf "$CACHE/registry/$host/storage/docker"
		while read -r ref name; do
			[ "${name%%/*}" = "$host" ] || continue
			path=${name#*/}
			"$OCID" --config "$cfg/ocid.toml" --root "$cfg/root" --runroot "$cfg/run" --insecure-policy \
				image copy -q --dest-tls-verify=false "oci:$CACHE/layout:$ref" "docker://127.0.0.1:${PORT[$host]}/$path" ||
				die "ocid image copy oci:$CACHE/layout:$ref docker://127.0.0.1:${PORT[$host]}/$path failed"
			n=$((n + 1))
		done <"$CACHE/layout/images.list"
		echo "$stamp" >"$CACHE/registry/$host/stamp"
	done
	[ $n -gt 0 ] && log "pushed $n image references with ocid"
	return 0
}

# registries.conf for ocid: every upstream host is mirrored by its local
# registry; pulls of the original names are served locally.
write_registries_conf() {
	local host
	{
		echo "# Written by test/critest/run.sh: upstream hosts critest pulls from, mirrored locally."
		echo 'unqualified-search-registries = []'
		for host in "${HOSTS[@]}"; do
			cat <<EOF

[[registry]]
prefix = "$host"
location = "$host"

[[registry.mirror]]
location = "127.0.0.1:${PORT[$host]}"
insecure = true
EOF
		done
	} >"$WORK/registries.conf"
	echo '{"default": [{"type": "insecureAcceptAnything"}]}' >"$WORK/policy.json"
}

write_cni_conf() {
	mkdir -p "$WORK/cni/net.d" "$WORK/cni/ipam"
	cat >"$WORK/cni/net.d/10-$NETNAME.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$NETNAME",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$WORK/cni/ipam",
        "ranges": [[{"subnet": "$SUBNET"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
}

# ---------------------------------------------------------------- runtime --

# has_cap_sys_resource: is CAP_SYS_RESOURCE (bit 24) in our bounding set?
has_cap_sys_resource() {
	local bnd
	bnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)
	[ $((0x$bnd >> 24 & 1)) = 1 ]
}

SOCK=
# The daemon's NRI socket (ocid only: containerd 1.6 has no NRI).
NRI_SOCK=

start_containerd() {
	local d=$WORK/containerd host RESTRICT_OOM=false
	has_cap_sys_resource || RESTRICT_OOM=true
	mkdir -p "$d/root" "$d/state" "$WORK/runc"
	SOCK=$d/containerd.sock
	{
		cat <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$SOCK"

[ttrpc]
  address = "$SOCK.ttrpc"

[debug]
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:3.10"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  netns_mounts_under_state_dir = true
  disable_apparmor = true
  enable_selinux = false
  # Sandboxes ask for oom_score_adj -998; where CAP_SYS_RESOURCE is not in
  # the bounding set (as in some VMs and containers) runc cannot lower it.
  restrict_oom_score_adj = $RESTRICT_OOM

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  BinaryName = "${CRITEST_RUNC:-$(command -v runc)}"
  Root = "$WORK/runc"
  SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$WORK/cni/net.d"
  max_conf_num = 1
EOF
		for host in "${HOSTS[@]}"; do
			printf '\n[plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]\n  endpoint = ["http://127.0.0.1:%s"]\n' "$host" "${PORT[$host]}"
		done
	} >"$d/config.toml"
	containerd --config "$d/config.toml" >"$WORK/logs/containerd.log" 2>&1 9>&- &
	echo $! >"$WORK/pids/runtime"
}

start_ocid() {
	local d=$WORK/ocid
	mkdir -p "$d/root" "$d/run"
	SOCK=$d/ocid.sock
	NRI_SOCK=$WORK/nri/nri.sock
	cat >"$d/ocid.toml" <<EOF
# Written by test/critest/run.sh.
root = "$d/root"
runroot = "$d/run"
registries_conf = "$WORK/registries.conf"
policy = "$WORK/policy.json"
log_level = "info"

[cri]
socket = "$SOCK"
streaming_address = "127.0.0.1:0"
cni_conf_dir = "$WORK/cni/net.d"
cni_bin_dirs = ["/usr/lib/cni"]

[runtime]
cgroup_parent = "$CGROUP_PARENT"
$(if [ -n "${CRITEST_OCI_RUNTIME:-}" ]; then printf 'default_runtime = "alt"\n[runtime.handlers.alt]\npath = "%s"\nseccomp_bpf = "%s"\n' "$CRITEST_OCI_RUNTIME" "${CRITEST_SECCOMP_BPF:-auto}"; fi)

# A private NRI socket and no pre-installed plugins: critest's NRI specs
# connect their own plugins (critest -nri-socket). The synchronization specs
# hold a plugin's Synchronize open for 2 s, the default request timeout.
[nri]
socket_path = "$NRI_SOCK"
plugin_path = "$WORK/nri/plugins"
plugin_config_path = "$WORK/nri/conf.d"
plugin_request_timeout = "5s"
EOF
	"$OCID" daemon --config "$d/ocid.toml" --root "$d/root" --runroot "$d/run" --socket "$SOCK" \
		--registries-conf "$WORK/registries.conf" --policy "$WORK/policy.json" \
		--cni-conf-dir "$WORK/cni/net.d" --cni-bin-dir /usr/lib/cni --log-level "${CRITEST_LOG_LEVEL:-info}" \
		>"$WORK/logs/ocid.log" 2>&1 9>&- &
	echo $! >"$WORK/pids/runtime"
}

wait_runtime() {
	local n=600 pid
	pid=$(cat "$WORK/pids/runtime")
	while [ $n -gt 0 ]; do
		kill -0 "$pid" 2>/dev/null || die "$RUNTIME exited at start; see $OUT/$RUNTIME.log"
		if [ -S "$SOCK" ] && "$CACHE/bin/crictl" --timeout 2s -r "unix://$SOCK" version >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		n=$((n - 1))
	done
	die "$RUNTIME did not answer on $SOCK within 60s"
}

# ---------------------------------------------------------------- critest --

skip_args() {
	local f=$HERE/skip-$RUNTIME.txt line re
	[ -f "$f" ] || return 0
	while IFS= read -r line || [ -n "$line" ]; do
		re=$(sed -e 's/[[:space:]]#.*$//' -e 's/^#.*$//' -e 's/[[:space:]]*$//' <<<"$line")
		[ -n "$re" ] && printf -- '--ginkgo.skip=%s\n' "$re"
	done <"$f"
}

run_critest() {
	local args=()
	mapfile -t args < <(skip_args)
	[ -n "${CRITEST_FOCUS:-}" ] && args+=("--ginkgo.focus=$CRITEST_FOCUS")
	[ -n "$NRI_SOCK" ] && args+=("--nri-socket=$NRI_SOCK")
	# shellcheck disable=SC2206
	[ -n "${CRITEST_ARGS:-}" ] && args+=(${CRITEST_ARGS})
	mkdir -p "$WORK/tmp"
	log "running critest against $RUNTIME on $SOCK (log: $OUT/critest.log)"
	# In the background, so that a signal reaches the trap at once.
	TMPDIR=$WORK/tmp "$CACHE/bin/critest" \
		--runtime-endpoint "unix://$SOCK" --image-endpoint "unix://$SOCK" \
		--ginkgo.no-color --ginkgo.junit-report="$WORK/logs/junit.xml" \
		--ginkgo.timeout=50m "${args[@]}" >"$WORK/logs/critest.log" 2>&1 9>&- &
	CRITEST_PID=$!
	wait "$CRITEST_PID" || true
	CRITEST_PID=
}

# ------------------------------------------------------------------- main --

# One run at a time. Every process the run starts closes fd 9, so a killed
# run leaves no lock behind.
exec 9>"$(dirname "$WORK")/.$(basename "$WORK").lock"
flock -n 9 || die "another critest harness run holds $WORK"

if [ -d "$WORK" ]; then
	log "cleaning up a previous run left in $WORK"
	cleanup || true
fi
trap cleanup EXIT
trap 'log "interrupted; cleaning up"; exit 130' INT
trap 'log "terminated; cleaning up"; exit 143' TERM HUP

start=$(date +%s)
deps
build_tools
get_busybox
build_images

mkdir -p "$WORK/logs" "$WORK/pids"
cat /proc/sys/net/ipv4/ip_forward >"$WORK/ip_forward"
rm -rf "$OUT"
mkdir -p "$OUT"

start_registries
push_images
write_registries_conf
write_cni_conf
case $RUNTIME in
containerd) start_containerd ;;
ocid) start_ocid ;;
esac
wait_runtime
prep=$(($(date +%s) - start))
log "ready in ${prep}s: $RUNTIME on $SOCK, registries ${HOSTS[*]} on ports ${PORT[*]}"

if [ "${CRITEST_HOLD:-}" = 1 ]; then
	log "holding; try: $CACHE/bin/crictl -r unix://$SOCK ps -a   (Ctrl-C or kill $$ to clean up)"
	sleep infinity 9>&- &
	CRITEST_PID=$!
	wait "$CRITEST_PID" || true
	exit 0
fi
run_critest
cp "$WORK/logs/critest.log" "$OUT/critest.log"
[ -f "$WORK/logs/junit.xml" ] || die "critest wrote no report; see $OUT/critest.log"
cp "$WORK/logs/junit.xml" "$OUT/junit.xml"
set +e
"$CACHE/bin/critest-harness" report "$OUT/junit.xml"
status=$?
set -e
log "critest ran in $(($(date +%s) - start - prep))s ($RUNTIME); report: $OUT/junit.xml"
exit $status
