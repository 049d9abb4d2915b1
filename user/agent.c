// SPDX-License-Identifier: Apache-2.0
/*
 * agent.c - the agent's lifecycle and its loop: set up every stage, then
 * hand each sensor event along the pipeline by direct calls
 *
 *	sensor -> record (event.c) -> attribution -> rules -> outputs
 *				   \-> findings (posture) -> outputs
 *
 * while discovery keeps the kernel's inode map current; tear down in
 * reverse. What each stage does is its module's; where things go is
 * outputs.c's; exit codes are main's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "attrib.h"
#include "budget.h"
#include "creds.h"
#include "event.h"
#include "health.h"
#include "identity.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "outputs.h"
#include "privs.h"
#include "record.h"
#include "redact.h"
#include "repeats.h"
#include "rules.h"
#include "sensor.h"
#include "throttle.h"
#include "watch.h"

#define POLL_MS		100
#define DROP_CHECK_NS	1000000000ULL
/*
 * Ring buffer records handled before the loop looks at everything else
 * (inotify, heartbeat, timers, flushes): a few ms of work at the pipeline's
 * 1-5 us per record, so rotation and health keep up during a flood.
 */
#define BATCH_EVENTS	2048
/* At exit (and before counting lost repeats), drain at most this many batches. */
#define DRAIN_BATCHES	64

/* What woke the loop (epoll data). */
enum { LOOP_SENSOR = 1, LOOP_INOTIFY, LOOP_MOUNTS };

struct agent {
	const struct config *cfg;
	struct creds *creds;
	struct watch *watch;
	struct sensor *sensor;
	struct rules *rules;
	struct outputs *outputs;	/* every sink; NULL for --list-watched */
	struct metrics *metrics;
	struct health *health;
	struct attrib *attrib;
	struct redact *redact;		/* NULL with --no-redact */
	uint64_t redactions_reported;
	struct findings *findings;	/* NULL unless --findings */
	char node_name[256];
	struct cw_record rec;
	struct cluster_identity identity;	/* detected once at start-up */
	bool node_identity_applied;		/* refined from the API's Node object */
	struct jbuf jb;
	int64_t boot_to_real_ns;
	uint64_t events;		/* opens seen: the sum of evt.count */
	uint64_t records;		/* records written: full events and aggregated */
	uint64_t aggregated_records;
	uint64_t drops_reported;	/* lost: ring buffer, scratch, fd lookup */
	uint64_t refused_reported;	/* refused: budget and reserve */
	struct budget budget;		/* --cgroup-budget, sized to the ring buffer */
	struct repeats *repeats;	/* NULL with --repeat-window-ms 0 */
	struct throttle *throttle;
	uint64_t repeats_lost;		/* credwatch_repeats_lost_total, never lower */
};

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int sink_add(void *ctx, const struct cred_entry *c)
{
	struct agent *a = ctx;

	if (!a->sensor)
		return 0;
	return sensor_watch_add(a->sensor, c->ino, c->kdev, c->id, c->kind);
}

static void sink_del(void *ctx, const struct cred_entry *c)
{
	struct agent *a = ctx;
	int err;

	if (!a->sensor)
		return;
	err = sensor_watch_del(a->sensor, c->ino, c->kdev);
	if (err && err != -ENOENT)
		log_warn("sensor: %s: unwatch: %s", c->path, strerror(-err));
}

static uint64_t kernel_drops_total(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], total = 0;

	if (!a->sensor)
		return a->drops_reported + a->refused_reported;
	sensor_drops(a->sensor, drops);
	for (int i = 0; i < CW_DROP__MAX; i++)
		total += drops[i];
	return total;
}

/*
 * Every record, full or aggregated, the same way: --events, the dump, the
 * rules, findings. An aggregated record (the repeats of a key, evt.count of
 * them) goes through the rules again: a rule may test evt.count, and one
 * that matched the first open matches its repeats too; a key yields at
 * most one aggregated record a second, and the alert rate limit applies on
 * top.
 */
static void write_record(struct agent *a, struct cw_record *rec)
{
	a->events += rec->count;
	a->records++;
	metrics_add(a->metrics, CW_M_EVENTS_TOTAL, rec->syscall, rec->count);
	outputs_record(a->outputs, rec);
	if (a->rules)
		rules_eval(a->rules, rec, outputs_alert, a->outputs);
	if (a->findings)
		findings_observe(a->findings, rec, rec->time_ns / 1000000000ULL);
}

