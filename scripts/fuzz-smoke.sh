#!/bin/sh
# Runs every fuzz target for a short time (default 5s each) so a change
# that makes a parser panic on nearby inputs fails `make test`. Longer
# runs: go test -fuzz=FuzzX -fuzztime=10m ./pkg/
set -eu
t="${1:-5s}"
for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "fuzz $pkg $f ($t)"
		go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$pkg" >/tmp/fuzz-smoke.log 2>&1 || { cat /tmp/fuzz-smoke.log; exit 1; }
	done
done
