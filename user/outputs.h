/* SPDX-License-Identifier: Apache-2.0 */
/*
 * outputs.h - where what the agent sees goes, in one place: alerts
 * (--output, rate-limited), the events stream (--events), findings
 * (--findings), the trace dump (--dump) and the backend (--backend, with
 * its spool). The loop hands over three things by direct calls, and each
 * goes to every sink that takes it:
 *
 *	record   outputs_record()   events stream, dump
 *	match    outputs_alert()    alert writer: alert file, dump (with its
 *				    record), backend; summaries and built-in
 *				    alerts (outputs_throttle_alert()) the same way
 *	finding  outputs_finding()  findings file, dump, backend
 *
 * A sink's write failure is logged or counted (credwatch_events_lost_total
 * {reason="output_error"}, the shipper's own counters) and never stops the
 * others. Threads: everything here runs on the loop's thread; the shipper's
 * sender thread is started by outputs_start().
 */
#ifndef CW_OUTPUTS_H
#define CW_OUTPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "opt.h"

struct cw_record;
struct cw_rule;
struct dump_opts;
struct jbuf;
struct metrics;
struct ship_opts;
struct throttle_alert;

struct outputs_opts {
	char *output;			/* --output FILE|-; NULL: stdout */
	char *format;			/* --output-format json | text; NULL: text on a terminal */
	bool no_color;			/* --no-color (also NO_COLOR) */
	uint64_t alert_rate;		/* --alert-rate: per second per rule and reader; 0: no limit */
	uint64_t alert_burst;		/* --alert-burst */
	uint64_t alert_summary_interval_s;	/* --alert-summary-interval */
	char *events;			/* --events FILE|-; NULL: off */
	char *findings;			/* --findings FILE|-; NULL: off */
};

/* --output, --output-format, --no-color, --alert-*, --events, --findings (opt.h) */
extern const struct opt_table outputs_options;

struct outputs;

/*
 * outputs_open - open every configured sink: the alert file and writer,
 * the backend (set up, not started), the events stream, the dump and the
 * findings file. node_name goes on alerts, dumps and the backend's own
 * alerts; metrics (borrowed) counts alerts per rule and output errors.
 * Logs what failed. 0, -EINVAL for a backend the options do not allow (a
 * usage error), or another negative errno.
 */
int outputs_open(struct outputs **out, const struct outputs_opts *o, const struct dump_opts *dump,
		 const struct ship_opts *ship, const char *node_name, struct metrics *metrics);
/*
 * outputs_close - the last summary alerts, then drain the backend for
 * --backend-drain-ms and log its delivery summary (kernel_drops on the
 * same line, so loss is read from one place), then close every file.
 * NULL is a no-op.
 */
void outputs_close(struct outputs *out, uint64_t kernel_drops);

/* Start the backend's sender thread (after privileges are dropped). 0 or -errno, logged. */
int outputs_start(struct outputs *out);

/* One record: a line on the events stream, a record in the dump. */
void outputs_record(struct outputs *out, const struct cw_record *rec);
/* A rule matched rec: an alert unless rate-limited (a rules_match_fn). */
void outputs_alert(void *out, const struct cw_rule *rule, const struct cw_record *rec);
/*
 * The flood alert (throttle.h): a pod over its --cgroup-budget, built in and
 * rate-limited by throttle.c; counted under its rule like any alert.
 */
void outputs_throttle_alert(struct outputs *out, const struct throttle_alert *t);
/* Rules were reloaded: rule pointers changed (their metrics slots persist by name). */
void outputs_rules_reloaded(struct outputs *out);
/* One finding line, JSON without the newline (a findings_emit_fn). */
void outputs_finding(void *out, const char *line, size_t len);
/* After a findings evaluation: the findings file is flushed. */
void outputs_findings_done(struct outputs *out);

/* Whether --events is on (the exit summary goes there). */
bool outputs_has_events(const struct outputs *out);
/* A line (no newline) on the events stream, such as the exit summary. */
void outputs_event_line(struct outputs *out, const struct jbuf *jb);

/* Every loop turn: streams flushed, a due suppression summary written. */
void outputs_tick(struct outputs *out, uint64_t mono_ns);
/* Once a second: the dump's buffered records written, the backend's gauges set. */
void outputs_second(struct outputs *out);

#endif /* CW_OUTPUTS_H */
