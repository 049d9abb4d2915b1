// SPDX-License-Identifier: Apache-2.0
/*
 * agent_events.c - one sensor event along the pipeline, by direct calls:
 * record (event.c), attribution, identity, repeats, then every consumer
 * (outputs, rules, findings) in write_record(); and what the kernel
 * counted instead of sending (drops, the budget's refusals, repeats),
 * settled once a second and summed up at exit.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent_int.h"
#include "attrib.h"
#include "clock.h"
#include "creds.h"
#include "event.h"
#include "identity.h"
#include "findings.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "outputs.h"
#include "record.h"
#include "redact.h"
#include "repeats.h"
#include "rules.h"
#include "sensor.h"
#include "throttle.h"


uint64_t agent_kernel_drops_total(struct agent *a)
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

int agent_on_event(void *ctx, const struct cw_event *e, size_t size)
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
void agent_report_drops(struct agent *a)
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
void agent_exit_summary(struct agent *a)
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
bool agent_drain(struct agent *a)
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
void agent_settle_kernel_counts(struct agent *a, bool ring_busy, bool final)
{
	uint64_t stats[CW_STAT__MAX];
	struct repeats_stats rs;
	bool dry;

	if (a->repeats) {
		sensor_stats(a->sensor, stats);
		/* during a flood, don't: the loop's batches keep the other work going */
		dry = !ring_busy && agent_drain(a);
		repeats_flush(a->repeats, clock_ns(CLOCK_BOOTTIME), a->boot_to_real_ns, final);
		repeats_stats(a->repeats, &rs);
		if (dry && stats[CW_STAT_REPEATS] > rs.delivered + rs.owed &&
		    stats[CW_STAT_REPEATS] - rs.delivered - rs.owed > a->repeats_lost)
			a->repeats_lost = stats[CW_STAT_REPEATS] - rs.delivered - rs.owed;
		metrics_set(a->metrics, CW_M_REPEATS_LOST_TOTAL, 0, (int64_t)a->repeats_lost);
	}
	if (a->throttle) {
		sensor_budgets(a->sensor, throttle_observe, a->throttle);
		throttle_tick(a->throttle, clock_ns(CLOCK_MONOTONIC), final);
	}
}

/* The budget sized to the ring buffer, and the two consumers of the kernel's counters. */
int agent_open_kernel_counts(struct agent *a)
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
