#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# credwatch benchmarks: what the agent costs a node, side by side with the
# tools people run instead, in the same run. Run as root.
#   tests/bench/run.sh [quick|full]
# Writes build/bench/results.md (table), build/bench/results.json (every
# sample) and prints the table. Only ratios to a same-run baseline and
# medians with their spread: nothing here asserts an absolute time.
#
# One function per stage (stage_miss, stage_hit, ...); STAGES selects and
# orders them ("miss bpfstats hit memory discovery rotation delivery dump
# redact flood" by default). Environment:
#   BENCH_AGENT_ARGS  extra agent flags for every agent run (e.g. --rules F
#                     --output F --dump D once those land)
#   BENCH_HIT_ARGS    extra agent flags for the hit-path run only
#   BENCH_ROUNDS, BENCH_OPENS, BENCH_HIT_SECONDS, BENCH_HIT_PROCS,
#   BENCH_ROT_ROUNDS, BENCH_MOUNT_ROUNDS  override the mode's defaults
#   BENCH_HIT_PACE    opens/s of the paced hit-path run (default 300000)
#   BENCH_DRAIN_MB    spool filled for the drain row (quick 8, full 64)
#   BENCH_DUMP_HIT_SECONDS, BENCH_INSPECT_EVENTS  the dump stage's sizes
#   BENCH_REPORT_EVENTS, BENCH_REPORT_PODS  the report stage's dump (quick:
#                     300,000 events, full: 1,000,000; 5,000 pods)
#   BENCH_LOOP_CPU=1, BENCH_TRACER_CPU=0  where the loop and tracers run
#   BENCH_FLOOD_SECONDS, BENCH_FLOOD_READS, BENCH_REPEAT_OPENS  the flood stage's sizes
# A new stage: write stage_NAME, record samples with `sample KEY WHAT UNIT
# BASELINE TARGET VALUE...`, add NAME to STAGES.
set -eu
cd "$(dirname "$0")/../.."

MODE=${1:-quick}
case $MODE in
quick)	ROUNDS=${BENCH_ROUNDS:-3}; OPENS=${BENCH_OPENS:-200000}; HIT_S=${BENCH_HIT_SECONDS:-2}
	HIT_ROUNDS=1; ROT_ROUNDS=${BENCH_ROT_ROUNDS:-5}; DISC_ROUNDS=2; MOUNT_ROUNDS=${BENCH_MOUNT_ROUNDS:-30}
	MISS_CONFIGS="none floor cw10k cw10k_noia32 cw100k bpftrace"
	DELIV_ROUNDS=1; DELIV_SINK_N=30000; DELIV_FAKE_N=8000; DRAIN_MB=${BENCH_DRAIN_MB:-8}
	DUMP_ROUNDS=1; DUMP_HIT_S=${BENCH_DUMP_HIT_SECONDS:-1}; INSPECT_N=${BENCH_INSPECT_EVENTS:-300000}
	REPORT_ROUNDS=1; REPORT_N=${BENCH_REPORT_EVENTS:-300000}
	REDACT_ROUNDS=3; REDACT_ITERS=100000
	FLOOD_ROUNDS=1; FLOOD_S=${BENCH_FLOOD_SECONDS:-5}; FLOOD_READS=${BENCH_FLOOD_READS:-20}
	DEFAULT_STAGES="miss bpfstats hit memory discovery rotation delivery dump report redact flood" ;;
full)	ROUNDS=${BENCH_ROUNDS:-5}; OPENS=${BENCH_OPENS:-1000000}; HIT_S=${BENCH_HIT_SECONDS:-5}
	HIT_ROUNDS=3; ROT_ROUNDS=${BENCH_ROT_ROUNDS:-20}; DISC_ROUNDS=5; MOUNT_ROUNDS=${BENCH_MOUNT_ROUNDS:-100}
	MISS_CONFIGS="none floor cw10k cw10k_noia32 cw100k bpftrace opensnoop"
	DELIV_ROUNDS=3; DELIV_SINK_N=200000; DELIV_FAKE_N=30000; DRAIN_MB=${BENCH_DRAIN_MB:-64}
	DUMP_ROUNDS=3; DUMP_HIT_S=${BENCH_DUMP_HIT_SECONDS:-3}; INSPECT_N=${BENCH_INSPECT_EVENTS:-2000000}
	REPORT_ROUNDS=3; REPORT_N=${BENCH_REPORT_EVENTS:-1000000}
	REDACT_ROUNDS=7; REDACT_ITERS=200000
	FLOOD_ROUNDS=3; FLOOD_S=${BENCH_FLOOD_SECONDS:-8}; FLOOD_READS=${BENCH_FLOOD_READS:-40}
	DEFAULT_STAGES="miss bpfstats hit memory discovery rotation delivery dump report redact flood" ;;
*)	echo "usage: $0 [quick|full]" >&2; exit 2 ;;
esac
STAGES=${STAGES:-$DEFAULT_STAGES}
BURSTS=${BENCH_BURSTS:-5}
HIT_PROCS=${BENCH_HIT_PROCS:-1}
HIT_PACE=${BENCH_HIT_PACE:-300000}
LOOP_CPU=${BENCH_LOOP_CPU:-1}
TRACER_CPU=${BENCH_TRACER_CPU:-0}
PODS=5000
HOMES=200	# users' homes on the node, each with what a jump host's users keep
BIG=100000
SMALL=10000
REPEAT_OPENS=${BENCH_REPEAT_OPENS:-1000000}

BUILD=${BUILD:-build}
BIN=$BUILD/bench-bin
CREDWATCH=$BUILD/credwatch
OUT=$BUILD/bench
FIX=$OUT/fixture
WORK=$OUT/work
TSV=$OUT/samples.tsv
# shellcheck disable=SC2206
AGENT_EXTRA=(${BENCH_AGENT_ARGS:-})
# shellcheck disable=SC2206
HIT_EXTRA=(${BENCH_HIT_ARGS:-})

die() { echo "bench: $*" >&2; exit 1; }
log() { printf 'bench: %s\n' "$*" >&2; }

[ "$(id -u)" = 0 ] || die "run as root (BPF programs are loaded)"
# the discovery and rotation stages mount tmpfs volumes as kubelet does: in a
# mount namespace of this run's own, they go with it whatever happens
. tests/lib/fixture.sh
. tests/lib/kubelet.sh
. tests/lib/catalog-tree.sh
kubelet_isolate "$MODE"
SHIP_DRIVE=$BUILD/itests/ship_drive
INSPECT=$BUILD/credwatch-inspect
for b in "$CREDWATCH" "$BIN/openloop" "$BIN/hitgen" "$BIN/rotlat" "$BIN/floor" "$SHIP_DRIVE" \
	"$INSPECT" "$BIN/redact_cost" "$BUILD/itests/flooder" "$BUILD/itests/opener"; do
	[ -x "$b" ] || die "$b missing: run make first"
done
tests/lib/mount-tracefs.sh
mkdir -p "$OUT" "$WORK"
: > "$TSV"

# sample KEY WHAT UNIT BASELINE TARGET VALUE... : one row of the table.
# BASELINE is the key whose median divides this one's ("-" for none);
# TARGET is "ratio<=1.05", "median>=300000", "median==0" or "-".
sample() {
	local key=$1 what=$2 unit=$3 base=$4 target=$5; shift 5
	local IFS=,
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$key" "$what" "$unit" "$base" "$target" "$*" >> "$TSV"
}

