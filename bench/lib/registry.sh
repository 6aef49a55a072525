#!/bin/bash
# registry.sh — a throwaway local registry for the benchmarks: Debian's
# docker-registry (distribution 2.8) on 127.0.0.1, a free port, plain HTTP,
# filesystem storage in a temporary directory, deletes enabled, log level
# warn. Clients need --src-tls-verify=false / --dest-tls-verify=false.
#
# Two ways to use it:
#
#   . bench/lib/registry.sh        # in a bash script
#   registry_start                 # sets REGISTRY_HOST (127.0.0.1:PORT),
#                                  # REGISTRY_PID and REGISTRY_DIR
#   ...
#   registry_stop                  # call it from the script's own EXIT trap
#
#   bench/lib/registry.sh          # run: prints HOST:PORT, serves until
#                                  # interrupted, then stops and cleans up
#
# Sourcing sets no trap: the caller owns its traps and calls registry_stop.

REGISTRY_BIN=${REGISTRY_BIN:-/usr/bin/docker-registry}
REGISTRY_HOST=""
REGISTRY_PID=""
REGISTRY_DIR=""

# _registry_port_free PORT: nothing listens on 127.0.0.1:PORT (or any addr).
_registry_port_free() {
	! ss -Hltn "sport = :$1" 2>/dev/null | grep -q .
}

# registry_start [PARENT_DIR]: starts the registry, waits until /v2/
# answers, prints HOST:PORT on stdout.
registry_start() {
	local parent=${1:-${TMPDIR:-/tmp}} port="" try
	if [ ! -x "$REGISTRY_BIN" ]; then
		echo "registry.sh: $REGISTRY_BIN missing (apt-get install docker-registry)" >&2
		return 1
	fi
	REGISTRY_DIR=$(mktemp -d "$parent/ocid-bench-registry.XXXXXX")
	mkdir -p "$REGISTRY_DIR/storage"
	# A port picked here can still be taken before the registry binds it:
	# if the registry dies at start, try another one.
	for try in 1 2 3 4 5 6 7 8 9 10; do
		port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		_registry_port_free "$port" || continue
		cat >"$REGISTRY_DIR/config.yml" <<-EOF
			version: 0.1
			log:
			  level: warn
			  accesslog:
			    disabled: true
			storage:
			  filesystem:
			    rootdirectory: $REGISTRY_DIR/storage
			  delete:
			    enabled: true
			  maintenance:
			    uploadpurging:
			      enabled: false
			http:
			  addr: 127.0.0.1:$port
			  secret: ocid-bench-$port
		EOF
		"$REGISTRY_BIN" serve "$REGISTRY_DIR/config.yml" >"$REGISTRY_DIR/registry.log" 2>&1 &
		REGISTRY_PID=$!
		# Up to 10 s for the first answer on /v2/.
		for _ in $(seq 1 100); do
			if curl -fsS -o /dev/null "http://127.0.0.1:$port/v2/" 2>/dev/null; then
				REGISTRY_HOST=127.0.0.1:$port
				echo "$REGISTRY_HOST"
				return 0
			fi
			kill -0 "$REGISTRY_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
		REGISTRY_PID=""
		echo "registry.sh: attempt $try on port $port failed:" >&2
		tail -5 "$REGISTRY_DIR/registry.log" >&2
	done
	echo "registry.sh: could not start $REGISTRY_BIN" >&2
	return 1
}

# registry_stop: stops the registry started by registry_start (by its PID,
# nothing else) and removes its storage. Safe to call twice.
registry_stop() {
	if [ -n "$REGISTRY_PID" ]; then
		kill "$REGISTRY_PID" 2>/dev/null || true
		wait "$REGISTRY_PID" 2>/dev/null || true
		REGISTRY_PID=""
	fi
	if [ -n "$REGISTRY_DIR" ]; then
		rm -rf "$REGISTRY_DIR"
		REGISTRY_DIR=""
	fi
	REGISTRY_HOST=""
}

# Run directly: serve until interrupted.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -eu
	trap registry_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	registry_start "$@"
	echo "registry.sh: serving on http://$REGISTRY_HOST (pid $REGISTRY_PID); Ctrl-C stops it" >&2
	wait "$REGISTRY_PID"
fi
