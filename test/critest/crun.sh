#!/bin/sh
# test/critest/crun.sh — crun as ocid's OCI runtime in the critest run that
# exercises it (`make critest-crun`). crun 1.8 refuses a hybrid cgroup host
# ("cgroups in hybrid mode not supported"); here it runs in a private mount
# namespace without the cgroup2 mount at /sys/fs/cgroup/unified, where the
# host looks like plain cgroup v1 to it (the containers get the v1
# controllers, as runc's do). On a v1 or v2 host crun runs as it is.
if [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
	exec unshare -m --propagation unchanged sh -c 'umount -l /sys/fs/cgroup/unified && exec crun "$@"' crun "$@"
fi
exec crun "$@"