/* user/repeats.c hands over an aggregated record: the first record, evt.count = repeats. */
static void on_aggregated(void *ctx, struct cw_record *rec)
{
	struct agent *a = ctx;

	a->aggregated_records++;
	if (a->throttle)
		throttle_aggregated(a->throttle, rec);
	write_record(a, rec);
}

/* credwatch_redactions_total follows the redactor's counters. */
static void report_redactions(struct agent *a)
{
	uint64_t counts[REDACT__MAX];

	redact_counts(a->redact, counts);
	for (int k = 0; k < REDACT__MAX; k++)
		metrics_set(a->metrics, CW_M_REDACTIONS_TOTAL, (unsigned)k, (int64_t)counts[k]);
	a->redactions_reported = redact_total(a->redact);
}

static int on_event(void *ctx, const struct cw_event *e, size_t size)
{
	struct agent *a = ctx;
	struct cw_record *rec = &a->rec;
	const struct cred_entry *cred;

	if (size < CW_EVENT_HDR_SIZE)
		return 0;
	cred = creds_get(a->creds, e->cred_id);
	if (event_to_record(e, size, cred, a->boot_to_real_ns, a->redact, rec))
		return 0;
	if (a->attrib) {
		attrib_fd_name(a->attrib, rec);
		attrib_fill(a->attrib, rec, e);
	}
	if (a->redact && redact_total(a->redact) != a->redactions_reported)
		report_redactions(a);
	identity_apply(&a->identity, rec);
	/* first what the key's previous record is owed, then keep this one */
	if (a->repeats)
		repeats_first(a->repeats, e, rec, a->boot_to_real_ns);
	write_record(a, rec);
	return 0;
}

static int repeat_lookup(void *ctx, const struct cw_repeat_key *key, struct cw_repeat_val *val)
{
	struct agent *a = ctx;

	return sensor_repeat_lookup(a->sensor, key, val);
}

static void repeat_delete(void *ctx, const struct cw_repeat_key *key)
{
	struct agent *a = ctx;

	sensor_repeat_delete(a->sensor, key);
}

static bool throttle_pod(void *ctx, uint64_t cgroup_id, char *uid, size_t uid_size, char *ns,
			 size_t ns_size, char *name, size_t name_size)
{
	struct agent *a = ctx;

	return attrib_cgroup_pod(a->attrib, cgroup_id, uid, uid_size, ns, ns_size, name,
				 name_size);
}

/* The flood alert (user/throttle.h) is one of the outputs' built-in alerts. */
static void on_throttle_alert(void *ctx, const struct throttle_alert *t)
{
	struct agent *a = ctx;

	outputs_throttle_alert(a->outputs, t);
}



/* Drops that lose an event (the ring buffer, scratch, fd lookup), and refusals by the budget. */
static uint64_t drops_lost(const uint64_t drops[CW_DROP__MAX])
{
	return drops[CW_DROP_RINGBUF] + drops[CW_DROP_SCRATCH] + drops[CW_DROP_FD_LOOKUP];
}

static uint64_t drops_refused(const uint64_t drops[CW_DROP__MAX])
{
	return drops[CW_DROP_THROTTLED] + drops[CW_DROP_RESERVE];
}

/*
 * Once a second: losses are logged while they grow (refusals are reported
 * per pod by the flood alert instead).
 */
static void report_drops(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], lost;

	if (!a->sensor)
		return;
	sensor_drops(a->sensor, drops);
	lost = drops_lost(drops);
	if (lost != a->drops_reported)
		log_warn("sensor: %" PRIu64 " events lost in the kernel so far "
			 "(ring buffer full %" PRIu64 ", scratch %" PRIu64 ", fd lookup %" PRIu64
			 "): raise --ringbuf-bytes", lost, drops[CW_DROP_RINGBUF],
			 drops[CW_DROP_SCRATCH], drops[CW_DROP_FD_LOOKUP]);
	a->drops_reported = lost;
	a->refused_reported = drops_refused(drops);
}

/*
 * The accounting at exit, in one place: every open of a watched credential
 * is an open in a record (evt.count), a kernel drop or refusal by reason,
 * or a repeat whose key the kernel evicted before it was read. One log
 * line, and the "credwatch.summary" record on --events.
 */
