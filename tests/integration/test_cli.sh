#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: exit codes, one-line errors, --help, --version,
# --list-watched, --duration, and a clear refusal without BPF privileges.
set -u
cd "$(dirname "$0")/../.."
. tests/lib/fixture.sh
. tests/lib/agent.sh
CW=$BUILD/credwatch
T=$(mktemp -d /tmp/cw-cli.XXXXXX)
trap 'rm -rf "$T"' EXIT

# expect_exit CODE PATTERN ARGS...: exit status, and stderr is one line matching PATTERN
expect_exit() {
	local code=$1 pattern=$2; shift 2
	"$CW" "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	[ "$rc" = "$code" ] || fail "credwatch $* exited $rc, expected $code: $(cat "$T/err")"
	if [ -n "$pattern" ]; then
		[ "$(wc -l <"$T/err")" = 1 ] || fail "credwatch $*: not one line: $(cat "$T/err")"
		grep -q -- "$pattern" "$T/err" || fail "credwatch $*: '$(cat "$T/err")' lacks '$pattern'"
	fi
}

expect_exit 2 "unknown option '--bogus'" --bogus
expect_exit 2 "--duration: 'soon' is not" --duration soon
expect_exit 2 "needs a value" --events
expect_exit 2 "--output-format: 'yaml'" --output-format yaml
expect_exit 2 "--host-root: $T/missing" --host-root "$T/missing"
expect_exit 2 "unexpected argument" extra
expect_exit 0 "" --version
grep -q "^credwatch [0-9]" "$T/out" || fail "--version output"
expect_exit 0 "" --help
for flag in host-root watch output output-format events duration list-watched \
	    print-config node-name cluster-name max-watched ringbuf-bytes version help; do
	grep -q -- "--$flag" "$T/out" || fail "--help does not list --$flag"
done

# --list-watched needs no BPF and prints every credential with its owner
ROOT=$T/root
fixture_pod "$ROOT" ns web 0b0b0b0b-0000-4000-8000-000000000001
fixture_host "$ROOT"
expect_exit 0 "" --host-root "$ROOT" --list-watched
grep -q "^sa_token .* 0b0b0b0b-0000-4000-8000-000000000001 /var/lib/kubelet/pods/" "$T/out" \
	|| fail "--list-watched token line: $(cat "$T/out")"
grep -q "^kubeconfig .* host .*/etc/kubernetes/admin.conf" "$T/out" || fail "--list-watched kubeconfig"
grep -q "^6 credentials" "$T/out" || fail "--list-watched count: $(tail -1 "$T/out")"

# a hostile file name is printed escaped, on one line
mkdir -p "$ROOT/srv"
fixture_marker > "$ROOT/srv/$(printf 'evil\n\033[31mname')"
expect_exit 0 "" --host-root "$ROOT" --watch /srv --list-watched
grep -q 'evil\\n\\x1b\[31mname' "$T/out" || fail "hostile name not escaped: $(cat -v "$T/out")"

# --duration exits 0 by itself and prints a start-up summary
tests/lib/mount-tracefs.sh
timeout 20 "$CW" --host-root "$ROOT" --duration 1 2>"$T/err" || fail "--duration 1 exit $?"
grep -q "hooks: open, openat, openat2, creat, open_by_handle_at, io_uring" "$T/err" || fail "summary hooks"
grep -q "watching 6 credentials" "$T/err" || fail "summary count: $(cat "$T/err")"

# SIGTERM: flush and exit 0; after attaching only CAP_BPF and CAP_DAC_READ_SEARCH remain
"$CW" --host-root "$ROOT" 2>"$T/err" & pid=$!
for _ in $(seq 50); do grep -q watching "$T/err" && break; sleep 0.1; done
caps=$(awk '/^CapEff/ {print $2}' /proc/$pid/status)
bnd=$(awk '/^CapBnd/ {print $2}' /proc/$pid/status)
[ "$caps" = 0000008000000004 ] || fail "capabilities after attach: $caps"
[ "$bnd" = 0000008000000004 ] || fail "bounding set after attach: $bnd"
grep -q '^NoNewPrivs:[[:space:]]*1' /proc/$pid/status || fail "no_new_privs not set"
kill -TERM $pid; wait $pid || fail "SIGTERM exit $?"

# without BPF privileges: exit 1 and say what is missing
setpriv --bounding-set -all --inh-caps -all "$CW" --duration 1 >"$T/out" 2>"$T/err"
[ $? = 1 ] || fail "no-capability run did not exit 1"
grep -q "CAP_BPF and CAP_PERFMON" "$T/err" || fail "no-capability message: $(cat "$T/err")"
# ... and works with exactly the capabilities the chart grants
setpriv --bounding-set -all,+bpf,+perfmon,+dac_read_search,+sys_resource --inh-caps -all \
	"$CW" --host-root "$ROOT" --duration 1 2>"$T/err" || fail "least-privilege run: $(cat "$T/err")"
echo "cli ok"
