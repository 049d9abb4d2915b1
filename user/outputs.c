// SPDX-License-Identifier: Apache-2.0
/*
 * outputs.c - every sink the agent writes to (outputs.h): the alert file
 * and writer, the events stream, the findings file, the dump and the
 * backend, and the options of the first three.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "dump.h"
#include "json.h"
#include "log.h"
#include "metrics.h"
#include "outputs.h"
#include "rules.h"
#include "ship.h"
#include "throttle.h"

#define RULE_SLOTS	1024	/* rule -> metrics slot cache (power of 2) */

static const struct opt_desc outputs_option_list[] = {
	OPT_STR(struct outputs_opts, output, "output", "FILE|-", "-",
		"where alerts go (appends to FILE)"),
	OPT_STR(struct outputs_opts, format, "output-format", "json|text",
		"text on a terminal, else json", "alert format: Falco JSON lines or readable text"),
	OPT_BOOL(struct outputs_opts, no_color, "no-color",
		 "no colours in text output (also NO_COLOR)"),
	OPT_UINT(struct outputs_opts, alert_rate, "alert-rate", "N", 10, "10",
		 "alerts per second per rule and reader before suppression (0: no limit)"),
	OPT_UINT(struct outputs_opts, alert_burst, "alert-burst", "N", 50, "50",
		 "alerts allowed in a burst"),
	OPT_UINT(struct outputs_opts, alert_summary_interval_s, "alert-summary-interval",
		 "SECONDS", 60, "60", "how often suppressed alerts are reported in a summary alert"),
	OPT_STR(struct outputs_opts, events, "events", "FILE|-", "off",
		"write every credential access as NDJSON, before rules"),
	OPT_STR(struct outputs_opts, findings, "findings", "FILE|-", "off",
		"write credential exposure findings (what to fix) as NDJSON"),
};

static int outputs_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct outputs_opts *o = opts;

	if (o->format && strcmp(o->format, "json") && strcmp(o->format, "text")) {
		snprintf(err, err_size, "--output-format: '%s' is not json or text", o->format);
		return -EINVAL;
	}
	if (o->alert_rate && !o->alert_burst) {
		snprintf(err, err_size, "--alert-burst: must be at least 1 when --alert-rate is set");
		return -EINVAL;
	}
	return 0;
}

const struct opt_table outputs_options = OPT_TABLE(outputs_option_list, NULL,
						   outputs_opts_check);

struct rule_slot {
	const struct cw_rule *rule;
	int slot;
};

/* A file sink: stdout ("-"), or a file opened for appending that we close. */
struct stream {
	FILE *f;
	bool owned;
	const char *path;	/* the option's value, for messages */
};

