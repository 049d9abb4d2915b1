#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Dump write cost and credwatch-inspect read rate (a benchmark, not a test):
# writes N events (default 2,000,000) with dump_gen, which reports the
# writer's events/s (dump_write_event + compression + write), then times
# `credwatch-inspect events --json >/dev/null` and `summary`.
#   tests/bench/inspect_rate.sh [N]
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
n=${1:-2000000}
gen=$(tests/lib/build-dump-gen.sh)
tmp=$(mktemp -d /tmp/inspect_rate.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
mkdir -m 700 "$tmp/d"
"$gen" "$tmp/d" "$n"
rate() {	# label, command...
	local label=$1 t0 t1; shift
	t0=$(date +%s.%N)
	"$@" >/dev/null
	t1=$(date +%s.%N)
	awk -v l="$label" -v n="$n" -v a="$t0" -v b="$t1" \
		'BEGIN { printf "inspect %-14s %d events in %.3f s: %.0f events/s\n", l, n, b - a, n / (b - a) }'
}
rate "events --json" "$BUILD/credwatch-inspect" events --json "$tmp/d"
rate "events" "$BUILD/credwatch-inspect" events "$tmp/d"
rate "summary" "$BUILD/credwatch-inspect" summary "$tmp/d"