# ---------------------------------------------------------------- fixtures
# Reused across runs (stamp); rotations only touch pod 0's volume.
FIX_STAMP="v2 pods=$PODS big=$BIG small=$SMALL catalog=all homes=$HOMES"
make_fixture() {
	if [ "$(cat "$FIX/stamp" 2>/dev/null)" = "$FIX_STAMP" ]; then
		return 0
	fi
	log "generating fixtures under $FIX (once)"
	rm -rf "$FIX"
	mkdir -p "$FIX"
	python3 - "$FIX" "$BIG" "$SMALL" <<'EOF'
import os, sys
fix, big, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def files(d, n, mode, data):
    os.makedirs(d)
    for i in range(n):
        fd = os.open("%s/f%d" % (d, i), os.O_WRONLY | os.O_CREAT, mode)
        if data:
            os.write(fd, data)
        os.close(fd)
files(fix + "/big/srv/creds", big, 0o600, b"CWMARKER-bench\n")      # 100k watched
files(fix + "/small/srv/creds", small, 0o600, b"CWMARKER-bench\n")  # 10k watched
files(fix + "/plain", small, 0o644, b"")                             # 10k unwatched
with open(fix + "/plain/one", "w") as f:
    f.write("not a credential\n")
EOF
	python3 tests/bench/podgen.py "$FIX/node" "$PODS"
	# the full catalog's work on the host: every node type's files (the
	# fixture trees of tests/fixtures/catalog) and $HOMES users' homes
	for t in tests/fixtures/catalog/*.tree; do
		catalog_tree "$FIX/node" "$(basename "$t" .tree)"
	done
	python3 - "$FIX/node/home" "$HOMES" <<'EOF'
import os, sys
home, n = sys.argv[1], int(sys.argv[2])
creds = [".kube/config", ".kube/prod.yaml", ".kube/staging.conf", ".ssh/id_ed25519",
         ".aws/credentials", ".config/gcloud/credentials.db", ".docker/config.json",
         ".git-credentials"]
public = [".ssh/id_ed25519.pub", ".ssh/known_hosts", ".bashrc", ".bash_history",
          ".kube/cache/discovery/x/servergroups.json", "notes.txt", "src/app/main.c"]
for i in range(n):
    for rel, data in [(c, b"CWMARKER-bench\n") for c in creds] + [(p, b"public\n") for p in public]:
        path = os.path.join(home, "user%03d" % i, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, data)
        os.close(fd)
EOF
	# the 100k-credential node is the 5,000-pod node plus 100k files
	mkdir -p "$FIX/node/srv"
	ln -s ../../big/srv/creds "$FIX/node/srv/creds"
	echo "$FIX_STAMP" > "$FIX/stamp"
}

pod_volume() {	# pod_volume N: pod N's projected volume dir
	echo "$FIX/node/var/lib/kubelet/pods/00000000-0000-4000-8000-$(printf %012d "$1")/volumes/kubernetes.io~projected/kube-api-access-$(printf %05d "$1")"
}

# ------------------------------------------------------------ tracers
TRACER_PID=
AGENT_PID=

# agent_start NAME ARGS...: credwatch on TRACER_CPU, wait for "watching".
agent_start() {
	local name=$1; shift
	AGENT_LOG=$WORK/$name.stderr
	# empty before the start: the wait below must not find the previous
	# run's "watching" line (names repeat across rounds) and return early
	: >"$AGENT_LOG"
	# alerts (stdout) to a file: the caller may be reading our stdout
	taskset -c "$TRACER_CPU" "$CREDWATCH" "$@" "${AGENT_EXTRA[@]}" >"$WORK/$name.stdout" 2>"$AGENT_LOG" &
	AGENT_PID=$!
	AGENT_T0=$(date +%s%N)
	for _ in $(seq 1 1200); do
		if grep -q 'watching [0-9]* credentials' "$AGENT_LOG"; then
			AGENT_READY_MS=$(( ($(date +%s%N) - AGENT_T0) / 1000000 ))
			return 0
		fi
		kill -0 "$AGENT_PID" 2>/dev/null || { cat "$AGENT_LOG" >&2; die "agent $name exited"; }
		sleep 0.01
	done
	cat "$AGENT_LOG" >&2
	die "agent $name not ready in 12 s"
}

agent_stop() {
	[ -n "$AGENT_PID" ] || return 0
	kill -TERM "$AGENT_PID" 2>/dev/null || true
	wait "$AGENT_PID" || die "agent exited non-zero: $(tail -3 "$AGENT_LOG")"
	AGENT_PID=
}

prog_ids() { bpftool prog show -j | python3 -c 'import json,sys; print(" ".join(str(p["id"]) for p in json.load(sys.stdin)))'; }

# peer_start NAME CMD...: a peer tracer on TRACER_CPU, ready once it has
# loaded a new BPF program and had 0.5 s to attach it.
peer_start() {
	local name=$1 before now; shift
	before=" $(prog_ids) "
	taskset -c "$TRACER_CPU" "$@" >/dev/null 2>"$WORK/$name.stderr" &
	TRACER_PID=$!
	for _ in $(seq 1 300); do
		for id in $(prog_ids); do
			case $before in *" $id "*) ;; *) now=$id ;; esac
		done
		[ -n "${now:-}" ] && { sleep 0.5; return 0; }
		kill -0 "$TRACER_PID" 2>/dev/null || { cat "$WORK/$name.stderr" >&2; die "$name exited"; }
		sleep 0.05
	done
	die "$name loaded no BPF program in 15 s"
}

peer_stop() {
	[ -n "$TRACER_PID" ] || return 0
	kill -INT "$TRACER_PID" 2>/dev/null || true
	wait "$TRACER_PID" 2>/dev/null || true
	TRACER_PID=
}

# the tracepoints credwatch attaches to, for the empty-program floor
CW_HOOKS="syscalls/sys_exit_open syscalls/sys_exit_openat syscalls/sys_exit_openat2
	syscalls/sys_exit_creat syscalls/sys_exit_open_by_handle_at io_uring/io_uring_complete"

OPENSNOOP=$(command -v opensnoop || ls /usr/sbin/opensnoop /usr/share/bcc/tools/opensnoop 2>/dev/null | head -1 || true)

config_start() {
	case $1 in
	none) ;;
	floor) peer_start floor "$BIN/floor" $CW_HOOKS ;;
	cw10k) agent_start cw10k --host-root "$FIX/small" --watch /srv/creds --max-watched 131072 ;;
	cw10k_noia32) agent_start cw10k_noia32 --host-root "$FIX/small" --watch /srv/creds \
		--max-watched 131072 --ia32-syscalls off ;;
	cw100k) agent_start cw100k --host-root "$FIX/node" --watch /srv/creds --max-watched 131072 ;;
	bpftrace) peer_start bpftrace bpftrace -e 'tracepoint:syscalls:sys_exit_openat { @[comm] = count(); }' ;;
	opensnoop) peer_start opensnoop "$OPENSNOOP" ;;
	esac
}

config_stop() {
	case $1 in
	cw*) agent_stop ;;
	floor|bpftrace|opensnoop) peer_stop ;;
	esac
}

config_what() {
	case $1 in
	none) echo "no tracer" ;;
	floor) echo "empty BPF programs on credwatch's 6 hooks (the floor)" ;;
	cw10k) echo "credwatch, 10k watched (defaults: on this kernel the ia32 raw_syscalls program runs on every syscall)" ;;
	cw10k_noia32) echo "credwatch, 10k watched, --ia32-syscalls off (the open hooks alone)" ;;
	cw100k) echo "credwatch, 115k watched (100k files + 5,000 pods)" ;;
	bpftrace) echo "bpftrace counting sys_exit_openat by comm" ;;
	opensnoop) echo "libbpf-tools opensnoop > /dev/null" ;;
	esac
}

FLOOD_PIDS=()
cleanup() {
	for p in "${FLOOD_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	backend_stop 2>/dev/null || true
	agent_stop 2>/dev/null || true
	peer_stop 2>/dev/null || true
	cg_cleanup 2>/dev/null || true
}
trap cleanup EXIT

# ------------------------------------------------------------ stages

# Miss path: openat+close of files nobody watches, interleaved rounds; the
# config order is reversed every other round (A B C, C B A) to cancel drift.
stage_miss() {
	local configs order r c v
	configs=$MISS_CONFIGS
	[ -n "$OPENSNOOP" ] || configs=${configs/opensnoop/}
	declare -A same=() many=()
	for r in $(seq 1 "$ROUNDS"); do
		order=$configs
		(( r % 2 == 0 )) && order=$(echo "$configs" | tr ' ' '\n' | tac | tr '\n' ' ')
		for c in $order; do
			config_start "$c"
			v=$(taskset -c "$LOOP_CPU" "$BIN/openloop" -b "$BURSTS" "$LOOP_CPU" "$OPENS" "$FIX/plain/one")
			same[$c]="${same[$c]:-} $v"
			v=$(taskset -c "$LOOP_CPU" "$BIN/openloop" -b "$BURSTS" "$LOOP_CPU" "$OPENS" -d "$FIX/plain" "$SMALL")
			many[$c]="${many[$c]:-} $v"
			config_stop "$c"
		done
		log "miss: round $r/$ROUNDS done"
	done
	for c in $configs; do
		local target=- 
		case $c in cw*) target="ratio<=1.05" ;; esac
		# shellcheck disable=SC2086
		sample "miss.one.$c" "miss path, one file: $(config_what "$c")" "ns/open" \
			miss.one.none "$target" ${same[$c]}
	done
	for c in $configs; do
		local target=-
		case $c in cw*) target="ratio<=1.05" ;; esac
		# shellcheck disable=SC2086
		sample "miss.10k.$c" "miss path, 10k files: $(config_what "$c")" "ns/open" \
			miss.10k.none "$target" ${many[$c]}
	done
}

# Kernel-side cost per program run, from kernel.bpf_stats_enabled: a
# direct measure that no scheduling noise reaches. Separate from stage_miss
# because the stats themselves add two clock reads per run.
stage_bpfstats() {
	local old a b c
	old=$(sysctl -n kernel.bpf_stats_enabled)
	sysctl -qw kernel.bpf_stats_enabled=1
	agent_start bpfstats --host-root "$FIX/node" --watch /srv/creds --max-watched 131072
	a=$(openat_prog_stats)
	c=$(prog_stats raw_tracepoint__sys_exit_ia32)
	taskset -c "$LOOP_CPU" "$BIN/openloop" "$LOOP_CPU" "$OPENS" "$FIX/plain/one" >/dev/null
	b=$(openat_prog_stats)
	sample bpf.miss_one "openat program per run, miss path, one file, 115k watched (bpf_stats)" \
		"ns/run" - - "$(stats_delta "$a" "$b")"
	# where the kernel runs 32-bit code but no tracing programs (as here):
	# the ia32 raw_syscalls program, on every syscall of the node
	if [ -n "$c" ]; then
		sample bpf.ia32_raw "ia32 raw_syscalls program per run, every syscall (openat+close loop) (bpf_stats)" \
			"ns/run" - - "$(stats_delta "$c" "$(prog_stats raw_tracepoint__sys_exit_ia32)")"
	fi
	taskset -c "$LOOP_CPU" "$BIN/openloop" "$LOOP_CPU" "$OPENS" -d "$FIX/plain" "$SMALL" >/dev/null
	a=$(openat_prog_stats)
	sample bpf.miss_10k "openat program per run, miss path, 10k files, 115k watched (bpf_stats)" \
		"ns/run" - - "$(stats_delta "$b" "$a")"
	agent_stop
	sysctl -qw kernel.bpf_stats_enabled="$old"
}

# "run_cnt run_time_ns" of the agent's sys_exit_openat program (by its fds)
openat_prog_stats() { prog_stats tracepoint__syscalls__sys_exit_openat; }

# prog_stats NAME: "run_cnt run_time_ns" of the agent's program NAME (fast or
# compat variant), nothing when it has none attached
prog_stats() {
	python3 - "$AGENT_PID" "$1" <<'EOF'
import json, os, subprocess, sys
pid, name = sys.argv[1], sys.argv[2]
for fd in os.listdir("/proc/%s/fdinfo" % pid):
    try:
        info = dict(l.split(":", 1) for l in open("/proc/%s/fdinfo/%s" % (pid, fd)) if ":" in l)
    except OSError:
        continue
    if "prog_id" not in info or "run_cnt" not in info:
        continue
    p = json.loads(subprocess.check_output(["bpftool", "prog", "show", "id",
                                            info["prog_id"].strip(), "-j"]))
    if p.get("name") in (name, name + "__compat"):   # bpftool's full names (from BTF)
        print(p.get("run_cnt", 0), p.get("run_time_ns", 0))
        break
EOF
}

stats_delta() {	# stats_delta "CNT NS" "CNT NS": ns per run in between
	python3 -c 'import sys; a=sys.argv[1].split(); b=sys.argv[2].split(); n=int(b[0])-int(a[0]); print("%.1f" % ((int(b[1])-int(a[1]))/n if n else 0))' "$1" "$2"
}

# Hit path: hitgen opens watched tokens; every open must be an event or a
# counted drop. The main pipeline is the issue's: attribution, the default
# rules, alerts to a file (--output), dumps on (--dump), no --events.
# Extra rows: the same plus --events to a file, and the sensor alone (no
# rules, no dump, no output: kernel, ring buffer, decoding, attribution),
# which shows where the ceiling is. "offered 300k/s" paces hitgen to
# 300,000 opens/s (hitgen -r) against the main pipeline: the target's claim
# (>= 300k/s with zero drops) measured directly.
hit_run() {	# hit_run pipeline|nodump|events|sensor RATE|0 -> "rate drops exact cpu offered us/event"
	local conf=$1 rate=$2 out opens secs events drops t0 t1 args=() gen=()
	local toks=() ev=$WORK/hit.ndjson
	for i in 0 1 2 3; do toks+=("$(pod_volume $i)/token"); done
	rm -rf "$ev" "$WORK/hit.alerts" "$WORK/hit.dump"
	case $conf in
	pipeline) args=(--output "$WORK/hit.alerts" --dump "$WORK/hit.dump") ;;
	nodump) args=(--output "$WORK/hit.alerts") ;;
	events) args=(--output "$WORK/hit.alerts" --dump "$WORK/hit.dump" --events "$ev") ;;
	sensor) printf -- '- list: nothing\n  items: []\n' > "$WORK/norules.yaml"
		args=(--rules "$WORK/norules.yaml" --output /dev/null) ;;
	esac
	[ "$rate" = 0 ] || gen=(-r "$rate")
	# hitgen's processes re-open the same tokens: with the defaults those
	# are repeats (no event at all, see stage_flood); the hit path is every
	# open an event, as before aggregation and the budget
	args+=(--repeat-window-ms 0 --cgroup-budget off)
	TRACER_CPU=0-$(( $(nproc) - 1 )) agent_start hit --host-root "$FIX/node" "${args[@]}" "${HIT_EXTRA[@]}"
	# on-CPU ns of the agent (schedstat): CPU per event is steadier than
	# events/s on a shared machine, where the agent may simply not get a CPU
	t0=$(awk '{print $1}' "/proc/$AGENT_PID/schedstat")
	out=$("$BIN/hitgen" "${gen[@]}" "$HIT_PROCS" "$HIT_S" "${toks[@]}")
	t1=$(awk '{print $1}' "/proc/$AGENT_PID/schedstat")
	agent_stop
	opens=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["opens"])' "$out")
	secs=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["seconds"])' "$out")
	# "stopping: N credential accesses seen, N lost in the kernel"
	read -r events drops < <(sed -n 's/.*stopping: \([0-9]*\) credential accesses seen, \([0-9]*\) lost.*/\1 \2/p' "$AGENT_LOG")
	if [ "$conf" = events ]; then	# the stream's own summary must agree
		python3 - "$ev" "$events" "$drops" <<'EOF2' || die "hit: --events summary disagrees with the log"
import json, sys
s = None
for line in open(sys.argv[1]):
    if line.startswith('{"credwatch.summary"'):
        s = json.loads(line)["credwatch.summary"]
sys.exit(0 if s and s["events"] == int(sys.argv[2]) and s["kernel_drops"] == int(sys.argv[3]) else 1)
EOF2
	fi
	if [ "$conf" != sensor ]; then	# the pipeline really ran: alerts out, a dump written
		[ -s "$WORK/hit.alerts" ] || die "hit: $conf: no alert was written"
		[ "$conf" = nodump ] || ls "$WORK/hit.dump"/* >/dev/null 2>&1 ||
			die "hit: $conf: no dump file was written"
	fi
	log "hit: $conf${gen[*]:+ ${gen[*]}}: opens $opens events $events drops $drops in $secs s"
	rm -rf "$ev" "$WORK/hit.dump"
	python3 -c "print(round($events / $secs), $drops, int($opens == $events + $drops), round(100 * ($t1 - $t0) / 1e9 / $secs), round($opens / $secs), round(($t1 - $t0) / 1e3 / max($events, 1), 3))"
}

stage_hit() {
	local r a b c d e f
	local rates="" drops="" exact="" cpu="" offered="" cost="" ecost="" scost=""
	local prates="" pdrops="" pexact="" pcpu="" poffered=""
	local erates="" edrops="" ecpu="" srates="" sdrops="" sexact=""
	for r in $(seq 1 "$HIT_ROUNDS"); do
		read -r a b c d e f < <(hit_run pipeline 0)
		rates="$rates $a"; drops="$drops $b"; exact="$exact $c"; cpu="$cpu $d"; offered="$offered $e"
		cost="$cost $f"
		read -r a b c d e f < <(hit_run pipeline "$HIT_PACE")
		prates="$prates $a"; pdrops="$pdrops $b"; pexact="$pexact $c"; pcpu="$pcpu $d"; poffered="$poffered $e"
		read -r a b c d e f < <(hit_run events 0)
		erates="$erates $a"; edrops="$edrops $b"; ecpu="$ecpu $d"; ecost="$ecost $f"
		read -r a b c d e f < <(hit_run sensor 0)
		srates="$srates $a"; sdrops="$sdrops $b"; sexact="$sexact $c"; scost="$scost $f"
	done
	local p="hit path, pipeline (attribution, default rules, --output FILE, --dump DIR)"
	# shellcheck disable=SC2086
	{
	sample hit.offered "hit path: opens/s of watched tokens offered, flat out ($HIT_PROCS opener process)" \
		"opens/s" - - $offered
	sample hit.rate "$p: events/s received, flat out" "events/s" - "median>=300000" $rates
	sample hit.drops "$p: kernel drops, flat out" "events" - - $drops
	sample hit.exact "$p: opens == events + drops, flat out (1 = exact)" "bool" - "min==1" $exact
	sample hit.agent_cpu "$p: agent CPU, flat out" "% of one CPU" - - $cpu
	sample hit.cost "$p: agent CPU per event, flat out" "us/event" - - $cost
	sample hit.paced_offered "$p: offered $((HIT_PACE / 1000))k/s: opens/s performed" "opens/s" - - $poffered
	sample hit.paced_drops "$p: offered $((HIT_PACE / 1000))k/s: drops" "events" - "median==0" $pdrops
	sample hit.paced_exact "$p: offered $((HIT_PACE / 1000))k/s: opens == events + drops (1 = exact)" \
		"bool" - "min==1" $pexact
	sample hit.paced_cpu "$p: offered $((HIT_PACE / 1000))k/s: agent CPU" "% of one CPU" - - $pcpu
	sample hit.events_rate "hit path, pipeline + --events to a file: events/s received, flat out" \
		"events/s" - - $erates
	sample hit.events_drops "hit path, pipeline + --events to a file: kernel drops, flat out" \
		"events" - - $edrops
	sample hit.events_cpu "hit path, pipeline + --events to a file: agent CPU" "% of one CPU" - - $ecpu
	sample hit.events_cost "hit path, pipeline + --events to a file: agent CPU per event" \
		"us/event" - - $ecost
	sample hit.sensor_rate "hit path, sensor only (no rules, no output, no dump): events/s received" \
		"events/s" - - $srates
	sample hit.sensor_drops "hit path, sensor only: kernel drops" "events" - - $sdrops
	sample hit.sensor_cost "hit path, sensor only: agent CPU per event" "us/event" - - $scost
	sample hit.sensor_exact "hit path, sensor only: opens == events + drops (1 = exact)" "bool" - \
		"min==1" $sexact
	}
}

# Memory with 100k watched files plus 5,000 pods (115k credentials).
stage_memory() {
	agent_start memory --host-root "$FIX/node" --watch /srv/creds --max-watched 131072
	local hwm rss memlock
	hwm=$(awk '/VmHWM/ {print $2}' "/proc/$AGENT_PID/status")
	rss=$(awk '/VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
	# memlock of every BPF map the agent holds an fd to (from fdinfo)
	memlock=$(python3 - "$AGENT_PID" <<'EOF'
import os, sys
pid, seen, total = sys.argv[1], set(), 0
for fd in os.listdir("/proc/%s/fdinfo" % pid):
    try:
        info = dict(l.split(":", 1) for l in open("/proc/%s/fdinfo/%s" % (pid, fd)) if ":" in l)
    except OSError:
        continue
    if "map_id" in info and info["map_id"] not in seen:
        seen.add(info["map_id"])
        total += int(info.get("memlock", "0"))
print(total // 1024)
EOF
	)
	agent_stop
	sample mem.rss "agent RSS after discovery, 115k watched (VmRSS)" "KiB" - "median<=65536" "$rss"
	sample mem.hwm "agent peak RSS, 115k watched (VmHWM)" "KiB" - "median<=65536" "$hwm"
	sample mem.bpf "BPF maps, 115k watched (bytes_memlock of the agent's maps)" "KiB" - - "$memlock"
}

# Start-up discovery of the 5,000-pod node with the full catalog on its host
# (every node type's fixture tree and 200 users' homes): the agent's own scan timing
# ("discovery: N credentials in X ms") and exec-to-"watching" (BPF load included).
# Then new pods while it runs: rotlat --mount makes each one as kubelet
# does (tmpfs mounted on the volume dir, then the atomic writer inside) and
# times mount(2) -> the token's inode in the kernel map, and umount(2) ->
# gone from it; once on the 5,000-pod node as it is, once with 1,000 more
# pods' volumes mounted (a mount table of 1,000+ lines, re-read per change).
stage_discovery() {
	local scan="" ready="" r lat lat1k
	for r in $(seq 1 "$DISC_ROUNDS"); do
		agent_start discovery --host-root "$FIX/node"
		scan="$scan $(sed -n 's/.*discovery: [0-9]* credentials in \([0-9.]*\) ms.*/\1/p' "$AGENT_LOG")"
		ready="$ready $AGENT_READY_MS"
		agent_stop
	done
	agent_start mount --host-root "$FIX/node"
	lat=$("$BIN/rotlat" --mount "$AGENT_PID" "$FIX/node/var/lib/kubelet/pods" "$MOUNT_ROUNDS") ||
		die "discovery: rotlat --mount failed: $lat"
	lat1k=$("$BIN/rotlat" --mount "$AGENT_PID" "$FIX/node/var/lib/kubelet/pods" "$MOUNT_ROUNDS" 1000) ||
		die "discovery: rotlat --mount with 1,000 mounted pods failed: $lat1k"
	agent_stop
	# shellcheck disable=SC2086
	{
	sample disc.scan "discovery scan, 5,000 pods x 2 volumes (15k credentials) plus the full catalog on the host (every node type's files, 200 homes), warm cache" \
		"ms" - "median<=2000" $scan
	sample disc.ready "agent exec to ready, 5,000 pods (BPF load + scan)" "ms" - "median<=2000" $ready
	sample disc.mount "new pod, kubelet-style: mount(2) of its token volume's tmpfs -> token inode in the kernel map, 5,000-pod node" \
		"ms" - "median<=100" $(echo "$lat" | awk '{print $1}')
	sample disc.mount_p99 "new pod: mount -> watched, p99 of $MOUNT_ROUNDS" "ms" - - \
		"$(echo "$lat" | awk '{print $1}' | p99)"
	sample disc.umount "pod teardown: umount(2) of the volume -> token inode gone from the map" "ms" - - \
		$(echo "$lat" | awk '{print $2}')
	sample disc.mount1k "new pod: mount -> watched, with 1,000 pods' volumes mounted (1,000-line mount table)" \
		"ms" - "median<=100" $(echo "$lat1k" | awk '{print $1}')
	sample disc.mount1k_p99 "new pod: mount -> watched, 1,000 mounted pods, p99 of $MOUNT_ROUNDS" "ms" - - \
		"$(echo "$lat1k" | awk '{print $1}' | p99)"
	}
}