static void exit_summary(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX], stats[CW_STAT__MAX], total = 0;
	struct repeats_stats rs = { 0 };
	struct throttle_stats ts = { 0 };

	if (!a->sensor)
		return;
	sensor_drops(a->sensor, drops);
	sensor_stats(a->sensor, stats);
	for (int i = 0; i < CW_DROP__MAX; i++)
		total += drops[i];
	if (a->repeats)
		repeats_stats(a->repeats, &rs);
	if (a->throttle)
		throttle_stats(a->throttle, &ts);
	a->drops_reported = drops_lost(drops);
	a->refused_reported = drops_refused(drops);
	if (stats[CW_STAT_REPEATS] > rs.delivered)
		a->repeats_lost = stats[CW_STAT_REPEATS] - rs.delivered;
	log_info("sensor: %" PRIu64 " opens of watched credentials in the kernel: %" PRIu64
		 " events written to the ring buffer (%" PRIu64 " bytes), %" PRIu64 " repeats "
		 "counted (%" PRIu64 " delivered in %" PRIu64 " aggregated records, %" PRIu64
		 " lost), %" PRIu64 " refused by the per-cgroup budget, %" PRIu64 " lost",
		 stats[CW_STAT_HITS], stats[CW_STAT_EMITTED], stats[CW_STAT_RINGBUF_BYTES],
		 stats[CW_STAT_REPEATS], rs.delivered, a->aggregated_records, a->repeats_lost,
		 a->refused_reported, a->drops_reported);
	if (!outputs_has_events(a->outputs)) {
		if (a->throttle)
			throttle_summary(a->throttle, NULL);
		return;
	}
	jbuf_reset(&a->jb);
	jbuf_obj_begin(&a->jb);
	jbuf_key(&a->jb, "credwatch.summary");
	jbuf_obj_begin(&a->jb);
	jbuf_kv_u64(&a->jb, "events", a->records);
	jbuf_kv_u64(&a->jb, "opens", a->events);
	jbuf_kv_u64(&a->jb, "aggregated_records", a->aggregated_records);
	jbuf_kv_u64(&a->jb, "kernel_drops", total);
	jbuf_kv_u64(&a->jb, "kernel_drops.ringbuf", drops[CW_DROP_RINGBUF]);
	jbuf_kv_u64(&a->jb, "kernel_drops.scratch", drops[CW_DROP_SCRATCH]);
	jbuf_kv_u64(&a->jb, "kernel_drops.fd_lookup", drops[CW_DROP_FD_LOOKUP]);
	jbuf_kv_u64(&a->jb, "kernel_drops.throttled", drops[CW_DROP_THROTTLED]);
	jbuf_kv_u64(&a->jb, "kernel_drops.reserve", drops[CW_DROP_RESERVE]);
	jbuf_kv_u64(&a->jb, "kernel.hits", stats[CW_STAT_HITS]);
	jbuf_kv_u64(&a->jb, "kernel.ringbuf_events", stats[CW_STAT_EMITTED]);
	jbuf_kv_u64(&a->jb, "kernel.ringbuf_bytes", stats[CW_STAT_RINGBUF_BYTES]);
	jbuf_kv_u64(&a->jb, "kernel.first_reads", stats[CW_STAT_FIRST_READS]);
	jbuf_kv_u64(&a->jb, "repeats", stats[CW_STAT_REPEATS]);
	jbuf_kv_u64(&a->jb, "repeats.delivered", rs.delivered);
	jbuf_kv_u64(&a->jb, "repeats.lost", a->repeats_lost);
	if (a->throttle)
		throttle_summary(a->throttle, &a->jb);	/* and its log line */
	jbuf_kv_u64(&a->jb, "watched", creds_count(a->creds));
	jbuf_obj_end(&a->jb);
	jbuf_obj_end(&a->jb);
	outputs_event_line(a->outputs, &a->jb);
}

/*
 * Drain what the ring buffer holds now, in batches, at most DRAIN_BATCHES
 * of them. Returns true when it ran dry (so every event queued before the
 * call was handled), false during a flood.
 */
static bool drain(struct agent *a)
{
	bool more = true;

	for (int i = 0; i < DRAIN_BATCHES && more; i++)
		if (sensor_consume(a->sensor, BATCH_EVENTS, &more) < 0)
			return false;
	return !more;
}

/*
 * Once a second (and at exit): deliver the repeats the kernel counted, and
 * count per pod what the budget refused. Lost repeats are counted only
 * when the ring buffer runs dry, with the kernel's total read before that:
 * then every counted repeat's first event has been handled, and the count
 * can only fall short of the truth, never exceed it (exact at exit).
 */
