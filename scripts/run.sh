#!/bin/sh
# `make run`: start what exists of ocid with the embedded defaults. The CRI
# daemon arrives with its issue; until then this shows the CLI at work.
set -eu
BIN=bin/ocid
echo "== ocid $($BIN version)"
echo "== effective configuration (/etc/ocid/ocid.toml over built-in defaults)"
$BIN config
echo
echo "== commands"
$BIN --help
echo
echo "Try: $BIN image inspect docker://HOST/REPO:TAG, $BIN image copy SRC DST"
