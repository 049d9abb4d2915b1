#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ab_bpfstats.sh OLD NEW [ROUNDS] - the miss path of two agent builds, as
# the kernel measures it: bpf_stats run_time_ns/run_cnt of each agent's
# sys_exit_openat program over 1,000,000 opens of one unwatched file and
# 300,000 opens over 10k unwatched files, 10k watched, agents interleaved
# (OLD NEW, NEW OLD, ...). OLD and NEW are credwatch binaries (e.g. one built
# from another commit with `git archive C | tar -x -C DIR && make -C DIR`);
# extra flags for NEW in AB_NEW_ARGS (e.g. --ia32-syscalls off). Prints one
# line per run, "WHO ONE_FILE_NS TEN_K_NS", then the medians. Run as root
# after `make bench` made the fixtures (build/bench/fixture).
set -eu
cd "$(dirname "$0")/../.."
OLD=${1:?usage: ab_bpfstats.sh OLD NEW [ROUNDS]}
NEW=${2:?usage: ab_bpfstats.sh OLD NEW [ROUNDS]}
ROUNDS=${3:-5}
BUILD=${BUILD:-build}
FIX=$BUILD/bench/fixture
LOOP=$BUILD/bench-bin/openloop
# shellcheck disable=SC2206
NEW_ARGS=(${AB_NEW_ARGS:-})
[ -d "$FIX/small/srv/creds" ] && [ -x "$LOOP" ] || { echo "run make bench first" >&2; exit 1; }
tests/lib/mount-tracefs.sh
T=$(mktemp -d /tmp/cw-ab.XXXXXX)
PID=
old_stats=$(sysctl -n kernel.bpf_stats_enabled)
cleanup() {
	[ -z "$PID" ] || { kill -TERM "$PID" 2>/dev/null; wait "$PID" 2>/dev/null || true; }
	sysctl -qw kernel.bpf_stats_enabled="$old_stats"
	rm -rf "$T"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

stats() {	# "run_cnt run_time_ns" of the agent's sys_exit_openat program
	python3 - "$PID" <<'PY'
import json, os, subprocess, sys
pid = sys.argv[1]
for fd in os.listdir("/proc/%s/fdinfo" % pid):
    try:
        info = dict(l.split(":", 1) for l in open("/proc/%s/fdinfo/%s" % (pid, fd)) if ":" in l)
    except OSError:
        continue
    if "prog_id" not in info:
        continue
    p = json.loads(subprocess.check_output(["bpftool", "prog", "show", "id",
                                            info["prog_id"].strip(), "-j"]))
    if p.get("name") in ("tracepoint__syscalls__sys_exit_openat",
                         "tracepoint__syscalls__sys_exit_openat__compat"):
        print(p.get("run_cnt", 0), p.get("run_time_ns", 0))
        break
PY
}

run() {	# run WHO BIN ARGS...: one sample
	local who=$1 bin=$2 a b c; shift 2
	: >"$T/err"
	taskset -c 0 "$bin" --host-root "$FIX/small" --watch /srv/creds --max-watched 131072 \
		--output /dev/null "$@" 2>"$T/err" &
	PID=$!
	for _ in $(seq 600); do grep -q 'watching [0-9]* credentials' "$T/err" && break; sleep 0.02; done
	grep -q 'watching [0-9]* credentials' "$T/err" || { cat "$T/err" >&2; exit 1; }
	a=$(stats)
	taskset -c 1 "$LOOP" 1 1000000 "$FIX/plain/one" >/dev/null
	b=$(stats)
	taskset -c 1 "$LOOP" 1 300000 -d "$FIX/plain" 10000 >/dev/null
	c=$(stats)
	kill -TERM "$PID"; wait "$PID" || true; PID=
	python3 -c 'import sys
a, b, c = [list(map(int, x.split())) for x in sys.argv[2:5]]
print(sys.argv[1], round((b[1] - a[1]) / (b[0] - a[0]), 1), round((c[1] - b[1]) / (c[0] - b[0]), 1))' \
		"$who" "$a" "$b" "$c" | tee -a "$T/samples"
}

for r in $(seq 1 "$ROUNDS"); do
	if (( r % 2 )); then run old "$OLD"; run new "$NEW" "${NEW_ARGS[@]}"
	else run new "$NEW" "${NEW_ARGS[@]}"; run old "$OLD"; fi
done
python3 - "$T/samples" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for who in ("old", "new"):
    one = [float(r[1]) for r in rows if r[0] == who]
    ten = [float(r[2]) for r in rows if r[0] == who]
    print("%s: one file %.1f ns/run (%.1f-%.1f), 10k files %.1f ns/run (%.1f-%.1f)" % (
        who, statistics.median(one), min(one), max(one), statistics.median(ten), min(ten), max(ten)))
PY