p99() {	# p99 of the numbers on stdin (nearest rank)
	sort -n | awk '{ v[NR] = $1 } END { i = int(NR * 0.99 + 0.999); if (i < 1) i = 1; print v[i] }'
}

# Token rotation: a pod started after the agent, kubelet-style (its token
# volume a tmpfs, tests/lib/kubelet.sh); rotlat swaps its token with the
# atomic-writer sequence inside that tmpfs and times rename -> new inode in
# the kernel map.
stage_rotation() {
	local lat uid vol
	agent_start rotation --host-root "$FIX/node"
	uid=$(kubelet_uid)
	vol=$(kubelet_pod "$FIX/node" bench rotation "$uid") || die "rotation: kubelet_pod failed"
	lat=$("$BIN/rotlat" "$AGENT_PID" "$vol" "$ROT_ROUNDS") || die "rotation: rotlat failed: $lat"
	kubelet_pod_delete "$FIX/node" "$uid"
	rm -rf "$FIX/node/var/log/pods/bench_rotation_$uid"
	agent_stop
	# shellcheck disable=SC2086
	{
	sample rot.new "token rotation: rename of ..data -> new inode in the kernel map" "ms" - \
		"median<=100" $(echo "$lat" | awk '{print $1}')
	sample rot.old "token rotation: rename of ..data -> old inode gone from the map" "ms" - - \
		$(echo "$lat" | awk '{print $2}')
	}
}

