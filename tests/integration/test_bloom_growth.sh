#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The kernel's pre-filter bitmap starts at 2^15 bits and doubles while the
# watched set grows (bpf/credwatch.h). Every watched inode must still be
# caught across each growth: at start-up (6,000 credentials: two doublings)
# and while running (6,000 more: one more), including right after a growth,
# before the old size's bits are cleaned.
set -eu
cd "$(dirname "$0")/../.."
. tests/lib/agent.sh
tests/lib/mount-tracefs.sh

T=$(mktemp -d /tmp/cw-bloom.XXXXXX)
cleanup() {
	agent_stop || true
	rm -rf "$T"
}
trap cleanup EXIT

ROOT=$T/root
mkdir -p "$ROOT/srv/a" "$ROOT/srv/b"
python3 - "$ROOT/srv/a" 6000 <<'PY'
import os, sys
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], "k%05d" % i), "w") as f:
        f.write("CWMARKER-bloom\n")
PY
HPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
watched() {	# the agent's watched-credentials gauge, summed over kinds
	curl -sf "http://127.0.0.1:$HPORT/metrics" |
		awk '/^credwatch_watched_credentials\{/ { n += $2 } END { print n + 0 }'
}
# --cgroup-budget off: this shell's cgroup opens 2,600 credentials in a few
# seconds, re-reading some, which is over any sane per-cgroup budget; the
# exact counts below are about the bitmap, not the budget (tests/redteam/).
agent_start "$T/agent" --host-root "$ROOT" --watch /srv --events "$T/events.ndjson" \
	--output /dev/null --listen "127.0.0.1:$HPORT" --cgroup-budget off
grep -q "watching 6000 credentials" "$T/agent.stderr" || fail "start-up count: $(cat "$T/agent.stderr")"

# open every 7th file of the first set, from one process
opener() {	# DIR STEP N: open DIR/k* every STEP-th of N, print how many
	python3 - "$1" "$2" "$3" <<'PY'
import os, sys
d, step, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = 0
for i in range(0, n, step):
    os.close(os.open(os.path.join(d, "k%05d" % i), os.O_RDONLY))
    c += 1
print(c, os.getpid())
PY
}
read -r n1 pid1 < <(opener "$ROOT/srv/a" 7 6000)

# grow while running: 6,000 more files appear under the watched directory
python3 - "$ROOT/srv/b" 6000 <<'PY'
import os, sys
for i in range(int(sys.argv[2])):
    with open(os.path.join(sys.argv[1], "k%05d" % i), "w") as f:
        f.write("CWMARKER-bloom\n")
PY
# the agent rescans /srv on inotify: wait until its gauge counts every file
for _ in $(seq 150); do
	[ "$(watched)" = 12000 ] && break
	sleep 0.1
done
[ "$(watched)" = 12000 ] || fail "the agent watches $(watched) credentials, not 12000"
read -r n2 pid2 < <(opener "$ROOT/srv/b" 7 6000)
read -r n3 pid3 < <(opener "$ROOT/srv/a" 5 6000)
sleep 0.5
agent_stop || fail "agent exit"

python3 tests/lib/events.py "$T/events.ndjson" --where proc.pid="$pid1" --count "$n1" \
	|| fail "first set: not every open caught"
python3 tests/lib/events.py "$T/events.ndjson" --where proc.pid="$pid2" --count "$n2" \
	|| fail "files added while running: not every open caught"
python3 tests/lib/events.py "$T/events.ndjson" --where proc.pid="$pid3" --count "$n3" \
	|| fail "first set after growing: not every open caught"
echo "bloom growth ok ($n1 + $n2 + $n3 opens caught)"