static void settle_kernel_counts(struct agent *a, bool ring_busy, bool final)
{
	uint64_t stats[CW_STAT__MAX];
	struct repeats_stats rs;
	bool dry;

	if (a->repeats) {
		sensor_stats(a->sensor, stats);
		/* during a flood, don't: the loop's batches keep the other work going */
		dry = !ring_busy && drain(a);
		repeats_flush(a->repeats, now_ns(CLOCK_BOOTTIME), a->boot_to_real_ns, final);
		repeats_stats(a->repeats, &rs);
		if (dry && stats[CW_STAT_REPEATS] > rs.delivered + rs.owed &&
		    stats[CW_STAT_REPEATS] - rs.delivered - rs.owed > a->repeats_lost)
			a->repeats_lost = stats[CW_STAT_REPEATS] - rs.delivered - rs.owed;
		metrics_set(a->metrics, CW_M_REPEATS_LOST_TOTAL, 0, (int64_t)a->repeats_lost);
	}
	if (a->throttle) {
		sensor_budgets(a->sensor, throttle_observe, a->throttle);
		throttle_tick(a->throttle, now_ns(CLOCK_MONOTONIC), final);
	}
}

/* Owner identity for findings, from attribution. */
static bool findings_pod_lookup(void *ctx, const char *uid, char *ns, size_t ns_size,
				char *name, size_t name_size, char *sa, size_t sa_size)
{
	struct agent *a = ctx;

	return attrib_pod_lookup(a->attrib, uid, ns, ns_size, name, name_size, sa, sa_size);
}

/* Evaluate, write, save: every --findings-interval and at exit. */
static void run_findings(struct agent *a)
{
	int n;

	n = findings_evaluate(a->findings, a->creds, (uint64_t)time(NULL), findings_pod_lookup, a,
			      outputs_finding, a->outputs);
	if (n < 0)
		log_warn("findings: evaluate: %s", strerror(-n));
	outputs_findings_done(a->outputs);
	findings_save(a->findings);	/* logs its own failure; retried next interval */
}

static int open_findings(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct findings_opts fo;

	if (!cfg->outputs.findings)
		return 0;
	fo = cfg->findings;
	fo.host_root = cfg->agent.host_root;
	fo.node_name = a->node_name;
	fo.cluster_name = cfg->identity.cluster_name;
	return findings_new(&a->findings, &fo);
}

static void findings_summary(struct agent *a)
{
	struct findings_stats st;

	if (!a->findings)
		return;
	findings_get_stats(a->findings, &st);
	log_info("findings: %" PRIu64 " open, %" PRIu64 " lines written (%" PRIu64 " resolved); "
		 "not tracked: %" PRIu64 " credentials, %" PRIu64 " readers, %" PRIu64
		 " reader pods, %" PRIu64 " findings", st.findings_open, st.emitted, st.resolved,
		 st.creds_untracked, st.readers_untracked, st.reader_pods_untracked,
		 st.findings_untracked);
}

static void startup_summary(struct agent *a)
{
	const struct sensor_hook_status *hooks;
	uint32_t kinds[CW_CRED__MAX];
	struct utsname u;
	char line[512];
	size_t o = 0;
	int nhooks;

	uname(&u);
	log_info("credwatch %s on Linux %s (%s)", CW_VERSION, u.release, u.machine);
	log_info("kernel %s: BPF variant %s", u.release, sensor_variant(a->sensor));
	hooks = sensor_hooks(a->sensor, &nhooks);
	for (int i = 0; i < nhooks; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s%s", i ? ", " : "",
				      hooks[i].name, hooks[i].attached ? "" : " (NOT attached)");
	log_info("hooks: %s", line);
	for (int i = 0; i < nhooks; i++)
		if (!hooks[i].attached)
			log_info("hook %s not attached: %s", hooks[i].name, hooks[i].reason);
	log_info("ia32: %s", sensor_ia32(a->sensor));
	if (a->repeats)
		log_info("repeats: an open repeated by the same process within %" PRIu64
			 " ms is counted in the kernel and reported as evt.count",
			 a->cfg->agent.repeat_window_ms);
	else
		log_info("repeats: not aggregated (--repeat-window-ms 0): every open is an event");
	if (a->budget.off)
		log_info("budget: none (--cgroup-budget off): one cgroup can fill the ring buffer");
	else
		log_info("budget: %" PRIu64 " full events/s per cgroup, burst %" PRIu64 "; past %"
			 PRIu64 " bytes queued only cgroups that spent at most %" PRIu64 " are "
			 "admitted (ring buffer of about %" PRIu64 " events)", a->budget.rate,
			 a->budget.burst, a->budget.reserve_bytes, a->budget.quiet, a->budget.slots);
	creds_count_by_kind(a->creds, kinds);

	o = 0;
	for (int k = 0; k < CW_CRED__MAX; k++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%s%s %u", k ? ", " : "",
				      cred_kind_name(k), kinds[k]);
	log_info("cluster %s, cloud provider %s%s%s%s, region %s",
		 a->identity.cluster_name[0] ? a->identity.cluster_name : "<NA>",
		 a->identity.provider[0] ? a->identity.provider : "<NA>",
		 a->identity.source[0] ? " (from " : "", a->identity.source,
		 a->identity.source[0] ? ")" : "",
		 a->identity.region[0] ? a->identity.region : "<NA>");
	log_info("watching %u credentials under %s: %s", creds_count(a->creds),
		 a->cfg->agent.host_root ? a->cfg->agent.host_root : "/", line);
	if (!creds_count(a->creds))
		log_info("no credentials found: add files with --watch PATH, or point "
			 "--host-root at a node's root filesystem");
}

