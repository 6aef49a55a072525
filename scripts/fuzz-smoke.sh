#!/bin/sh
# Runs every fuzz target for a short time (default 5s each) so a change
# that makes a parser panic on nearby inputs fails `make test`. Longer
# runs: go test -fuzz=FuzzX -fuzztime=10m ./pkg/
#
# Go 1.26's fuzzing coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime runs out while a worker is mid-input
# (golang/go#75804, fixed in Go 1.27): no input is written, nothing
# failed. Such a run is repeated once; a real finding (an input written
# to testdata/fuzz, a panic, a failed check) fails at once, and so does
# the same bare deadline twice in a row.
set -eu
t="${1:-5s}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# bare_deadline: the log shows only the coordinator's deadline race.
bare_deadline() {
	grep -q 'context deadline exceeded' "$log" &&
		! grep -q -e 'Failing input written' -e 'panic:' -e '_test.go:[0-9]*:' "$log"
}

for pkg in $(go list ./...); do
	dir=$(go list -f '{{.Dir}}' "$pkg")
	for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
		echo "fuzz $pkg $f ($t)"
		for try in 1 2; do
			if go test -run='^$' -fuzz="^$f\$" -fuzztime="$t" "$pkg" >"$log" 2>&1; then
				break
			fi
			if [ "$try" = 1 ] && bare_deadline; then
				echo "  (Go's fuzztime deadline race, golang/go#75804; running $f again)"
				continue
			fi
			cat "$log"
			exit 1
		done
	done
done
