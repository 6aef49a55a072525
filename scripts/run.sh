#!/bin/sh
# `make run`: start the ocid CRI daemon in the foreground with the
# built-in defaults (over /etc/ocid/ocid.toml, which make run installs if
# missing). Ctrl-C (SIGTERM, SIGINT) stops the daemon; containers keep
# running and the next start picks them up.
set -eu
BIN=bin/ocid
echo "== ocid $($BIN version)"
echo "== effective configuration: $BIN config"
SOCK=$($BIN config | awk -F'"' '/^ *socket *=/ { print $2; exit }')
echo "== starting the CRI daemon on unix://$SOCK (Ctrl-C stops it)"
echo "   try: crictl --runtime-endpoint unix://$SOCK info"
echo "        $BIN container run --rm docker://docker.io/library/busybox echo hello"
exec $BIN daemon
