#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Every fuzz target on its committed corpus plus a few seconds of new inputs
# (FUZZ_SECONDS, default 5). `make fuzz` runs them longer.
set -eu
cd "$(dirname "$0")/../.."
targets=$(sed -n 's/^FUZZ_TARGETS := //p' Makefile)
[ -n "$targets" ] || { echo "no fuzz targets found in Makefile"; exit 1; }
for t in $targets; do
	echo "== $t"
	make --no-print-directory "$t" FUZZ_SECONDS="${FUZZ_SECONDS:-5}" BUILD="${BUILD:-build}" 2>&1 | tail -5
done