# ------------------------------------------------------------ delivery
# Alerts through user/ship.c (spool, batching, gzip NDJSON in the credwatch
# format, HTTPS with a test CA) to a loopback receiver, driven by
# build/itests/ship_drive (N generated ~345-byte alerts, counters as JSON).
# Two receivers, interleaved: tests/bench/sink_backend.py (gunzip, count
# lines, one-write reply: it does not limit the number, see its CPU row) and
# tests/lib/fake_backend.py, the integration tests' backend (http.server,
# JSON-encodes every request into its log).
BACKEND_PID=

deliv_pki() {
	DPKI=$OUT/pki
	[ -s "$DPKI/srv.crt" ] && openssl x509 -checkend 3600 -noout -in "$DPKI/srv.crt" >/dev/null &&
		return 0
	rm -rf "$DPKI"; mkdir -p "$DPKI"
	# shellcheck source=tests/lib/pki.sh
	. tests/lib/pki.sh
	pki_make "$DPKI" || die "delivery: pki_make failed"
}

# backend_start sink|fake: a receiver on a free port, $BACKEND_URL ready
backend_start() {
	local kind=$1 port
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	rm -f "$WORK/backend.ready" "$WORK/backend.stats"
	case $kind in
	sink) python3 tests/bench/sink_backend.py --port "$port" --cert "$DPKI/srv.crt" \
		--key "$DPKI/srv.key" --ready "$WORK/backend.ready" --stats "$WORK/backend.stats" \
		2>"$WORK/backend.stderr" & ;;
	fake) python3 tests/lib/fake_backend.py --port "$port" --cert "$DPKI/srv.crt" \
		--key "$DPKI/srv.key" --log /dev/null --ready "$WORK/backend.ready" \
		2>"$WORK/backend.stderr" & ;;
	esac
	BACKEND_PID=$!
	BACKEND_URL=https://127.0.0.1:$port/v1/alerts
	for _ in $(seq 1 500); do
		[ -s "$WORK/backend.ready" ] && return 0
		kill -0 "$BACKEND_PID" 2>/dev/null || { cat "$WORK/backend.stderr" >&2; die "$kind backend exited"; }
		sleep 0.01
	done
	die "$kind backend not ready in 5 s"
}

