#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Attack: a crafted trace dump (the file an analyst is handed, or one an
# attacker on the node rewrote) carries terminal escape sequences in its
# agent-version string and raw inside its recorded alert and finding lines.
# When the analyst runs credwatch-inspect in a terminal, those bytes would
# retitle or clear the terminal, recolour or hide lines, or, on terminals
# that answer queries, type into the shell.
#
# The dump is written with the real writer (tests/lib/dump-craft.c); every
# inspect command that shows the strings runs, text and --json. No output may
# hold ESC, BEL or a C1 CSI (UTF-8 C2 9B); the payload must still be visible,
# escaped (so the test cannot pass by printing nothing).
# Defence: text_escape() on the agent version in the summary and
# write_recorded_line() for recorded alert and finding lines
# (tools/credwatch-inspect.c). To watch it fail: print s->agent unescaped in
# summary_print_text(), or fwrite(it->alert_json, ...) in cmd_alerts().
set -eu
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
. tests/lib/agent.sh	# fail

T=$(mktemp -d /tmp/cw-rt-esc.XXXXXX)
trap 'rm -rf "$T"' EXIT
make -s "$BUILD/libcredwatch.a" "$BUILD/credwatch-inspect" >/dev/null
san=""
nm "$BUILD/libcredwatch.a" 2>/dev/null | grep -q __asan_ && san="-fsanitize=address,undefined"
${CC:-cc} -O1 -g -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I. -I"$BUILD" $san \
	tests/lib/dump-craft.c "$BUILD/libcredwatch.a" $(pkg-config --libs libbpf libelf zlib libcjson) \
	-lpthread -lm -o "$T/dump-craft"
mkdir -m 0700 "$T/dump"
"$T/dump-craft" "$T/dump" || fail "dump-craft could not write the dump"

check() {	# NAME ARGS...: no raw escape in the output, the payload shown escaped
	local name=$1; shift
	"$BUILD/credwatch-inspect" "$@" >"$T/$name.out" 2>"$T/$name.err" ||
		fail "credwatch-inspect $*: exit $? ($(cat "$T/$name.err"))"
	if LC_ALL=C grep -q $'[\x1b\x07]' "$T/$name.out" "$T/$name.err" ||
	   LC_ALL=C grep -q $'\xc2\x9b' "$T/$name.out" "$T/$name.err"; then
		fail "credwatch-inspect $*: raw escape bytes reach the terminal: $(cat -v "$T/$name.out" | head -5)"
	fi
	grep -qE 'pwned' "$T/$name.out" || fail "credwatch-inspect $*: the payload is not shown at all"
	echo "ok   inspect $*: escaped ($(grep -o '.\{0,12\}pwned.\{0,12\}' "$T/$name.out" | head -1))"
}
check summary summary "$T/dump"
check summary-json summary "$T/dump" --json
check alerts alerts "$T/dump"
check findings findings "$T/dump"
check findings-json findings "$T/dump" --json
echo "inspect escapes: contained"