struct outputs {
	struct stream alerts_file, events, findings;
	struct alert_writer *alerts;
	struct dump_writer *dump;	/* NULL without --dump */
	struct ship *ship;		/* NULL without --backend */
	unsigned drain_ms;		/* --backend-drain-ms */
	struct metrics *metrics;
	struct jbuf jb;			/* an events line */
	struct rule_slot rule_slots[RULE_SLOTS];
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* path "-": stdout. Logs "<what>: --<flag> PATH: reason". 0 or -errno. */
static int stream_open(struct stream *s, const char *path, const char *what, const char *flag)
{
	int err;

	s->path = path;
	if (!strcmp(path, "-")) {
		s->f = stdout;
		return 0;
	}
	s->f = fopen(path, "ae");
	if (!s->f) {
		err = -errno;
		log_error("%s: --%s %s: %s", what, flag, path, strerror(-err));
		return err;
	}
	s->owned = true;
	return 0;
}

static void stream_close(struct stream *s)
{
	if (s->f && s->owned)
		fclose(s->f);
	else if (s->f)
		fflush(s->f);
	s->f = NULL;
}

static void count_output_error(struct outputs *out)
{
	metrics_inc(out->metrics, CW_M_EVENTS_LOST_TOTAL, CW_LOST_OUTPUT_ERROR);
}

/* Every alert line, summaries included: into the dump (and the shipper). */
static void on_alert_line(void *ctx, const struct cw_record *rec, const char *json, size_t len)
{
	struct outputs *out = ctx;

	/* the writer's jbuf keeps the line NUL-terminated */
	if (out->dump && dump_write_alert(out->dump, rec, json))
		count_output_error(out);
	/* spool failures (disk full) are counted by the shipper; the file still has it */
	if (out->ship)
		ship_submit(out->ship, SPOOL_ALERT, json, len);
}

static int open_alerts(struct outputs *out, const struct outputs_opts *o, const char *node_name)
{
	struct alert_opts ao = { 0 };
	bool tty;
	int err;

	err = stream_open(&out->alerts_file, o->output ? o->output : "-", "output", "output");
	if (err)
		return err;
	tty = isatty(fileno(out->alerts_file.f));
	ao.rate = (double)o->alert_rate;
	ao.burst = o->alert_burst ? (double)o->alert_burst : 1.0;
	ao.summary_interval_ns = o->alert_summary_interval_s * 1000000000ULL;
	ao.hostname = node_name;
	ao.text = o->format ? !strcmp(o->format, "text") : tty;
	ao.color = ao.text && tty && !o->no_color && !getenv("NO_COLOR");
	ao.sink = on_alert_line;
	ao.sink_ctx = out;
	return alert_writer_new(&out->alerts, &ao, out->alerts_file.f);
}

int outputs_open(struct outputs **outp, const struct outputs_opts *o, const struct dump_opts *dump,
		 const struct ship_opts *ship, const char *node_name, struct metrics *metrics)
{
	struct outputs *out = calloc(1, sizeof(*out));
	int err;

	*outp = NULL;
	if (!out)
		return -ENOMEM;
	out->metrics = metrics;
	jbuf_init(&out->jb);
	err = open_alerts(out, o, node_name);
	if (!err && ship->url) {
		struct ship_opts so = *ship;

		so.hostname = node_name;
		out->drain_ms = (unsigned)ship->drain_ms;
		err = ship_new(&out->ship, &so);
		/* a bad URL, or files the backend options name: the operator's to fix */
		if (err == -EINVAL || err == -ENOENT || err == -EACCES)
			goto usage;
	}
	if (!err && o->events)
		err = stream_open(&out->events, o->events, "events", "events");
	if (!err && dump->dir) {
		struct dump_opts d = *dump;

		d.hostname = node_name;
		err = dump_writer_open(&out->dump, &d);
	}
	if (!err && o->findings)
		err = stream_open(&out->findings, o->findings, "findings", "findings");
	if (!err) {
		*outp = out;
		return 0;
	}
	/* each logged why; only the backend's options make a usage error */
	if (err == -EINVAL)
		err = -EIO;
	outputs_close(out, 0);
	return err;
usage:
	outputs_close(out, 0);
	return -EINVAL;
}

int outputs_start(struct outputs *out)
{
	return out->ship ? ship_start(out->ship) : 0;
}

/*
 * The one delivery summary at exit, after the drain: every way an alert can
 * fail to reach the backend is on this line, kernel drops included, so an
 * operator (or a test) reads loss from a single place.
 */
static void close_ship(struct outputs *out, uint64_t kernel_drops)
{
	struct ship_stats st;
	int err;

	err = ship_close(out->ship, out->drain_ms, &st);
	out->ship = NULL;
	log_info("backend: delivery summary: %" PRIu64 " records submitted, %" PRIu64 " sent, %"
		 PRIu64 " retried, %" PRIu64 " acknowledged, %" PRIu64 " dead-lettered, %" PRIu64
		 " evicted from the spool, %" PRIu64 " spool write errors (%" PRIu64 " disk full), %"
		 PRIu64 " records left in the spool (%" PRIu64 " bytes)%s, %" PRIu64
		 " events lost in the kernel", st.submitted, st.sent, st.retried, st.acked,
		 st.dead_lettered, st.spool.evicted, st.submit_errors, st.spool.disk_full,
		 st.spool.pending, st.spool.pending_bytes,
		 err == -EAGAIN ? " for the next start" : "", kernel_drops);
}

void outputs_close(struct outputs *out, uint64_t kernel_drops)
{
	if (!out)
		return;
	/* the last summary alerts still reach the dump and the shipper */
	if (out->alerts)
		alert_writer_flush(out->alerts, mono_ns());
	if (out->ship)
		close_ship(out, kernel_drops);
	stream_close(&out->findings);
	alert_writer_free(out->alerts);
	stream_close(&out->alerts_file);
	if (out->dump && dump_writer_close(out->dump))
		log_warn("dump: closing: some records may be lost");
	stream_close(&out->events);
	jbuf_free(&out->jb);
	free(out);
}

void outputs_record(struct outputs *out, const struct cw_record *rec)
{
	if (out->events.f) {
		jbuf_reset(&out->jb);
		jbuf_obj_begin(&out->jb);
		jbuf_record_fields(&out->jb, rec);
		jbuf_obj_end(&out->jb);
		if (out->jb.oom)
			log_warn("events: out of memory formatting an event");
		else
			outputs_event_line(out, &out->jb);
	}
	if (out->dump && dump_write_event(out->dump, rec))
		count_output_error(out);
}

static int rule_metrics_slot(struct outputs *out, const struct cw_rule *rule)
{
	uint32_t h = (uint32_t)(((uintptr_t)rule >> 4) * 2654435761u) & (RULE_SLOTS - 1);

	for (uint32_t i = 0; i < RULE_SLOTS; i++) {
		struct rule_slot *rs = &out->rule_slots[(h + i) & (RULE_SLOTS - 1)];

		if (rs->rule == rule)
			return rs->slot;
		if (!rs->rule) {
			rs->rule = rule;
			rs->slot = metrics_rule_slot(out->metrics, rule_name(rule),
						     priority_name(rule_priority(rule)));
			return rs->slot;
		}
	}
	return -ENOSPC;
}

void outputs_alert(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct outputs *out = ctx;
	int ret, slot;

	ret = alert_writer_emit(out->alerts, rule, rec, mono_ns());
	if (ret < 0) {
		count_output_error(out);
		return;
	}
	if (ret == 1) {
		slot = rule_metrics_slot(out, rule);
		if (slot >= 0)
			metrics_alert_inc(out->metrics, slot);
	}
}

struct throttle_fields {
	const struct throttle_alert *t;
	char container_id[64];
};

static void throttle_alert_fields(void *ctx, struct jbuf *jb)
{
	const struct throttle_fields *f = ctx;
	const struct throttle_alert *t = f->t;

	jbuf_kv_str_or_null(jb, "k8s.ns.name", t->ns[0] ? t->ns : NULL);
	jbuf_kv_str_or_null(jb, "k8s.pod.name", t->pod[0] ? t->pod : NULL);
	jbuf_kv_str_or_null(jb, "k8s.pod.uid", t->pod_uid[0] ? t->pod_uid : NULL);
	jbuf_kv_u64(jb, "credwatch.cgroup_id", t->cgroup_id);
	jbuf_kv_u64(jb, "credwatch.throttled", t->throttled);
	jbuf_kv_u64(jb, "credwatch.throttled_reserve", t->reserve);
	jbuf_kv_u64(jb, "credwatch.first_reads", t->first_reads);
	jbuf_kv_u64(jb, "credwatch.throttled_total", t->total);
	jbuf_kv_u64(jb, "credwatch.throttled_window_s", t->window_s);
	jbuf_kv_u64(jb, "credwatch.budget_rate", t->rate);
	jbuf_kv_u64(jb, "credwatch.budget_burst", t->burst);
}

void outputs_throttle_alert(struct outputs *out, const struct throttle_alert *t)
{
	static const char *const tags[] = { "credwatch", "flood", "defense_evasion" };
	struct throttle_fields f = { .t = t };
	struct alert_builtin b = {
		.rule = THROTTLE_RULE, .priority = CW_PRIO_WARNING, .tags = tags, .ntags = 3,
		.fields = throttle_alert_fields, .ctx = &f,
	};
	char who[600], window[64] = "", line[1200];
	int slot;

	if (!t->pod_uid[0])
		snprintf(who, sizeof(who), "Host processes (cgroup %" PRIu64 ")", t->cgroup_id);
	else if (t->pod[0])
		snprintf(who, sizeof(who), "Pod %s/%s", t->ns[0] ? t->ns : "<NA>", t->pod);
	else
		snprintf(who, sizeof(who), "Pod uid %s", t->pod_uid);
	if (t->window_s)
		snprintf(window, sizeof(window), " in the last %" PRIu64 "s", t->window_s);
	snprintf(line, sizeof(line), "%s flooded credential opens: %" PRIu64 " full events "
		 "refused%s (%" PRIu64 " over its budget of %" PRIu64 "/s, burst %" PRIu64 ", %"
		 PRIu64 " kept out of the ring buffer's reserve); %" PRIu64 " first reads of a "
		 "credential still reported (pod_uid=%s cgroup=%" PRIu64 " total=%" PRIu64 ")",
		 who, t->throttled + t->reserve, window, t->throttled, t->rate, t->burst,
		 t->reserve, t->first_reads, t->pod_uid[0] ? t->pod_uid : "<NA>", t->cgroup_id,
		 t->total);
	b.output = line;
	if (alert_writer_emit_builtin(out->alerts, &b) < 0) {
		count_output_error(out);
		return;
	}
	slot = metrics_rule_slot(out->metrics, THROTTLE_RULE, "warning");
	if (slot >= 0)
		metrics_alert_inc(out->metrics, slot);
}

void outputs_rules_reloaded(struct outputs *out)
{
	memset(out->rule_slots, 0, sizeof(out->rule_slots));
}

void outputs_finding(void *ctx, const char *line, size_t len)
{
	struct outputs *out = ctx;

	if (out->findings.f && (fwrite(line, 1, len, out->findings.f) != len ||
				fputc('\n', out->findings.f) == EOF))
		log_warn("findings: %s: write: %s", out->findings.path, strerror(errno));
	/* the dump keeps the line as written, for credwatch-inspect findings/summary */
	if (out->dump && dump_write_finding(out->dump, line, len))
		count_output_error(out);
	/* same no-loss path as alerts */
	if (out->ship)
		ship_submit(out->ship, SPOOL_FINDING, line, len);
}

void outputs_findings_done(struct outputs *out)
{
	if (out->findings.f && fflush(out->findings.f))
		log_warn("findings: %s: write: %s", out->findings.path, strerror(errno));
}

bool outputs_has_events(const struct outputs *out)
{
	return out && out->events.f;
}

void outputs_event_line(struct outputs *out, const struct jbuf *jb)
{
	if (!out->events.f)
		return;
	if (fwrite(jb->buf, 1, jb->len, out->events.f) != jb->len ||
	    fputc('\n', out->events.f) == EOF)
		log_warn("events: write: %s", strerror(errno));
}

void outputs_tick(struct outputs *out, uint64_t mono)
{
	if (out->events.f)
		fflush(out->events.f);
	alert_writer_tick(out->alerts, mono);
	fflush(out->alerts_file.f);
}

void outputs_second(struct outputs *out)
{
	struct ship_stats st;

	if (out->dump)
		dump_flush(out->dump);
	if (!out->ship)
		return;
	ship_stats(out->ship, &st);
	metrics_set(out->metrics, CW_M_BACKEND_SENT_TOTAL, 0, (int64_t)st.sent);
	metrics_set(out->metrics, CW_M_BACKEND_ACKED_TOTAL, 0, (int64_t)st.acked);
	metrics_set(out->metrics, CW_M_BACKEND_RETRIED_TOTAL, 0, (int64_t)st.retried);
	metrics_set(out->metrics, CW_M_BACKEND_DEAD_LETTERED_TOTAL, 0, (int64_t)st.dead_lettered);
	metrics_set(out->metrics, CW_M_SPOOL_EVICTED_TOTAL, 0, (int64_t)st.spool.evicted);
	metrics_set(out->metrics, CW_M_SPOOL_WRITE_ERRORS_TOTAL, 0, (int64_t)st.submit_errors);
	/* what waits for the backend: acked records linger in the active segment */
	metrics_set(out->metrics, CW_M_SPOOL_BYTES, 0, (int64_t)st.spool.pending_bytes);
}
