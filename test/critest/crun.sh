#!/bin/sh
# test/critest/crun.sh — crun as ocid's OCI runtime in the critest run that
# exercises it (`make critest-crun`) and in the Go tests. crun 1.8 refuses
# a hybrid cgroup host ("cgroups in hybrid mode not supported"); here it
# runs in a private mount namespace where a small private tmpfs covers the
# cgroup2 mount at /sys/fs/cgroup/unified, so the host looks like plain
# cgroup v1 to it (the containers get the v1 controllers, as runc's do).
# crun still makes a directory and a cgroup.procs file for each container
# under unified: they land in that tmpfs, which goes with the namespace
# (unmounting the cgroup2 mount instead would leave them, hidden, in the
# directory under it). On a v1 or v2 host crun runs as it is.
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	exec unshare -m --propagation unchanged sh -c 'mount -t tmpfs -o size=1m,mode=0755 ocid-no-cgroup2 /sys/fs/cgroup/unified && exec crun "$@"' crun "$@"
fi
exec crun "$@"
