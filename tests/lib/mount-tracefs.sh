#!/bin/sh
# Mount tracefs where libbpf and the agent look for it, if it is not there.
[ -d /sys/kernel/tracing/events ] && exit 0
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || {
	echo "tracefs: cannot mount at /sys/kernel/tracing (need root)" >&2; exit 1; }