backend_cpu() {	# seconds of CPU the backend used so far (all threads)
	awk -v t="$(getconf CLK_TCK)" '{printf "%.3f", ($14 + $15) / t}' "/proc/$BACKEND_PID/stat"
}

backend_stop() {
	[ -n "$BACKEND_PID" ] || return 0
	kill -TERM "$BACKEND_PID" 2>/dev/null || true
	wait "$BACKEND_PID" 2>/dev/null || true
	BACKEND_PID=
}

# ship_run N -> "alerts/s shipper_us_per_alert receiver_cpu_% exact" against $BACKEND_URL
ship_run() {
	local n=$1 sp=$WORK/spool t0 t1 out rcpu0 rcpu1
	rm -rf "$sp"; mkdir -m 700 "$sp"
	rcpu0=$(backend_cpu)
	t0=$(date +%s%N)
	out=$(/usr/bin/time -f '%U %S' -o "$WORK/ship.time" "$SHIP_DRIVE" --spool "$sp" \
		--backend "$BACKEND_URL" --ca "$DPKI/ca.crt" --count "$n" --drain-ms 300000 \
		2>"$WORK/ship.stderr") || die "delivery: ship_drive: $out $(tail -2 "$WORK/ship.stderr")"
	t1=$(date +%s%N)
	rcpu1=$(backend_cpu)
	python3 - "$out" "$n" "$t0" "$t1" "$(cat "$WORK/ship.time")" "$rcpu0" "$rcpu1" <<'PY'
import json, sys
o, n, t0, t1 = json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
u, s = (float(x) for x in sys.argv[5].split())
secs = (t1 - t0) / 1e9
rcpu = float(sys.argv[7]) - float(sys.argv[6])
exact = int(o["acked"] == n and o["pending"] == 0 and o["dead_lettered"] == 0)
print(round(n / secs), round((u + s) * 1e6 / n, 3), round(100 * rcpu / secs), exact)
PY
}

