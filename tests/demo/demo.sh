#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `sudo make demo`: credwatch on a throwaway node, no cluster needed. Builds a
# node under a temporary directory (/var/log/pods, an admin kubeconfig),
# runs the real agent on it, starts three pods in two namespaces the way
# kubelet does (each token volume a tmpfs mounted before the atomic writer
# fills it, tests/lib/kubelet.sh), runs two of them as real containers - a
# private containerd + runc (tests/lib/containerd.sh), busybox images, each
# container in kubelet's cgroupfs layout /kubepods/<qos>/pod<uid>/<id> with
# its token bind-mounted at /var/run/secrets/kubernetes.io/serviceaccount -
# and plays a short attack story, one captioned step at a time. It runs in a
# mount namespace of its own; everything it made is removed at exit, also on
# Ctrl-C or failure.
#
#   tests/demo/demo.sh [--out DIR] [--no-pause]
#     --out DIR    keep the outputs in DIR: alerts.ndjson (Falco JSON, from the
#                  dump), findings.ndjson, events.ndjson, steps.tsv (step, start
#                  ns, end ns), agent.log; tests/integration/test_demo.sh reads them;
#                  report.html and the dump/ it was made from
#                  (without --out the report is $BUILD/demo-report.html)
#     --no-pause   no pauses between steps (the default when stdout is not a terminal)
set -eu
. "$(dirname "$0")/../lib/preamble.sh"	# the repository root, BUILD, fail
. tests/lib/fixture.sh
. tests/lib/agent.sh
. tests/lib/containerd.sh
. tests/lib/kubelet.sh

ARGS=("$@")
OUT=
PAUSE=1
[ -t 1 ] || PAUSE=0
while [ $# -gt 0 ]; do
	case $1 in
	--out) OUT=${2:?--out needs a directory}; shift 2 ;;
	--no-pause) PAUSE=0; shift ;;
	-h|--help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown option: $1 (see --help)" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "demo: needs root (BPF, cgroups, mounts): sudo make demo" >&2; exit 2; }
kubelet_isolate "${ARGS[@]}"	# the pods' mounts die with the demo, whatever happens
for f in "$CREDWATCH" "$BUILD/credwatch-inspect"; do
	[ -x "$f" ] || { echo "demo: $f: not built (run make first)" >&2; exit 2; }
done
CGROOT=$(findmnt -t cgroup2 -n -o TARGET | head -n 1)
[ -n "$CGROOT" ] || { echo "demo: no cgroup2 mount found" >&2; exit 1; }
[ -z "$OUT" ] || mkdir -p "$OUT"

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
	B=$'\e[1m' D=$'\e[2m' C=$'\e[36m' G=$'\e[32m' R=$'\e[0m'
else
	B= D= C= G= R=
fi

