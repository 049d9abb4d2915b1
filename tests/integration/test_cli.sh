#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The command-line contract: exit codes, one-line errors, --help, --version,
# --list-watched, --duration, and a clear refusal without BPF privileges.
set -u
. "$(dirname "$0")/../lib/preamble.sh"
. tests/lib/fixture.sh
. tests/lib/agent.sh
CW=$BUILD/credwatch
test_tmpdir cli

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
expect_exit 2 "--bpf-variant: 'turbo' is not auto, fast or compat" --bpf-variant turbo
expect_exit 2 "--host-root: $T/missing" --host-root "$T/missing"
expect_exit 2 "unexpected argument" extra
# a usage error found late in set-up (the kubeconfig) still creates no file
mkdir "$T/late"
"$CW" --kubeconfig "$T/missing.kubeconfig" --output "$T/late/alerts.json" \
	--events "$T/late/events.ndjson" --findings "$T/late/findings.ndjson" --duration 1 \
	>/dev/null 2>"$T/err"
rc=$?
[ "$rc" = 2 ] || fail "a missing --kubeconfig exited $rc, expected 2: $(cat "$T/err")"
grep -q "kubeconfig: $T/missing.kubeconfig" "$T/err" || fail "missing kubeconfig: $(cat "$T/err")"
[ -z "$(ls -A "$T/late")" ] || fail "a usage error left files behind: $(ls "$T/late")"
expect_exit 0 "" --version
grep -q "^credwatch [0-9]" "$T/out" || fail "--version output"
expect_exit 0 "" --help
for flag in host-root watch output output-format events duration list-watched \
	    print-config node-name cluster-name max-watched ringbuf-bytes version help; do
	grep -q -- "--$flag" "$T/out" || fail "--help does not list --$flag"
done

# --help lists every option of the table in user/config.c (README's copy is
# kept in sync by test_config_file), each one that has a default with it
sed -n '/options:begin/,/options:end/p' README.md | awk -F'|' 'NR > 3 && NF > 4 {
	gsub(/[` ]/, "", $2); d = $4; gsub(/^ +| +$/, "", d); print $2 "\t" d }' >"$T/opts"
[ "$(wc -l <"$T/opts")" -gt 40 ] || fail "cannot read the option table from README.md"
while IFS=$'\t' read -r key def; do
	# a long flag's text is on the next line: join it
	line=$(awk -v k="--$key" '{ f = $1 == k || ($2 == k && $1 ~ /^-.,$/) }
		f && !/[^ ]  +[^ ]/ { getline n; $0 = $0 n } f { print; exit }' "$T/out")
	[ -n "$line" ] || fail "--help does not list --$key"
	if [ -n "$def" ]; then
		grep -q '\[default: ' <<<"$line" || fail "--help: --$key has no default: $line"
	fi
done <"$T/opts"

# errors name the flag at fault
expect_flag() {	# CODE FLAG ARGS...: exit status and a stderr line naming FLAG
	local code=$1 flag=$2 rc=0; shift 2
	timeout 20 "$CW" "$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" = "$code" ] || fail "credwatch $* exited $rc, expected $code: $(cat "$T/err")"
	grep -q -- "$flag" "$T/err" || fail "credwatch $*: error does not name $flag: $(cat "$T/err")"
}
need_tracefs
expect_flag 1 "--output $T/missing/a" --output "$T/missing/a" --duration 1 --host-root "$T"
expect_flag 1 "--events $T/missing/e" --events "$T/missing/e" --duration 1 --host-root "$T"
expect_flag 1 "--dump $T/missing/d" --dump "$T/missing/d" --duration 1 --host-root "$T"
expect_flag 2 "--listen bogus" --listen bogus --duration 1 --host-root "$T"
[ "$(grep -c listen "$T/err")" = 1 ] || fail "--listen error said twice: $(cat "$T/err")"
expect_flag 2 "--cgroup-root $T/missing" --cgroup-root "$T/missing" --duration 1 --host-root "$T"

# --list-watched needs no BPF and prints every credential with its owner
ROOT=$T/root
fixture_pod "$ROOT" ns web 0b0b0b0b-0000-4000-8000-000000000001
fixture_host "$ROOT"
expect_exit 0 "" --host-root "$ROOT" --list-watched
grep -q "^sa_token .* 0b0b0b0b-0000-4000-8000-000000000001 /var/lib/kubelet/pods/" "$T/out" \
	|| fail "--list-watched token line: $(cat "$T/out")"
grep -q "^kubeconfig  *kubeadm-admin-kubeconfig .* control-plane  */etc/kubernetes/admin.conf$" "$T/out" ||
	fail "--list-watched kubeconfig: $(cat "$T/out")"
grep -q "^kubeconfig  *user-kubeconfigs .* home:0  */root/.kube/config$" "$T/out" ||
	fail "--list-watched home kubeconfig: $(cat "$T/out")"
grep -q "^6 credentials: sa_token 1, secret 0, kubeconfig 3, pki 2, cloud 0, custom 0, registry 0, ssh 0, etcd 0, ci 0, token 0$" "$T/out" ||
	fail "--list-watched count: $(tail -2 "$T/out")"
grep -q "^refused: symlink 0, outside 0, owner 0, entry_bound 0, pod_bound 0, reserve 0$" "$T/out" ||
	fail "--list-watched refusals: $(tail -1 "$T/out")"

# a hostile file name is printed escaped, on one line
mkdir -p "$ROOT/srv"
fixture_marker > "$ROOT/srv/$(printf 'evil\n\033[31mname')"
expect_exit 0 "" --host-root "$ROOT" --watch /srv --list-watched
grep -q 'evil\\n\\x1b\[31mname' "$T/out" || fail "hostile name not escaped: $(cat -v "$T/out")"

# --duration exits 0 by itself and prints a start-up summary
need_tracefs
timeout 20 "$CW" --host-root "$ROOT" --duration 1 2>"$T/err" || fail "--duration 1 exit $?"
grep -q "hooks: open, openat, openat2, creat, open_by_handle_at, io_uring" "$T/err" || fail "summary hooks"
grep -q "watching 6 credentials" "$T/err" || fail "summary count: $(cat "$T/err")"

# SIGTERM: flush and exit 0; after attaching only CAP_BPF and CAP_DAC_READ_SEARCH remain
"$CW" --host-root "$ROOT" 2>"$T/err" & pid=$!
# (up to 60 s: a loaded machine can take a while to load and attach)
for _ in $(seq 600); do grep -q watching "$T/err" && break; sleep 0.1; done
grep -q watching "$T/err" || fail "agent not ready in 60 s: $(cat "$T/err")"
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
