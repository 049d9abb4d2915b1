/* SPDX-License-Identifier: Apache-2.0 */
/*
 * inspect.h - what the credwatch-inspect commands share. One file per
 * command under tools/inspect/, main.c in front of them:
 *
 *   main.c      usage, options, the read loop over the dumps, progress
 *   summary.c   summary        events.c   events     alerts.c   alerts
 *   findings.c  findings       replay.c   replay and --filter
 *   report.c    report (and report_*.c, html.c, rmap.c, sha256.c)
 *   time.c      --since/--until and the time format of every command
 *   usage.c     the usage error line of every command
 *
 * report parses its own arguments: report_main() takes the arguments after
 * the command name (argv[0] is the command). The others share main.c's
 * options and read loop: it calls the command's _add() for every record
 * (struct dump_item) and, for summary, prints at the end.
 *
 * Exit status of every command: 0 everything was read, 1 damaged input or
 * an output failure, 2 a usage error.
 */
#ifndef CW_INSPECT_H
#define CW_INSPECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "user/dump.h"
#include "user/fields.h"
#include "user/json.h"
#include "user/record.h"

struct cond;
struct rules;

#define INSPECT_PROG		"credwatch-inspect"
#define INSPECT_MAX_RULE_FILES	64

enum inspect_cmd { INSPECT_SUMMARY, INSPECT_EVENTS, INSPECT_ALERTS, INSPECT_FINDINGS, INSPECT_REPLAY };

/* One run of a reading command: its options and what they set up. */
struct inspect {
	enum inspect_cmd cmd;
	const char *input;
	const char *filter_text;
	const char *rule_files[INSPECT_MAX_RULE_FILES];
	int nrule_files;
	bool json;
	int top;
	struct dump_reader_opts ropts;
	struct dump_reader *reader;
	bool progress;
	uint64_t progress_last_ns;
	struct jbuf jb;
	struct cond *filter;	/* --filter, compiled */
	struct rules *rules;	/* --rules, for replay */
	uint64_t replay_alerts;
};

/*
 * inspect_parse_time - RFC 3339 ("2024-05-01T12:00:00.5Z", "+02:00"
 * offsets) or epoch seconds ("1714564800.25") to ns since the epoch.
 * Returns 0 or -EINVAL.
 */
int inspect_parse_time(const char *s, uint64_t *out_ns);

/* "2024-05-01T12:00:00.123456Z" (microseconds); returns buf. */
const char *inspect_fmt_time(uint64_t ns, char *buf, size_t size);

/*
 * inspect_usage_error - "PROG: <fmt with arg>" and "PROG: try 'PROG --help'"
 * on stderr; returns 2, the exit status of a usage error.
 */
int inspect_usage_error(const char *prog, const char *fmt, const char *arg)
	__attribute__((format(printf, 2, 0)));

/* main.c: whether an event passes --filter (every record when none). */
bool inspect_passes_filter(struct inspect *in, const struct cw_record *rec);

/* events.c */
void inspect_events_header(void);
void inspect_events_add(struct inspect *in, const struct dump_item *it);
/* One field of rec as text, escaped for a terminal; returns buf. */
const char *inspect_fmt_field(const struct cw_record *rec, enum cw_field_id id,
			      char *buf, size_t size);

/* alerts.c */
void inspect_alerts_add(struct inspect *in, const struct dump_item *it);
/*
 * A recorded alert or finding line, as the agent wrote it, with control
 * bytes, DEL and C1 controls written as \u00XX (a crafted dump cannot
 * reach the terminal), and a newline.
 */
void inspect_write_recorded_line(const char *line, size_t len);

/* findings.c */
/* ---- findings ---- */

/*
 * The parts of a finding line (docs/findings.md) the tables show. The line
 * is recorded opaquely and the dump may come from anywhere: every part is
 * bounded and may be missing ("").
 */
struct finding_view {
	bool parsed;		/* a JSON object */
	char id[128], type[64], severity[32], status[32], first[40], last[40];
	char ns[256], pod[256], path[4096];
};

void inspect_findings_header(void);
void inspect_findings_add(struct inspect *in, const struct dump_item *it);
void inspect_finding_parse(const char *line, size_t len, struct finding_view *v);
/* "namespace/pod" for a pod's credential, else the host path; escaped. */
const char *inspect_finding_where(const struct finding_view *v, char *buf, size_t size);

/* summary.c */
struct summary;
/* 0 or -ENOMEM, *out NULL on error. */
int inspect_summary_new(struct summary **out);
void inspect_summary_add(struct summary *s, const struct dump_item *it);
void inspect_summary_print(struct inspect *in, struct summary *s,
			   const struct dump_reader_stats *st, bool damaged);
void inspect_summary_free(struct summary *s);

/* replay.c */
void inspect_replay_add(struct inspect *in, const struct dump_item *it);
/* Compile --filter and, for replay, load --rules. 0, or the exit status 2. */
int inspect_rules_setup(struct inspect *in);
void inspect_rules_teardown(struct inspect *in);

/* report.c: credwatch-inspect report DUMP... */
int report_main(int argc, char **argv);

#endif /* CW_INSPECT_H */