/* Falco rule files: how many rules apply to credential opens (one line, or none). */
static void log_rules_summary(const struct rules *r)
{
	char line[512];

	if (rules_summary(r, line, sizeof(line))[0])
		log_info("%s", line);
}

static int open_rules(struct agent *a)
{
	struct rules_diag diag = { 0 };

	a->rules = rules_open(&a->cfg->rules, &diag);
	if (!a->rules) {
		rules_diag_print(&diag, stderr);
		return -EINVAL;
	}
	metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
	log_info("loaded %d rules from %d file%s", rules_count(a->rules), rules_nfiles(a->rules),
		 rules_nfiles(a->rules) == 1 ? "" : "s");
	log_rules_summary(a->rules);
	return 0;
}

/* The budget sized to the ring buffer, and the two consumers of the kernel's counters. */
static int open_kernel_counts(struct agent *a)
{
	const struct config *cfg = a->cfg;
	struct repeats_opts ro = {
		.window_ns = cfg->agent.repeat_window_ms * 1000000ULL, .lookup = repeat_lookup,
		.del = repeat_delete, .emit = on_aggregated, .ctx = a,
	};
	struct throttle_opts to = {
		.interval_ns = cfg->outputs.alert_summary_interval_s * 1000000000ULL,
		.metrics = a->metrics, .pod = throttle_pod, .alert = on_throttle_alert, .ctx = a,
	};
	uint64_t rate, burst;
	char err[256];
	bool off;
	int ret;

	/* validated with the rest of the configuration */
	budget_parse(cfg->agent.cgroup_budget, &off, &rate, &burst, err, sizeof(err));
	budget_size(cfg->agent.ringbuf_bytes ? cfg->agent.ringbuf_bytes : 8u << 20, off, rate, burst,
		    &a->budget);
	to.rate = a->budget.rate;
	to.burst = a->budget.burst;
	if (ro.window_ns) {
		ret = repeats_new(&a->repeats, &ro);
		if (ret)
			return ret;
	}
	return throttle_new(&a->throttle, &to);
}

