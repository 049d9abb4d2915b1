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
	san=""
	# a sanitizer build's archive needs the same runtime (make sanitize)
	if nm "$BUILD/libcredwatch.a" 2>/dev/null | grep -q __asan_; then
		san="-fsanitize=address,undefined"
		CC=clang
	fi
	${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. $san \
		tests/bench/dump_gen.c "$BUILD/libcredwatch.a" -lz -o "$out"
fi
echo "$out"