# drain_run MB -> "MB records seconds exact": fill a spool with the backend
# down (ship_drive --hold against a closed port), kill the shipper, start
# the sink, time a fresh ship_drive (--count 0) until the spool is acknowledged.
drain_run() {
	local mb=$1 sp=$WORK/drain n port bytes t0 t1 out pid
	# ~342 bytes per record on disk (measured: 13-byte header + ship_drive alert)
	n=$(( mb * 1048576 / 342 ))
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	rm -rf "$sp"; mkdir -m 700 "$sp"
	"$SHIP_DRIVE" --spool "$sp" --backend "https://127.0.0.1:$port/v1/alerts" --ca "$DPKI/ca.crt" \
		--count "$n" --retry-base-ms 60000 --retry-max-ms 60000 --hold \
		>"$WORK/fill.out" 2>"$WORK/fill.stderr" &
	pid=$!
	for _ in $(seq 1 6000); do
		grep -q held "$WORK/fill.out" && break
		kill -0 "$pid" 2>/dev/null || die "drain: filling ship_drive exited: $(tail -2 "$WORK/fill.stderr")"
		sleep 0.01
	done
	grep -q held "$WORK/fill.out" || die "drain: spool not filled in 60 s"
	kill -KILL "$pid"; wait "$pid" 2>/dev/null || true
	bytes=$(du -sb "$sp" | awk '{print $1}')
	backend_start sink
	t0=$(date +%s%N)
	out=$("$SHIP_DRIVE" --spool "$sp" --backend "$BACKEND_URL" --ca "$DPKI/ca.crt" --count 0 \
		--drain-ms 300000 2>"$WORK/drain.stderr") || die "drain: spool not drained: $out"
	t1=$(date +%s%N)
	backend_stop
	python3 - "$out" "$n" "$t0" "$t1" "$bytes" "$WORK/backend.stats" <<'PY'
import json, sys
o, n = json.loads(sys.argv[1]), int(sys.argv[2])
secs = (int(sys.argv[4]) - int(sys.argv[3])) / 1e9
recv = json.load(open(sys.argv[6]))["records"]
exact = int(o["acked"] == n and o["pending"] == 0 and recv == n)
print(round(int(sys.argv[5]) / 1048576, 1), n, round(secs, 3), exact)
PY
	rm -rf "$sp"
}

stage_delivery() {
	local r a b c d kind order sink="" scost="" scpu="" fake="" fcost="" fcpu="" exact=""
	local dmb dn ds dx mbps="" rps="" secs="" dexact="" mbs=""
	deliv_pki
	for r in $(seq 1 "$DELIV_ROUNDS"); do
		order="sink fake"
		(( r % 2 == 0 )) && order="fake sink"
		for kind in $order; do
			backend_start "$kind"
			if [ "$kind" = sink ]; then
				read -r a b c d < <(ship_run "$DELIV_SINK_N")
				sink="$sink $a"; scost="$scost $b"; scpu="$scpu $c"
			else
				read -r a b c d < <(ship_run "$DELIV_FAKE_N")
				fake="$fake $a"; fcost="$fcost $b"; fcpu="$fcpu $c"
			fi
			[ -n "$d" ] || die "delivery: $kind run failed"
			exact="$exact $d"
			backend_stop
			log "delivery: $kind: $a alerts/s, shipper $b us/alert, receiver $c% CPU"
		done
		read -r dmb dn ds dx < <(drain_run "$DRAIN_MB")
		[ -n "$dx" ] || die "delivery: drain run failed"
		mbs="$mbs $dmb"; secs="$secs $ds"; dexact="$dexact $dx"
		mbps="$mbps $(python3 -c "print(round($dmb / $ds, 2))")"
		rps="$rps $(python3 -c "print(round($dn / $ds))")"
		log "delivery: drained $dmb MB ($dn records) in $ds s"
	done
	local mbmed
	mbmed=$(echo $mbs | tr ' ' '\n' | sort -n | head -1)
	# shellcheck disable=SC2086,SC2046
	{
	sample deliv.sink "delivery: alerts/s, ship_drive -> gzip NDJSON over HTTPS -> minimal receiver (sink_backend.py), $DELIV_SINK_N alerts" \
		"alerts/s" - - $sink
	sample deliv.sink_cost "delivery: shipper CPU per alert (submit + spool + gzip + TLS), minimal receiver" \
		"us/alert" - - $scost
	sample deliv.sink_rcpu "delivery: minimal receiver's CPU (not the bottleneck when well below 100)" \
		"% of one CPU" - - $scpu
	sample deliv.fake "delivery: alerts/s to tests/lib/fake_backend.py --log /dev/null (the integration tests' backend: http.server, JSON-encodes every request), $DELIV_FAKE_N alerts" \
		"alerts/s" - - $fake
	sample deliv.fake_rcpu "delivery: fake_backend.py's CPU" "% of one CPU" - - $fcpu
	sample deliv.exact "delivery: every alert acknowledged once, none pending (1 = exact)" "bool" - \
		"min==1" $exact
	sample deliv.drain_mbps "spool drain after an outage: ${mbmed} MB spooled with the backend down, then drained to the minimal receiver" \
		"MB/s" - - $mbps
	sample deliv.drain_rps "spool drain after an outage: records/s (${mbmed} MB)" "records/s" - - $rps
	sample deliv.drain_s "spool drain after an outage: time to empty ${mbmed} MB" "s" - - $secs
	sample deliv.drain_exact "spool drain: every spooled record received and acknowledged (1 = exact)" \
		"bool" - "min==1" $dexact
	sample deliv.drain_1g "spool drain: 1 GB, EXTRAPOLATED linearly from ${mbmed} MB (not measured; needs --spool-max-bytes >= 1G)" \
		"s" - - $(for m in $mbps; do python3 -c "print(round(1024 / $m, 1))"; done)
	}
}

