#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# credwatch-inspect's command line: --help gives every option's default;
# usage errors name the option or file at fault (exit 2); a progress line on stderr while it reads a large
# dump directory (> 32 MiB) when stderr is a terminal (a pty from script(1)),
# clears it at the end, and shows none when stderr is a file or the input is
# small. stdout is identical either way.
set -eu
. "$(dirname "$0")/../lib/preamble.sh"
INSPECT=$BUILD/credwatch-inspect
test_tmpdir progress

GEN=$(BUILD=$BUILD tests/lib/build-dump-gen.sh)
mkdir -m 0700 "$T/big" "$T/small"
"$GEN" "$T/big" 1400000 >/dev/null 2>&1 || fail "dump_gen big"
"$GEN" "$T/small" 1000 >/dev/null 2>&1 || fail "dump_gen small"
[ "$(du -sm "$T/big" | cut -f1)" -gt 32 ] || fail "big dump is not over 32 MiB: $(du -sh "$T/big")"

# on a terminal: stderr (the pty) gets "NN% of M MiB" lines, then a line clear
script -qec "$INSPECT summary $T/big >$T/tty.out" /dev/null >"$T/tty.err" </dev/null ||
	fail "inspect under a pty: $(cat "$T/tty.err")"
grep -aq '% of [0-9]* MiB' "$T/tty.err" || fail "no progress on a terminal: $(cat -v "$T/tty.err")"
grep -aq $'\e\[K' "$T/tty.err" || fail "progress line not cleared at the end"

# not a terminal: nothing on stderr, same stdout
"$INSPECT" summary "$T/big" >"$T/file.out" 2>"$T/file.err" || fail "inspect to a file"
[ ! -s "$T/file.err" ] || fail "stderr not a terminal, yet: $(cat -v "$T/file.err")"
cmp -s "$T/tty.out" "$T/file.out" || fail "stdout differs with and without progress"

# small input on a terminal: no progress
script -qec "$INSPECT summary $T/small >/dev/null" /dev/null >"$T/small.err" </dev/null ||
	fail "inspect small under a pty"
! grep -aq '% of' "$T/small.err" || fail "progress shown for a small dump: $(cat -v "$T/small.err")"
# --help: every option, each with its default
"$INSPECT" --help >"$T/help" || fail "--help"
for o in filter rules json since until top; do
	grep -A2 -- "^  --$o " "$T/help" | grep -q '\[default: ' || fail "--help: --$o without a default"
done
# errors name what is at fault, exit 2
err() {	# PATTERN ARGS...
	local p=$1 rc=0; shift
	"$INSPECT" "$@" >/dev/null 2>"$T/err" || rc=$?
	[ "$rc" = 2 ] || fail "credwatch-inspect $*: exit $rc, expected 2"
	grep -q -- "$p" "$T/err" || fail "credwatch-inspect $*: '$(cat "$T/err")' lacks '$p'"
}
err "option '--top' needs a value" summary "$T/small" --top
err "--top: expected a positive number, got 'x'" summary "$T/small" --top x
err "unknown option '--bogus'" summary "$T/small" --bogus
err "--since: cannot parse 'soon'" summary "$T/small" --since soon
err "--filter: column" events "$T/small" --filter 'proc.name =='
err "$T/missing/rules.yaml" replay "$T/small" --rules "$T/missing/rules.yaml"
err "replay: needs --rules" replay "$T/small"
err "$T/none: No such file" summary "$T/none"
mkdir "$T/empty"
err "$T/empty: no dump files" summary "$T/empty"
echo "inspect cli ok"
