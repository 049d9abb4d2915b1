#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds tests/bench/dump_gen.c against $BUILD/libcredwatch.a into $BUILD/bench/
# and prints its path. Used by the inspect integration test and benchmark.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
make -s "$BUILD/libcredwatch.a" "$BUILD/credwatch-inspect" >&2
mkdir -p "$BUILD/bench"
out=$BUILD/bench/dump_gen
if [ ! -x "$out" ] || [ tests/bench/dump_gen.c -nt "$out" ] || [ "$BUILD/libcredwatch.a" -nt "$out" ]; then
	${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. \
		tests/bench/dump_gen.c "$BUILD/libcredwatch.a" -lz -o "$out"
fi
echo "$out"