# ------------------------------------------------------------ dumps
# Dump write cost on the hit path: the hit pipeline with and without
# --dump DIR, interleaved in each round (order flipped every other round);
# agent CPU per event is the measure (events/s depends on the CPU the agent
# gets). Then the reader: dump_gen writes INSPECT_N realistic events and
# credwatch-inspect reads them back (events --json, events, summary).
stage_dump() {
	local r a b c d e f conf order mode v with="" without="" wrate="" worate="" gen t0 t1 n=$INSPECT_N
	local rj="" rt="" rs="" wr=""
	for r in $(seq 1 "$DUMP_ROUNDS"); do
		order="pipeline nodump"
		(( r % 2 == 0 )) && order="nodump pipeline"
		for conf in $order; do
			read -r a b c d e f < <(HIT_S=$DUMP_HIT_S hit_run "$conf" 0)
			[ -n "$f" ] || die "dump: hit run $conf failed"
			if [ "$conf" = pipeline ]; then with="$with $f"; wrate="$wrate $a"
			else without="$without $f"; worate="$worate $a"; fi
		done
	done
	gen=$(tests/lib/build-dump-gen.sh)
	rm -rf "$WORK/inspect"; mkdir -m 700 "$WORK/inspect"
	# "dump_gen: N events in S s: R events/s, ..."
	wr=$("$gen" "$WORK/inspect" "$n" | sed -n 's/.*s: \([0-9]*\) events\/s.*/\1/p')
	for r in $(seq 1 "$DUMP_ROUNDS"); do
		for mode in "events --json" events summary; do
			t0=$(date +%s%N)
			# shellcheck disable=SC2086
			"$INSPECT" $mode "$WORK/inspect" >/dev/null || die "dump: credwatch-inspect $mode failed"
			t1=$(date +%s%N)
			v=$(python3 -c "print(round($n / (($t1 - $t0) / 1e9)))")
			case $mode in
			"events --json") rj="$rj $v" ;; events) rt="$rt $v" ;; summary) rs="$rs $v" ;;
			esac
		done
	done
	rm -rf "$WORK/inspect"
	local p="hit path, pipeline (attribution, default rules, --output FILE)"
	# shellcheck disable=SC2086
	{
	sample dump.nodump_cost "$p, no --dump: agent CPU per event" "us/event" - - $without
	sample dump.dump_cost "$p + --dump DIR: agent CPU per event (ratio = dump write cost)" \
		"us/event" dump.nodump_cost - $with
	sample dump.nodump_rate "$p, no --dump: events/s received, flat out" "events/s" - - $worate
	sample dump.dump_rate "$p + --dump DIR: events/s received, flat out" "events/s" - - $wrate
	sample dump.write "dump writer alone (dump_gen: dump_write_event + deflate + write), $n events" \
		"events/s" - - $wr
	sample dump.inspect_json "credwatch-inspect events --json > /dev/null, $n events" "events/s" - \
		"median>=1000000" $rj
	sample dump.inspect_text "credwatch-inspect events (text) > /dev/null" "events/s" - - $rt
	sample dump.inspect_summary "credwatch-inspect summary" "events/s" - - $rs
	}
}

# ------------------------------------------------------------ floods
# What one pod's flood costs the others (issue 17), against what it costs
# without repeat aggregation and the per-cgroup budget ("today": the agent
# with --repeat-window-ms 0 --cgroup-budget off, every open a full event as
# before them; the event loop's bounded batches stay on), interleaved.
#  - victim reads: pods 1 and 2 of the node fixture flood - two processes
#    of pod 1 opening its token in tight loops, a fork storm of pod 2 (each
#    child opens once: repeats cannot fold it) - while a process of pod 4
#    reads pod 3's token FLOOD_READS times (one process each, 100 ms apart);
#    each read must become an alert (the cross-pod token rule, --alert-rate
#    0). Rotation latency of pod 0's token during the flood (rotlat).
#  - repeat loop: one process opens a token REPEAT_OPENS times; bytes the
#    kernel wrote to the ring buffer ("sensor: ..." exit line). Today's
#    bytes are what it wrote plus its ring-buffer drops at the same size
#    per event: what every open would have needed.
pod_uid() { printf '00000000-0000-4000-8000-%012d' "$1"; }

# flood_agent NAME today|defaults ARGS...: the agent for the flood runs
flood_agent() {
	local name=$1 conf=$2; shift 2
	local extra=()
	[ "$conf" = today ] && extra=(--repeat-window-ms 0 --cgroup-budget off)
	TRACER_CPU=0-$(( $(nproc) - 1 )) agent_start "$name" --host-root "$FIX/node" \
		--cgroup-root "$(cg_root)" "${extra[@]}" "$@"
}

# sensor_line -> "events bytes lost" from the exit line "sensor: N opens ...: E events
# written to the ring buffer (B bytes), ..., L lost"
sensor_line() {
	sed -n 's/.*sensor: [0-9]* opens of watched credentials in the kernel: \([0-9]*\) events written to the ring buffer (\([0-9]*\) bytes).*, \([0-9]*\) lost$/\1 \2 \3/p' "$AGENT_LOG"
}

# flood_run today|defaults -> "delivered/reads rotation_ms refused events"
flood_run() {
	local conf=$1 i out rot cg1 cg2 cg4 alerts=$WORK/flood.alerts reads=$WORK/flood.reads
	cg1=$(cg_pod_systemd "$(pod_uid 1)" besteffort "$(printf 'f1%062x' $$)")
	cg2=$(cg_pod_systemd "$(pod_uid 2)" besteffort "$(printf 'f2%062x' $$)")
	cg4=$(cg_pod_systemd "$(pod_uid 4)" besteffort "$(printf 'f4%062x' $$)")
	rm -f "$alerts" "$reads"
	flood_agent "flood-$conf" "$conf" --output "$alerts" --output-format json --alert-rate 0
	FLOOD_PIDS=()
	for _ in 1 2; do
		(cg_run "$cg1" "$BUILD/itests/flooder" loop "$FLOOD_S" "$(pod_volume 1)/token" >/dev/null) &
		FLOOD_PIDS+=($!)
	done
	(cg_run "$cg2" "$BUILD/itests/flooder" forks "$FLOOD_S" "$(pod_volume 2)/token" 2 >/dev/null) &
	FLOOD_PIDS+=($!)
	sleep 1
	rot=$("$BIN/rotlat" "$AGENT_PID" "$(pod_volume 0)" 1 | awk '{print $1}')
	for i in $(seq 1 "$FLOOD_READS"); do
		out=$(cg_run "$cg4" "$BUILD/itests/opener" openat "$(pod_volume 3)/token") && echo "$out" >>"$reads"
		sleep 0.1
	done
	for p in "${FLOOD_PIDS[@]}"; do wait "$p" || true; done
	FLOOD_PIDS=()
	sleep 1.5
	agent_stop
	python3 - "$reads" "$alerts" "$rot" "$AGENT_LOG" <<'PY'
import json, re, sys
reads = [json.loads(l) for l in open(sys.argv[1])]
alerts = [json.loads(l) for l in open(sys.argv[2])]
pids = {a["output_fields"].get("proc.pid") for a in alerts
        if a["rule"] == "Service account token read by another pod"}
log = open(sys.argv[4]).read()
m = re.search(r"sensor: \d+ opens .*: (\d+) events written .*, (\d+) refused by the per-cgroup budget", log)
print(sum(1 for r in reads if r["pid"] in pids), len(reads), sys.argv[3],
      m.group(2) if m else 0, m.group(1) if m else 0)
PY
}

# repeat_run today|defaults -> "bytes_needed opens"
repeat_run() {
	local conf=$1 ev by lost
	flood_agent "repeat-$conf" "$conf" --output /dev/null
	"$BUILD/itests/flooder" repeat "$REPEAT_OPENS" "$(pod_volume 5)/token" >/dev/null
	sleep 1.5
	agent_stop
	read -r ev by lost < <(sensor_line)
	[ -n "$lost" ] || die "flood: no sensor line in $AGENT_LOG"
	python3 -c "print($by + ($lost * $by // max($ev, 1)))"
}

