#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# get-playwright.sh - install playwright-core (the DevTools-protocol driver,
# no browser) into build/tools/npm-playwright, idempotently, for the report
# tests that open the page in Debian's chromium (tests/lib/report-browser.mjs).
# Never downloads a browser: playwright-core has none, and its install
# scripts (which could fetch one) are not run.
# Prints the node_modules directory on stdout; progress on stderr.
#   tests/lib/get-playwright.sh [TOOLS_DIR]
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
tools=${1:-${TOOLS:-$here/build/tools}}
# Pinned so a registry update cannot change what the tests run; 1.61 is the
# last line that runs on Debian 12's node 18.
PKG=playwright-core@1.61.1

for t in node npm; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "get-playwright: $t not found: install the Debian packages nodejs npm (make deps)" >&2
		exit 1
	}
done
prefix=$tools/npm-playwright
stamp=$prefix/.credwatch-stamp
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$PKG" ]; then
	echo "get-playwright: npm install $PKG" >&2
	mkdir -p "$prefix"
	npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts \
		--loglevel=error "$PKG" >&2
	printf '%s\n' "$PKG" >"$stamp"
fi
[ -f "$prefix/node_modules/playwright-core/package.json" ] || {
	echo "get-playwright: $prefix/node_modules/playwright-core missing after npm install" >&2
	exit 1
}
echo "$prefix/node_modules"
