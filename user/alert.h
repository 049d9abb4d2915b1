/* SPDX-License-Identifier: Apache-2.0 */
/*
 * alert.h - alerts: Falco JSON lines, text for terminals, rate limiting.
 *
 * One alert is one JSON object on one line, as Falco writes it and
 * falcosidekick accepts it:
 *   {"time":"2026-11-23T00:43:21.123456789Z","rule":"...","priority":"Critical",
 *    "output":"...","output_fields":{"evt.time":...,"proc.name":"curl",...},
 *    "source":"credwatch","tags":[...],"hostname":"node-1","uuid":"..."}
 * time is the event's time; uuid (v4) is drawn once per alert, so the same
 * line keeps it through spooling, retries and dumps.
 *
 * The writer rate-limits per (rule, reader) with a token bucket: the reader
 * is the container (container.id) or, for host processes, the pid. What the
 * bucket holds back is counted and reported by a summary alert (rule
 * "credwatch: alerts suppressed", priority Notice) at most once per summary
 * interval and at flush: nothing is dropped silently. All rate-limit time is
 * the now_ns the caller passes (one monotonic clock), so tests inject time.
 */
#ifndef CW_ALERT_H
#define CW_ALERT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "json.h"
#include "record.h"
#include "rules.h"

#define ALERT_SUPPRESSED_RULE	"credwatch: alerts suppressed"

struct alert {
	uint64_t time_ns;		/* event time, ns since the epoch */
	char uuid[37];
	const struct cw_rule *rule;
	const struct cw_record *rec;
};

/*
 * Called with every JSON line written (alerts and summaries), no newline,
 * NUL-terminated; rec is the record the alert is about (NULL for a summary).
 */
typedef void (*alert_sink_fn)(void *ctx, const struct cw_record *rec, const char *json,
			      size_t len);

struct alert_opts {
	double rate;			/* --alert-rate: per second per key; <= 0 no limit */
	double burst;			/* --alert-burst: bucket size (>= 1) */
	uint64_t summary_interval_ns;	/* 0: 60 s */
	const char *hostname;		/* NULL: gethostname() */
	bool text;			/* --output-format text */
	bool color;			/* text only; caller honours NO_COLOR / isatty */
	alert_sink_fn sink;		/* optional: shipper, dump */
	void *sink_ctx;
};

#define ALERT_DEFAULT_RATE	10.0
#define ALERT_DEFAULT_BURST	50.0

/* A fresh alert: time from rec (wall clock when rec has none), new uuid. */
void alert_init(struct alert *a, const struct cw_rule *rule, const struct cw_record *rec);
/* The Falco JSON object on one line (no newline), appended to jb. */
void alert_render_json(const struct alert *a, const char *hostname, struct jbuf *jb);
/* "TIME Priority Rule: output" with control characters escaped. */
void alert_render_text(const struct alert *a, bool color, struct jbuf *jb);
/* RFC 3339 UTC with nanoseconds: "2026-11-23T00:43:21.123456789Z". */
const char *alert_time_format(uint64_t ns, char *buf, size_t size);
/* A random (version 4) UUID, 36 characters + NUL. */
void alert_uuid(char out[37]);

struct alert_writer;

/* 0 or -ENOMEM, *wp NULL on error. out may be NULL (sink only). */
int alert_writer_new(struct alert_writer **wp, const struct alert_opts *opts, FILE *out);
void alert_writer_free(struct alert_writer *w);
/*
 * alert_writer_emit - rate-limit, then write one alert to out and the sink.
 * Returns 1 written, 0 suppressed (counted for the summary), -EIO when
 * out failed.
 */
int alert_writer_emit(struct alert_writer *w, const struct cw_rule *rule,
		      const struct cw_record *rec, uint64_t now_ns);
/*
 * A built-in alert: one the agent raises itself, not a rule (the flood
 * alert, user/throttle.c). Same Falco JSON shape; output_fields holds
 * evt.time and whatever fields() writes into the open object.
 */
struct alert_builtin {
	const char *rule;		/* e.g. "credwatch: pod throttled" */
	int priority;			/* enum cw_priority */
	uint64_t time_ns;		/* ns since the epoch; 0: now */
	const char *output;		/* the output line */
	const char *const *tags;
	int ntags;
	void (*fields)(void *ctx, struct jbuf *jb);
	void *ctx;
};

/*
 * alert_writer_emit_builtin - write one built-in alert to out and the sink,
 * unlimited (the caller rate-limits). Returns 1, or -EIO/-ENOMEM.
 */
int alert_writer_emit_builtin(struct alert_writer *w, const struct alert_builtin *b);

/* Write the summary when the interval has passed and anything was held back. */
int alert_writer_tick(struct alert_writer *w, uint64_t now_ns);
/* Write the summary now if anything was held back (at exit, before reload). */
int alert_writer_flush(struct alert_writer *w, uint64_t now_ns);
/* Totals since creation. */
void alert_writer_stats(const struct alert_writer *w, uint64_t *written,
			uint64_t *suppressed);

#endif /* CW_ALERT_H */