stage_flood() {
	local r conf order a b c d e
	local dd="" dt="" rd="" rt="" fd="" ft="" ed="" et="" bd="" bt=""
	. tests/lib/cgroup.sh
	for r in $(seq 1 "$FLOOD_ROUNDS"); do
		order="defaults today"
		(( r % 2 == 0 )) && order="today defaults"
		for conf in $order; do
			read -r a b c d e < <(flood_run "$conf")
			[ -n "$e" ] || die "flood: $conf run failed"
			if [ "$conf" = defaults ]; then dd="$dd $a"; rd="$rd $c"; fd="$fd $d"; ed="$ed $e"
			else dt="$dt $a"; rt="$rt $c"; ft="$ft $d"; et="$et $e"; fi
			log "flood: $conf: $a of $b victim reads alerted, rotation $c ms, $d refused, $e events"
			a=$(repeat_run "$conf")
			if [ "$conf" = defaults ]; then bd="$bd $a"; else bt="$bt $a"; fi
			log "flood: $conf: $REPEAT_OPENS-open repeat loop: $a ring-buffer bytes"
		done
	done
	cg_cleanup
	local p="flood (2 processes of one pod in tight loops + a fork storm of another pod)"
	# shellcheck disable=SC2086
	{
	sample flood.victim "$p: victim pod's $FLOOD_READS token reads that became alerts, defaults" \
		"reads" - "min==$FLOOD_READS" $dd
	sample flood.victim_today "$p: the same with --repeat-window-ms 0 --cgroup-budget off (no aggregation, no budget)" \
		"reads" - - $dt
	sample flood.rotation "$p: token rotation -> new inode in the kernel map, defaults" "ms" - \
		"median<=1000" $rd
	sample flood.rotation_today "$p: token rotation, no aggregation, no budget" "ms" - - $rt
	sample flood.refused "$p: full events refused by the per-cgroup budget, defaults" "events" - - $fd
	sample flood.events "$p: events written to the ring buffer, defaults" "events" - - $ed
	sample flood.events_today "$p: events written to the ring buffer, no aggregation, no budget" "events" - - $et
	sample flood.repeat_bytes "one process opening a token $REPEAT_OPENS times: ring-buffer bytes, defaults (ratio: to every open an event)" \
		"bytes" flood.repeat_bytes_today "ratio<=0.01" $bd
	sample flood.repeat_bytes_today "one process opening a token $REPEAT_OPENS times: ring-buffer bytes with --repeat-window-ms 0 (written + dropped: every open an event)" \
		"bytes" - - $bt
	}
}

# run_measured CMD...: "SECONDS PEAK_RSS_KIB" of one run of CMD (stdout to /dev/null)
run_measured() {
	python3 - "$@" <<'EOF'
import resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL)
d = time.monotonic() - t
if rc:
    sys.exit("bench: %s exited %d" % (" ".join(sys.argv[1:]), rc))
print("%.3f %d" % (d, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
EOF
}

# The HTML access report of a dump: REPORT_N events of 5,000 pods (dump_gen
# --pods: each reads its own token, one read in 97 another pod's; an alert
# every 1,000 events, a finding line every 1,000), wall time and peak RSS of
# `credwatch-inspect report DIR --output FILE`, and `summary` of the same dump
# for scale (the same read, a smaller model).
stage_report() {
	local r gen n=$REPORT_N pods=${BENCH_REPORT_PODS:-5000} secs rss t="" m="" rate="" st=""
	gen=$(tests/lib/build-dump-gen.sh)
	rm -rf "$WORK/report"; mkdir -m 700 "$WORK/report" "$WORK/report/dump"
	"$gen" --pods "$pods" "$WORK/report/dump" "$n" 0 1 1000 >/dev/null || die "report: dump_gen failed"
	for r in $(seq 1 "$REPORT_ROUNDS"); do
		read -r secs rss < <(run_measured "$INSPECT" report "$WORK/report/dump" \
			--output "$WORK/report/report.html") || die "report: credwatch-inspect report failed"
		t="$t $secs"; m="$m $rss"
		rate="$rate $(python3 -c "print(round($n / $secs))")"
		read -r secs rss < <(run_measured "$INSPECT" summary "$WORK/report/dump") ||
			die "report: credwatch-inspect summary failed"
		st="$st $secs"
	done
	rm -rf "$WORK/report"
	# shellcheck disable=SC2086
	{
	sample report.summary_s "credwatch-inspect summary of the same dump (for scale)" s - - $st
	sample report.time_s "credwatch-inspect report DIR --output FILE, $(printf %s "$n" | sed -e :a -e 's/\B[0-9]\{3\}\>/,&/;ta') events of $pods pods (ratio: to summary)" \
		s report.summary_s "median<=60" $t
	sample report.rate "credwatch-inspect report: events/s" "events/s" - - $rate
	sample report.rss "credwatch-inspect report: peak RSS (ru_maxrss)" KiB - "median<=131072" $m
	}
}

# ------------------------------------------------------------ redaction
# What redaction (user/redact.c) adds to building a record, which happens
# only for events of watched inodes (the miss path never reaches user
# space): tests/bench/redact_cost.c times event_to_record() without and with
# the default redactor, alternating, in on-CPU ns per event, over a
# realistic argv mix (each argv new to the redactor, and the same argv
# repeated, which its memo answers) and over 1 KiB of the slowest input;
# and redact_argv() alone over 100 KiB and 800 KiB of it (ns per byte:
# equal when linear).
stage_redact() {
	local out
	out=$(taskset -c "$LOOP_CPU" "$BIN/redact_cost" "$REDACT_ROUNDS" "$REDACT_ITERS") ||
		die "redact: redact_cost failed"
	col() { python3 -c 'import json,sys; print(" ".join(str(json.loads(l)[sys.argv[1]]) for l in sys.stdin))' "$1" <<<"$out"; }
	# shellcheck disable=SC2046
	{
	sample redact.base "hit path, record build (event_to_record), realistic argv mix, no redaction" \
		"ns/event" - - $(col real_base)
	sample redact.first "hit path, record build, realistic argv mix, default redaction, each argv new (ratio = its cost)" \
		"ns/event" redact.base - $(col real_first)
	sample redact.repeat "hit path, record build, realistic argv mix, default redaction, argv seen before (memo)" \
		"ns/event" redact.base - $(col real_repeat)
	sample redact.hostile_base "hit path, record build, 1 KiB hostile argv (\"x:\" repeated), no redaction" \
		"ns/event" - - $(col hostile_base)
	sample redact.hostile_first "hit path, record build, 1 KiB hostile argv, default redaction, each new" \
		"ns/event" redact.hostile_base - $(col hostile_first)
	sample redact.big_100k "redact_argv alone, 100 KiB hostile argv" "ns/byte" - - $(col big_100k)
	sample redact.big_800k "redact_argv alone, 800 KiB hostile argv (ratio 1 = linear)" "ns/byte" \
		redact.big_100k - $(col big_800k)
	}
}

# ------------------------------------------------------------ main
# Other BPF programs (another agent, a test run) would land in every number.
foreign=$(bpftool prog show -j | python3 -c '
import json, sys
print(" ".join(sorted({p.get("name", "?") for p in json.load(sys.stdin)
                       if p.get("type") in ("tracepoint", "raw_tracepoint", "kprobe", "tracing")})))')
[ -z "$foreign" ] || log "WARNING: other tracing BPF programs are loaded: $foreign (numbers include their cost)"
make_fixture
log "mode $MODE: stages: $STAGES (rounds $ROUNDS, $OPENS opens per sample)"
T_START=$(date +%s)
for s in $STAGES; do
	declare -F "stage_$s" >/dev/null || die "unknown stage $s"
	log "stage $s"
	"stage_$s"
done
python3 tests/bench/report.py "$TSV" "$OUT" "$MODE" "$(( $(date +%s) - T_START ))" \
	"$(uname -r)" "$(nproc)"