static int agent_setup(struct agent *a, const struct config *cfg, bool with_sensor)
{
	struct watch_opts wo = cfg->watch;
	struct watch_sink sink = { sink_add, sink_del, a };
	struct sensor_opts so = { 0 };
	char why[512];
	uint64_t t0;
	int err;

	a->cfg = cfg;
	jbuf_init(&a->jb);
	err = creds_new(&a->creds, 0);
	if (err)
		return err;
	if (with_sensor) {
		err = sensor_probe(why, sizeof(why));
		if (err) {
			log_error("%s", why);
			return err;
		}
		so.max_watched = (uint32_t)cfg->agent.max_watched;
		so.ringbuf_bytes = (uint32_t)cfg->agent.ringbuf_bytes;
		so.variant = cfg->agent.bpf_variant;
		so.repeat_window_ns = cfg->agent.repeat_window_ms * 1000000ULL;
		so.budget = &a->budget;
		so.ia32 = cfg->agent.ia32_syscalls;
		err = open_kernel_counts(a);
		if (err)
			return err;
		err = sensor_open(&a->sensor, &so, on_event, a);
		if (err)
			return err;
	}
	wo.host_root = cfg->agent.host_root ? cfg->agent.host_root : "/";
	err = watch_new(&a->watch, &wo, a->creds, &sink);
	if (err)
		return err;
	/* timed for the discovery benchmark (tests/bench/run.sh reads this line) */
	t0 = now_ns(CLOCK_MONOTONIC);
	err = watch_scan_all(a->watch);
	if (!err)
		log_info("discovery: %u credentials in %.1f ms", creds_count(a->creds),
			 (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6);
	return err;
}

/*
 * SIGHUP: reload the rules (a broken file keeps the running set) and
 * rescan credentials.
 */
static void reload_config(struct agent *a);

static void agent_reload(struct agent *a)
{
	struct rules_diag diag = { 0 };
	struct rules *next;

	reload_config(a);
	next = rules_open(&a->cfg->rules, &diag);
	if (!next) {
		log_error("SIGHUP: rules not reloaded, keeping the %d running rules:",
			  rules_count(a->rules));
		rules_diag_print(&diag, stderr);
	} else {
		rules_free(a->rules);
		a->rules = next;
		outputs_rules_reloaded(a->outputs);
		metrics_set(a->metrics, CW_M_RULES_LOADED, 0, rules_count(a->rules));
		log_info("SIGHUP: loaded %d rules from %d files", rules_count(a->rules),
			 rules_nfiles(a->rules));
		log_rules_summary(a->rules);
		attrib_set_wants(a->attrib, rules_wants(a->rules));
	}
	log_info("SIGHUP: rescanning credentials");
	watch_scan_all(a->watch);
}

static void agent_teardown(struct agent *a)
{
	health__stop(a->health);
	outputs_close(a->outputs, kernel_drops_total(a));
	attrib_free(a->attrib);
	redact_free(a->redact);	/* after attrib, which borrows it */
	findings_free(a->findings);
	watch_free(a->watch);
	repeats_free(a->repeats);
	throttle_free(a->throttle);
	sensor_free(a->sensor);
	creds_free(a->creds);
	rules_free(a->rules);
	metrics_free(a->metrics);
	jbuf_free(&a->jb);
}

/* Gauges and cumulative counters the loop refreshes once a second. */
static void update_metrics(struct agent *a)
{
	uint64_t drops[CW_DROP__MAX];
	uint32_t kinds[CW_CRED__MAX];
	struct watch_stats ws;

	sensor_drops(a->sensor, drops);
	for (int i = 0; i < CW_DROP__MAX; i++)
		metrics_set(a->metrics, CW_M_KERNEL_DROPS_TOTAL, i, (int64_t)drops[i]);
	creds_count_by_kind(a->creds, kinds);
	for (int k = 0; k < CW_CRED__MAX; k++)
		metrics_set(a->metrics, CW_M_WATCHED_CREDENTIALS, k, kinds[k]);
	watch_stats(a->watch, &ws);
	metrics_set(a->metrics, CW_M_DISCOVERY_LATE_FINDS_TOTAL, 0, (int64_t)ws.late_finds);
	metrics_set(a->metrics, CW_M_DISCOVERY_LATE_REMOVALS_TOTAL, 0, (int64_t)ws.late_removals);
	metrics_set(a->metrics, CW_M_DISCOVERY_RECHECKED_PODS_TOTAL, 0,
		    (int64_t)ws.rechecked_pods);
	metrics_set(a->metrics, CW_M_DISCOVERY_VOLUME_MOUNTS, 0, (int64_t)ws.volume_mounts);
	metrics_set(a->metrics, CW_M_DISCOVERY_INOTIFY_WATCHES, 0, (int64_t)ws.inotify_watches);
	if (a->attrib && !a->node_identity_applied) {
		struct cluster_identity node;

		if (attrib_node_identity(a->attrib, &node)) {
			identity_merge(&a->identity, &node);
			a->node_identity_applied = true;
		}
	}
	if (a->attrib) {
		struct attrib_stats as;

		attrib_stats(a->attrib, &as);
		metrics_set(a->metrics, CW_M_ATTRIBUTION_CACHE_ENTRIES, 0, (int64_t)as.cgroup_entries);
		metrics_set(a->metrics, CW_M_K8S_API_WATCH_UP, 0,
			    as.api_state && !strcmp(as.api_state, "watching"));
	}
}

static int attached_hooks(struct agent *a)
{
	const struct sensor_hook_status *hooks = sensor_hooks(a->sensor, &(int){ 0 });
	int n = 0;

	for (int i = 0; i < SENSOR_HOOKS; i++)
		n += hooks[i].attached;
	return n;
}

/*
 * SIGHUP: re-read the config file (and the flags on top). A bad file is
 * reported and the running configuration kept. Which settings apply live
 * is decided here, setting by setting; the others are named as needing a
 * restart.
 */
static void reload_config(struct agent *a)
{
	char err[512], changed[512];
	struct config next;

	if (config_reload(a->cfg, &next, err, sizeof(err))) {
		log_warn("config: reload: %s: keeping the running configuration", err);
		return;
	}
	if (config_diff(a->cfg, &next, changed, sizeof(changed)))
		log_warn("config: reload: changed %s: takes effect at restart", changed);
	config_free(&next);
}

/*
 * What main maps to an exit code: -EINVAL for what the operator fixes in
 * the options (exit 2), any other errno for a runtime failure (exit 1). A
 * stage whose -EINVAL is not about the options goes through runtime().
 */
static int runtime(int err)
{
	return err == -EINVAL ? -EIO : err;
}

int agent_run(const struct config *cfg, struct agent_signals *sig)
{
	struct agent *a = calloc(1, sizeof(*a));
	uint64_t deadline = 0, next_second = 0, next_findings = 0, t;
	struct attrib_opts ao;
	int err, loop_fd = -1;
	bool ring_busy = false;

	if (!a) {
		log_error("out of memory");
		return -ENOMEM;
	}
	a->cfg = cfg;
	jbuf_init(&a->jb);
	identity_node_name(cfg->identity.node_name, a->node_name, sizeof(a->node_name));
	a->metrics = metrics_new(0);
	if (!a->metrics) {
		log_error("out of memory");
		err = -ENOMEM;
		goto cleanup;
	}
	/*
	 * Threads start only after privs_drop_after_attach(): capset() changes
	 * the calling thread alone, and a thread inherits its creator's
	 * capabilities. So the endpoint binds now (a bad --listen fails before
	 * BPF loads) but serves later, and the shipper and the API client are
	 * set up here and started below.
	 */
	if (cfg->health.listen) {
		a->health = health__open(cfg->health.listen, a->metrics, 0);
		if (!a->health) {
			/* health__open names --listen and the reason itself; EINVAL: a bad address */
			err = -errno;
			if (err == -ENOMEM)
				log_error("listen: --listen %s: out of memory", cfg->health.listen);
			goto cleanup;
		}
	}
	/* usage errors here: the rules, the backend's options, the kubeconfig */
	err = open_rules(a);
	if (!err)
		err = outputs_open(&a->outputs, &cfg->outputs, &cfg->dump, &cfg->ship, a->node_name,
				   a->metrics);
	if (!err)
		err = redact_open(&a->redact, &cfg->redact);
	if (err)
		goto cleanup;
	ao = cfg->attrib;
	ao.host_root = cfg->agent.host_root;
	ao.node_name = a->node_name;
	ao.in_cluster = true;
	ao.redact = a->redact;
	err = attrib_new(&a->attrib, &ao);
	if (err) {
		if (err != -EINVAL)
			log_error("attribution: %s", strerror(-err));
		goto cleanup;
	}
	/* /proc reads for the Falco fields the rules use (proc.duration, thread.cap_*) */
	attrib_set_wants(a->attrib, rules_wants(a->rules));
	/* runtime failures from here on, each logged where it happened */
	err = open_findings(a);
	if (err) {
		err = runtime(err);
		goto cleanup;
	}
	a->boot_to_real_ns = event_boot_to_real_ns();
	err = agent_setup(a, cfg, true);
	if (err) {
		err = runtime(err);
		goto cleanup;
	}
	metrics_set(a->metrics, CW_M_BPF_PROGRAMS_ATTACHED, 0, attached_hooks(a));
	err = privs_drop_after_attach();
	if (err == -EBUSY)
		goto cleanup;
	if (err)
		log_warn("privs: dropping capabilities: %s", strerror(-err));
	err = a->health ? health__serve(a->health) : 0;
	if (!err)
		err = outputs_start(a->outputs);
	if (!err)
		err = attrib_start(a->attrib);
	if (err) {
		err = runtime(err < 0 ? err : -EIO);
		goto cleanup;
	}
	update_metrics(a);
	identity_detect(cfg->agent.host_root, cfg->identity.cluster_name, &a->identity);
	metrics_set_ready(a->metrics, true);
	startup_summary(a);
	if (cfg->agent.duration_s)
		deadline = now_ns(CLOCK_MONOTONIC) + cfg->agent.duration_s * 1000000000ULL;

	/*
	 * One wait for the ring buffer, inotify and the mount table, so a
	 * token rotation or a new pod's volume mount reaches the kernel map at
	 * once rather than after a poll timeout.
	 */
	loop_fd = epoll_create1(EPOLL_CLOEXEC);
	if (loop_fd < 0 ||
	    epoll_ctl(loop_fd, EPOLL_CTL_ADD, sensor_epoll_fd(a->sensor),
		      &(struct epoll_event){ .events = EPOLLIN, .data.u32 = LOOP_SENSOR }) ||
	    (watch_fd(a->watch) >= 0 &&
	     epoll_ctl(loop_fd, EPOLL_CTL_ADD, watch_fd(a->watch),
		       &(struct epoll_event){ .events = EPOLLIN, .data.u32 = LOOP_INOTIFY })) ||
	    (watch_mount_fd(a->watch) >= 0 &&
	     epoll_ctl(loop_fd, EPOLL_CTL_ADD, watch_mount_fd(a->watch),
		       &(struct epoll_event){ .events = EPOLLPRI, .data.u32 = LOOP_MOUNTS }))) {
		err = runtime(-errno);
		log_error("agent: epoll: %s", strerror(-err));
		goto cleanup;
	}
	/*
	 * Bounded batches: a flood of events never keeps the loop from the
	 * rest (inotify for rotations, the heartbeat /healthz and /readyz
	 * read, timers, flushes); with a batch pending the wait does not block.
	 */
	while (!sig->stop) {
		struct epoll_event evs[3];
		int n;

		n = epoll_wait(loop_fd, evs, 3, ring_busy ? 0 : watch_timeout_ms(a->watch, POLL_MS));
		if (n < 0 && errno != EINTR) {
			err = runtime(-errno);
			log_error("agent: epoll_wait: %s", strerror(-err));
			goto cleanup;
		}
		/* the wait consumed the mount table's signal: pass it on */
		for (int i = 0; i < n; i++)
			if (evs[i].data.u32 == LOOP_MOUNTS)
				watch_mounts_changed(a->watch);
		err = sensor_consume(a->sensor, BATCH_EVENTS, &ring_busy);
		if (err < 0) {
			log_error("sensor: reading events: %s", strerror(-err));
			err = runtime(err);
			goto cleanup;
		}
		metrics_heartbeat(a->metrics);
		err = watch_process(a->watch);
		if (err < 0)
			log_warn("watch: processing changes: %s", strerror(-err));
		if (sig->reload) {
			sig->reload = 0;
			agent_reload(a);
		}
		t = now_ns(CLOCK_MONOTONIC);
		outputs_tick(a->outputs, t);
		if (t >= next_second) {
			settle_kernel_counts(a, ring_busy, false);
			report_drops(a);
			update_metrics(a);
			outputs_second(a->outputs);
			a->boot_to_real_ns = event_boot_to_real_ns();	/* follow clock steps */
			next_second = t + DROP_CHECK_NS;
		}
		if (a->findings && t >= next_findings) {
			run_findings(a);
			next_findings = t + cfg->findings.interval_s * 1000000000ULL;
		}
		if (deadline && t >= deadline)
			break;
	}
	/* flush: whatever the kernel queued before we stop, then what it counted */
	drain(a);
	settle_kernel_counts(a, false, true);
	exit_summary(a);
	if (a->findings) {
		run_findings(a);
		findings_summary(a);
	}
	log_info("stopping: %" PRIu64 " credential accesses seen, %" PRIu64
		 " lost in the kernel (%" PRIu64 " more refused by the per-cgroup budget); %"
		 PRIu64 " records (%" PRIu64 " aggregated), %" PRIu64 " repeats lost",
		 a->events, a->drops_reported, a->refused_reported, a->records,
		 a->aggregated_records, a->repeats_lost);

	err = 0;
cleanup:
	if (loop_fd >= 0)
		close(loop_fd);
	agent_teardown(a);
	free(a);
	return err;
}

int agent_list_watched(const struct config *cfg)
{
	struct agent *a = calloc(1, sizeof(*a));
	const struct cred_entry *c;
	uint32_t cursor = 0;
	int err;

	if (!a)
		return -ENOMEM;
	err = runtime(agent_setup(a, cfg, false));
	if (err)
		goto cleanup;
	printf("%-10s %-20s %-36s %s\n", "KIND", "DEV:INO", "OWNER", "PATH");
	while ((c = creds_next(a->creds, &cursor))) {
		char devino[64], path[8192];

		snprintf(devino, sizeof(devino), "%u:%u:%" PRIu64, major(c->dev), minor(c->dev),
			 c->ino);
		printf("%-10s %-20s %-36s %s\n", cred_kind_name(c->kind), devino,
		       c->pod_uid[0] ? c->pod_uid : "host",
		       text_escape(c->path, path, sizeof(path)));
	}
	{
		uint32_t kinds[CW_CRED__MAX];

		creds_count_by_kind(a->creds, kinds);
		printf("%u credentials", creds_count(a->creds));
		for (int k = 0; k < CW_CRED__MAX; k++)
			printf("%s%s %u", k ? ", " : ": ", cred_kind_name(k), kinds[k]);
		printf("\n");
	}
cleanup:
	agent_teardown(a);
	free(a);
	return err;
}