# --- two shells: one waits for Ctrl-C, one plays the story --------------------------
# Why not one shell with an INT trap: bash 5.2 (Debian 12 and 13) runs a
# pending trap while it parses a $(...) it is about to expand and then cannot
# parse the trap itself ("interrupt trap: line 2: unexpected EOF while looking
# for matching `)'"; bash 5.3 runs no trap there): the trap is lost and the
# script goes on. A shell blocked in `wait` parses nothing when the signal
# comes. So this shell makes the temp dir and waits; the story runs in a
# background child (SIGINT is ignored there: Ctrl-C is this shell's to handle),
# which this shell stops with SIGTERM. The child's EXIT trap removes what it
# made; whatever a child that died without its trap left (SIGKILL, the same
# bash bug in the EXIT trap), this shell removes from the child's state file.
STATE_VARS=(AGENT_PID CTRD_DIR CTRD_REAPER)
if [ -z "${CW_DEMO_T:-}" ]; then
	T= TRACEFS_MOUNTED= STEPS_PID= INTERRUPTED=
	remove_leftovers() {
		local i AGENT_PID= CTRD_DIR= CTRD_REAPER=
		# shellcheck disable=SC1091
		[ ! -f "$T/.state" ] || . "$T/.state"
		if [ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null; then
			for ((i = 0; i < 100; i++)); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
			kill -KILL "$AGENT_PID" 2>/dev/null || true
		fi
		# containerd's reaper saw the child go and is removing containerd
		for ((i = 0; i < 600; i++)); do
			[ -n "$CTRD_REAPER" ] && kill -0 "$CTRD_REAPER" 2>/dev/null || break
			sleep 0.1
		done
		[ -z "$CTRD_DIR" ] || [ ! -e "$CTRD_DIR" ] || ( set +e; ctrd_reap "$CTRD_DIR" ) >/dev/null 2>&1
		kubelet_cleanup "$T/root"
		rm -rf "$T"
	}
	finish() {
		local rc=$?
		trap - EXIT INT TERM
		[ -z "$T" ] || [ ! -e "$T" ] || remove_leftovers
		[ -z "$TRACEFS_MOUNTED" ] || umount /sys/kernel/tracing 2>/dev/null || true
		[ -z "$INTERRUPTED" ] || rc=130
		[ "$rc" = 0 ] || [ "$rc" = 130 ] || echo "demo: failed (status $rc)" >&2
		[ "$rc" = 0 ] || echo "demo: everything it made was removed" >&2
		exit "$rc"
	}
	trap finish EXIT
	trap 'INTERRUPTED=1; echo; echo "demo: interrupted" >&2
		[ -z "$STEPS_PID" ] || kill -TERM "$STEPS_PID" 2>/dev/null' INT TERM
	if [ ! -d /sys/kernel/tracing/events ]; then
		tests/lib/mount-tracefs.sh
		TRACEFS_MOUNTED=1
	fi
	T=$(mktemp -d /tmp/credwatch-demo.XXXXXX)
	CW_DEMO_T=$T "$BASH" "$0" "${ARGS[@]}" &
	STEPS_PID=$!
	while :; do
		rc=0
		wait "$STEPS_PID" || rc=$?
		# a trap ended the wait: the child is still on its way out
		[ "$rc" -gt 128 ] && kill -0 "$STEPS_PID" 2>/dev/null || break
	done
	exit "$rc"
fi

# --- the story's shell: everything it makes, removed in reverse order ---------------
T=$CW_DEMO_T
save_state() { declare -p "${STATE_VARS[@]}" >"$T/.state"; }
cleanup() {
	local rc=$?
	trap - EXIT
	agent_stop >/dev/null 2>&1 || true
	ctrd_cleanup	# the containers, their cgroups, containerd
	kubelet_cleanup "$T/root"
	rm -rf "$T"
	exit "$rc"
}
trap cleanup EXIT

pause() { [ "$PAUSE" = 0 ] || sleep "${1:-1}"; }
say() { printf '%s\n' "$*"; }
# step N TITLE TEXT: a caption
step() {
	pause 1.5
	printf '\n%s── %s  %s ──%s\n' "$B$C" "$1" "$2" "$R"
	printf '%s\n' "$3" | fold -s -w 78
	STEP=${1%%/*}
	STEP_T0=$(date +%s%N)
}
# step_end: the step's time window, for the test to match alerts to steps
step_end() { printf '%s\t%s\t%s\n' "$STEP" "$STEP_T0" "$(date +%s%N)" >>"$T/steps.tsv"; }
# show WHO CMD: the action, as it would look in a terminal
show() { printf '%s  %s$ %s%s\n' "$D" "$1" "$2" "$R"; }
short() { echo "${1#"$ROOT"}"; }	# a host path as the node sees it

# /metrics, without curl: the demo waits on the agent's counters
metric_sum() {
	local fd
	exec {fd}<>"/dev/tcp/127.0.0.1/$HPORT" || return 1
	printf 'GET /metrics HTTP/1.0\r\nHost: localhost\r\n\r\n' >&"$fd"
	awk -v n="$1" 'index($1, n) == 1 && (substr($1, length(n) + 1, 1) ~ /^[{]?$/) { s += $NF }
		END { printf "%d\n", s }' <&"$fd"
	exec {fd}>&-
}
ALERTS=0
EVENTS=0
# expect_alert: wait until the agent raised one more alert (it printed the line)
expect_alert() {
	for _ in $(seq 200); do
		[ "$(metric_sum credwatch_alerts_total)" -gt "$ALERTS" ] && break
		sleep 0.05
	done
	local now
	now=$(metric_sum credwatch_alerts_total)
	[ "$now" -gt "$ALERTS" ] || fail "step $STEP: no alert in 10 s"
	ALERTS=$now
	EVENTS=$(metric_sum credwatch_events_total)
}
# expect_quiet N: wait until the agent saw N more accesses; no alert may follow
expect_quiet() {
	for _ in $(seq 200); do
		[ "$(metric_sum credwatch_events_total)" -ge $((EVENTS + $1)) ] && break
		sleep 0.05
	done
	sleep 0.3	# rules run right after the event is counted
	EVENTS=$(metric_sum credwatch_events_total)
	[ "$(metric_sum credwatch_alerts_total)" = "$ALERTS" ] || fail "step $STEP: unexpected alert"
	say "  ${G}no alert${R} (the agent saw $1 access$([ "$1" = 1 ] || echo es), no rule matched)"
}

# --- the node ------------------------------------------------------------------
say "${B}credwatch demo${R}: a throwaway node under $T (no cluster needed)"
ROOT=$T/root
mkdir -p "$ROOT/var/lib/kubelet/pods" "$ROOT/etc"
ln -s /proc "$ROOT/proc"		# attribution reads /proc under --host-root
cp /etc/passwd "$ROOT/etc/passwd"	# user.name of host readers
# unique per run: another demo (or its test) may run on this machine
WEB=$(ctrd_pod_uid) DB=$(ctrd_pod_uid) CACHE=$(ctrd_pod_uid)
fixture_host "$ROOT"
ADMIN=$ROOT/etc/kubernetes/admin.conf
CID_WEB=$(ctrd_cid) CID_DB=$(ctrd_cid)
CG_WEB=$(ctrd_pod_cgroup burstable "$WEB" "$CID_WEB")
CG_DB=$(ctrd_pod_cgroup besteffort "$DB" "$CID_DB")
say "  host:    /etc/kubernetes/admin.conf, kubelet.conf, pki/apiserver.key, kubelet client cert"
ctrd_start || fail "containerd did not start"
save_state
ctrd_busybox_image "$T/app.tar" cw.demo/app:1 || fail "cannot build the pods' image"
ctrd_import "$T/app.tar" cw.demo/app:1 || fail "cannot import the pods' image"
say "  runtime: a private containerd $(containerd --version | awk '{ print $3 }') + runc (state in $CTRD_DIR),"
say "           a busybox image for the pods"

HPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AGENT_ARGS=(--host-root "$ROOT" --cgroup-root "$CGROOT" --node-name demo-node
	--cluster-name demo --output - --output-format text --events "$T/events.ndjson"
	--dump "$T/dump" --findings "$T/findings.ndjson" --findings-window 6
	--findings-interval 1 --state-dir "$T/state" --listen "127.0.0.1:$HPORT")
say
say "${B}Starting the agent${R} (alerts come as text on this terminal):"
show host "credwatch --host-root $T/root --cgroup-root $CGROOT --dump DIR --findings FILE --findings-window 6 ..."
agent_start "$T/agent" "${AGENT_ARGS[@]}" || fail "the agent did not start"
save_state
sed -n 's/^credwatch: \(credwatch .*\|hooks: .*\|watching .*\)$/  \1/p' "$T/agent.stderr"

# the pods start after the agent, as on a node that was already running
WEB_VOL=$(kubelet_pod "$ROOT" team-a web "$WEB")
DB_VOL=$(kubelet_pod "$ROOT" team-b db "$DB")
CACHE_VOL=$(kubelet_pod "$ROOT" team-b cache "$CACHE")
WEB_TOKEN=$WEB_VOL/token
DB_TOKEN=$DB_VOL/token
"$BUILD/itests/watched" "$AGENT_PID" has "$WEB_TOKEN" "$DB_TOKEN" "$CACHE_VOL/token" ||
	fail "the pods' tokens are not watched"
say "  pods:    team-a/web, team-b/db, team-b/cache, started by \"kubelet\" after the agent:"
say "           each token volume a tmpfs, mounted before the atomic writer fills it;"
say "           the agent follows the mounts and watches every token within milliseconds"

# The containers: each token volume bind-mounted where kubelet mounts it; web
# also has hostPath mounts of the node's /var/lib/kubelet and /etc/kubernetes
# (the attacker's way in) and of /usr (its image's python3 is the host's;
# its own busybox comes first in PATH).
SA=/var/run/secrets/kubernetes.io/serviceaccount
fixture_container "$ROOT" team-a web "$WEB" app "$CID_WEB"
fixture_container "$ROOT" team-b db "$DB" app "$CID_DB"
ctrd_app "$CID_WEB" "$CG_WEB" cw.demo/app:1 \
	--mount "type=bind,src=$WEB_VOL,dst=$SA,options=rbind:ro" \
	--mount "type=bind,src=$ROOT/var/lib/kubelet,dst=/var/lib/kubelet,options=rbind:ro" \
	--mount "type=bind,src=$ROOT/etc/kubernetes,dst=/etc/kubernetes,options=rbind:ro" \
	--mount "type=bind,src=/usr,dst=/usr,options=rbind:ro" --env PATH=/bin:/usr/bin ||
	fail "cannot run web's container"
ctrd_app "$CID_DB" "$CG_DB" cw.demo/app:1 \
	--mount "type=bind,src=$DB_VOL,dst=$SA,options=rbind:ro" || fail "cannot run db's container"
say "  containers: web and db under runc, started by a containerd-shim, in cgroups"
say "           $CG_WEB"
say "           $CG_DB"

# --- the story -------------------------------------------------------------------
step 0/5 "Normal traffic" "Pod team-b/db's app reads its own service-account token, as a client library does."
show db "cat $SA/token"
ctrd_app_run "$CID_DB" "cat $SA/token"
expect_quiet 1
step_end

step 1/5 "Cross-pod token theft" "An attacker with code execution in pod team-a/web (and a hostPath mount of /var/lib/kubelet) reads the token of pod team-b/db."
show web "cat $(short "$DB_TOKEN")"
ctrd_app_run "$CID_WEB" "cat $(printf %q "$(short "$DB_TOKEN")")"
expect_alert
step_end

step 2/5 "An exec session" "Someone runs kubectl exec into web and reads web's own token with cat. The shell was started by the runtime's shim (ctr task exec, what kubectl exec comes down to on the node), not by the container's init: proc.is_exec_session is true."
show "web (exec)" "sh -c 'cat $SA/token; exit'"
ctrd_exec "$CID_WEB" -- sh -c "cat $SA/token; exit \$?" >/dev/null
expect_alert
step_end

step 3/5 "A network tool takes the admin kubeconfig" "python3 in web, which also has a hostPath mount of /etc/kubernetes, opens the node's admin.conf: the first step of sending it out."
show web "python3 -c 'open(\"$(short "$ADMIN")\", \"rb\").read()'"
ctrd_app_run "$CID_WEB" "python3 -c 'import sys; open(sys.argv[1], \"rb\").read()' $(printf %q "$(short "$ADMIN")")"
expect_alert
step_end

step 4/5 "Token rotation" "The kubelet (a host process named kubelet) rotates db's token with its atomic writer: a new ..<timestamp> directory, a ..data symlink swap. It opens only new files: no alert, and the new token's inode is watched at once. db's app reads the new token through its mount: its own, no alert."
mkdir -p "$T/bin"
cp "$(command -v bash)" "$T/bin/kubelet"
show kubelet "write ..<ts>/token, ln -s ..<ts> ..data_tmp, mv ..data_tmp ..data, rm -r <old>"
STEP=4a
OLD_INO=$(stat -L -c %i "$DB_TOKEN")
"$T/bin/kubelet" -c '. tests/lib/fixture.sh; . tests/lib/kubelet.sh; kubelet_rotate "$1"' \
	kubelet "$DB_VOL"
# inotify on the tmpfs -> rescan of that pod -> kernel map
"$BUILD/itests/watched" "$AGENT_PID" has "$DB_TOKEN" || fail "step 4: the new token is not watched"
sleep 0.3	# rules run right after an event: none may follow
[ "$(metric_sum credwatch_alerts_total)" = "$ALERTS" ] || fail "step 4: the rotation raised an alert"
say "  ${G}no alert${R}; db's token is now inode $(stat -L -c %i "$DB_TOKEN") (was $OLD_INO)"
show db "cat $SA/token"
ctrd_app_run "$CID_DB" "cat $SA/token"
expect_quiet 1
step_end
say "The thief in web reads db's token again, through the same path:"
STEP=4b
STEP_T0=$(date +%s%N)
show web "cat $(short "$DB_TOKEN")"
ctrd_app_run "$CID_WEB" "cat $(printf %q "$(short "$DB_TOKEN")")"
expect_alert
step_end

step 5/5 "Tampering" "A process on the node that is not the kubelet truncates db's token (O_TRUNC)."
show host ": > $(short "$DB_TOKEN")"
sh -c ': > "$1"' sh "$DB_TOKEN"
expect_alert
step_end

# --- what the agent concluded ------------------------------------------------------
pause 1.5
say
say "${B}Findings${R} (posture, every --findings-interval; the window is 6 s here, a day by default):"
for _ in $(seq 100); do	# the never-read token of cache is found once the window has passed
	grep -q '"unused_sa_token"' "$T/findings.ndjson" 2>/dev/null && break
	sleep 0.1
done
agent_stop || fail "the agent exited with an error: $(tail -n 3 "$T/agent.stderr")"
python3 - "$T/findings.ndjson" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    f = json.loads(l)
    if f["status"] != "open":
        continue
    r = f["resource"]
    who = "%s/%s" % (r["namespace"], r["pod"]) if r["pod"] else r["path"]
    print("  %-8s %-27s %s" % (f["severity"], f["type"], who))
    print("           fix: %s" % (f["recommendation"]["command"] or f["recommendation"]["summary"][:70]))
PY

"$BUILD/credwatch-inspect" alerts "$T/dump" >"$T/alerts.ndjson"
say
say "${B}Alerts raised${R} (Falco JSON in the dump: credwatch-inspect alerts DIR):"
python3 - "$T/alerts.ndjson" <<'PY'
import collections, json, sys
n = collections.Counter()
for l in open(sys.argv[1]):
    a = json.loads(l)
    n[(a["priority"], a["rule"])] += 1
for (prio, rule), c in sorted(n.items(), key=lambda x: x[0][1]):
    print("  %d  %-8s %s" % (c, prio, rule))
PY

say
say "${B}The dump${R}:"
show host "credwatch-inspect summary DIR"
"$BUILD/credwatch-inspect" summary "$T/dump" | sed 's/^/  /'

if [ -n "$OUT" ]; then
	cp "$T/alerts.ndjson" "$T/findings.ndjson" "$T/events.ndjson" "$T/steps.tsv" "$OUT/"
	cp "$T/agent.stderr" "$OUT/agent.log"
fi
say
say "Done: the agent stopped; every container, cgroup, mount and file the demo made is removed at exit."

# --- the report: one HTML page of the dump ------------------------------------------
if [ -n "$OUT" ]; then REPORT=$OUT/report.html; cp -r "$T/dump" "$OUT/dump"
else REPORT=$BUILD/demo-report.html; fi
"$BUILD/credwatch-inspect" report "$T/dump" --output "$REPORT" || fail "credwatch-inspect report failed"
[ -z "${SUDO_UID:-}" ] || chown "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$REPORT"
say "Report: $(realpath "$REPORT") (credwatch-inspect report DIR --output FILE; open it in a browser)"
