// SPDX-License-Identifier: Apache-2.0
/*
 * credwatch-inspect.c - offline inspection of trace dumps: summary, events,
 * alerts, findings, and replay of recorded events through a rule file.
 *
 * Exit codes: 0 everything was read; 1 some input was damaged or refused
 * (everything readable was still printed; each problem is named on stderr
 * with file and byte offset) or output failed; 2 usage error (bad option,
 * time, filter or rules; a path that cannot be opened or holds no dumps).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "user/dump.h"
#include "user/fields.h"
#include "user/json.h"
#include "user/log.h"
#include "tools/inspect/inspect.h"
#ifdef CW_HAVE_RULES
#include "user/cond.h"
#include "user/rules.h"
#endif

#define PROG		INSPECT_PROG
#define MAX_RULE_FILES	64
#define PROGRESS_MIN	(32ull << 20)	/* show progress for inputs larger than this */

enum cmd { CMD_SUMMARY, CMD_EVENTS, CMD_ALERTS, CMD_FINDINGS, CMD_REPLAY };

struct inspect {
	enum cmd cmd;
	const char *input;
	const char *filter_text;
	const char *rule_files[MAX_RULE_FILES];
	int nrule_files;
	bool json;
	int top;
	struct dump_reader_opts ropts;
	struct dump_reader *reader;
	bool progress;
	uint64_t progress_last_ns;
	struct jbuf jb;
#ifdef CW_HAVE_RULES
	struct cond *filter;
	struct rules *rules;
	uint64_t replay_alerts;
#endif
};

static const char usage_text[] =
	"usage: " PROG " <summary|events|alerts|findings|replay> FILE|DIR [options]\n"
	"       " PROG " report DUMP... [--since T] [--until T] [--top N] [--output FILE]\n"
	"\n"
	"Reads credwatch trace dumps (a .cwd file, or a directory of them in time order).\n"
	"  summary   time range, event, alert and finding counts, top readers, top\n"
	"            credentials, per-pod table, findings table (latest status of each),\n"
	"            integrity status\n"
	"  events    every recorded credential access: a table, or NDJSON with --json\n"
	"            (the same objects as the agent's --events stream)\n"
	"  alerts    the alert lines the agent raised, as recorded (NDJSON)\n"
	"  findings  the finding lines the agent wrote (--findings): a table, or the\n"
	"            lines as recorded (NDJSON) with --json\n"
	"  replay    evaluate recorded events with --rules and print the alerts they raise\n"
	"  report    one self-contained HTML page from one or many dumps (many nodes):\n"
	"            access graph, timeline, alerts, findings and their fixes, integrity\n"
	"            (" PROG " report --help)\n"
	"\n"
	"options:\n"
	"  --filter COND   only events matching a rule condition,\n"
	"                  e.g. 'proc.name in (cat, curl) and cred.kind = sa_token'\n"
	"                  (not for findings, which are not events) [default: every event]\n"
	"  --rules FILE    rule file for replay (repeatable) [default: none; replay needs one]\n"
	"  --json          machine-readable output [default: text tables]\n"
	"  --since T       skip records before T (RFC3339 or epoch seconds) [default: the first]\n"
	"  --until T       skip records after T (RFC3339 or epoch seconds) [default: the last]\n"
	"  --top N         rows in the summary's top tables [default: 10]\n"
	"  --help          this text\n"
	"\n"
	"A progress line is shown on stderr while reading more than 32 MiB, when stderr\n"
	"is a terminal.\n"
	"\n"
	"exit status: 0 all input read; 1 damaged or refused input (reported on stderr\n"
	"with file and byte offset; everything readable was printed); 2 usage error.\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n" PROG ": try '" PROG " --help'\n");
	return 2;
}

/* ---- input ---- */

static void on_damage(void *ctx, const char *file, uint64_t offset, const char *what)
{
	char esc[1024];

	(void)ctx;
	fprintf(stderr, "\r" PROG ": %s: offset %" PRIu64 ": %s\n",
		text_escape(file, esc, sizeof(esc)), offset, what);
}

static void progress(struct inspect *in, bool done)
{
	struct dump_reader_stats st;
	struct timespec ts;
	uint64_t now;

	if (!in->progress)
		return;
	if (done) {
		fputs("\r\033[K", stderr);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (now - in->progress_last_ns < 250000000ull)
		return;
	in->progress_last_ns = now;
	dump_reader_stats(in->reader, &st);
	fprintf(stderr, "\r" PROG ": %3.0f%% of %" PRIu64 " MiB", st.bytes_total ?
		100.0 * (double)st.bytes_done / (double)st.bytes_total : 100.0,
		st.bytes_total >> 20);
}

static bool passes_filter(struct inspect *in, const struct cw_record *rec)
{
#ifdef CW_HAVE_RULES
	if (in->filter)
		return rec && cond_eval(in->filter, rec);
#else
	(void)in;
	(void)rec;
#endif
	return true;
}

/* ---- events and alerts ---- */

static void print_event_json(struct inspect *in, const struct cw_record *rec)
{
	jbuf_reset(&in->jb);
	jbuf_obj_begin(&in->jb);
	jbuf_record_fields(&in->jb, rec);
	jbuf_obj_end(&in->jb);
	jbuf_raw(&in->jb, "\n", 1);
	fwrite(in->jb.buf, 1, in->jb.len, stdout);
}

static const char *fmt_field(const struct cw_record *rec, enum cw_field_id id,
			     char *buf, size_t size)
{
	char num[32];
	struct cw_value v;

	field_get(rec, id, 0, &v);
	return text_escape(field_format(&v, num, sizeof(num)), buf, size);
}

static void print_event_text(const struct cw_record *rec)
{
	char t[40], pid[24], name[80], ns[300], pod[300], kind[40], path[512], cmd[512];

	inspect_fmt_time(rec->time_ns, t, sizeof(t));
	fmt_field(rec, CW_F_PROC_PID, pid, sizeof(pid));
	fmt_field(rec, CW_F_PROC_NAME, name, sizeof(name));
	fmt_field(rec, CW_F_K8S_NS_NAME, ns, sizeof(ns));
	fmt_field(rec, CW_F_K8S_POD_NAME, pod, sizeof(pod));
	fmt_field(rec, CW_F_CRED_KIND, kind, sizeof(kind));
	fmt_field(rec, CW_F_CRED_PATH, path, sizeof(path));
	fmt_field(rec, CW_F_PROC_CMDLINE, cmd, sizeof(cmd));
	printf("%-27s %7s %-16s %s/%s %-10s %s %s", t, pid, name, ns, pod, kind, path, cmd);
	/* an aggregated record: the repeats of one process's opens */
	if (rec->count > 1)
		printf(" (evt.count=%" PRIu64 ")", rec->count);
	putchar('\n');
}

static void cmd_events(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_EVENT || !passes_filter(in, it->rec))
		return;
	if (in->json)
		print_event_json(in, it->rec);
	else
		print_event_text(it->rec);
}

/*
 * A recorded alert or finding line, as the agent wrote it. The dump may
 * come from anywhere: a crafted one can put raw escape sequences in a
 * "JSON" line. Control bytes, DEL and the C1 controls (UTF-8 C2 80..9F,
 * which some terminals take as CSI) are written as \u00XX: a well-formed
 * line holds none raw and stays byte for byte, and inside a string the
 * escape means the same character.
 */
static void write_recorded_line(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c < 0x20 || c == 0x7f) {
			printf("\\u%04x", c);
		} else if (c == 0xc2 && i + 1 < len && (unsigned char)line[i + 1] >= 0x80 &&
			   (unsigned char)line[i + 1] <= 0x9f) {
			printf("\\u%04x", (unsigned char)line[++i]);
		} else {
			putchar(c);
		}
	}
	putchar('\n');
}

static void cmd_alerts(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_ALERT)
		return;
	if (in->filter_text && !passes_filter(in, it->rec))
		return;
	/* recorded alerts are JSON lines already: as written, made terminal-safe */
	write_recorded_line(it->alert_json, it->alert_len);
}

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

static void json_str(const cJSON *obj, const char *key, char *dst, size_t size)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	record_strlcpy(dst, cJSON_IsString(v) ? v->valuestring : "", size);
}

static void finding_parse(const char *line, size_t len, struct finding_view *v)
{
	cJSON *root = cJSON_ParseWithLength(line, len);
	const cJSON *res;

	memset(v, 0, sizeof(*v));
	if (!cJSON_IsObject(root))
		goto cleanup;
	v->parsed = true;
	json_str(root, "id", v->id, sizeof(v->id));
	json_str(root, "type", v->type, sizeof(v->type));
	json_str(root, "severity", v->severity, sizeof(v->severity));
	json_str(root, "status", v->status, sizeof(v->status));
	json_str(root, "first_seen", v->first, sizeof(v->first));
	json_str(root, "last_seen", v->last, sizeof(v->last));
	res = cJSON_GetObjectItemCaseSensitive(root, "resource");
	json_str(res, "namespace", v->ns, sizeof(v->ns));
	json_str(res, "pod", v->pod, sizeof(v->pod));
	json_str(res, "path", v->path, sizeof(v->path));
cleanup:
	cJSON_Delete(root);
}

/* "namespace/pod" for a pod's credential, else the host path; escaped. */
static const char *finding_where(const struct finding_view *v, char *buf, size_t size)
{
	char tmp[600];

	if (!v->pod[0])
		return text_escape(v->path[0] ? v->path : "-", buf, size);
	snprintf(tmp, sizeof(tmp), "%s/%s", v->ns[0] ? v->ns : "<NA>", v->pod);
	return text_escape(tmp, buf, size);
}

#define FINDING_ROW_FMT "%-27s %-8s %-8s %-26s %-20s %s\n"

static void print_finding_text(const struct dump_item *it)
{
	char t[40], st[40], sev[40], type[80], id[160], where[8200];
	struct finding_view v;

	finding_parse(it->finding_json, it->finding_len, &v);
	inspect_fmt_time(it->time_ns, t, sizeof(t));
	if (!v.parsed) {
		printf(FINDING_ROW_FMT, t, "?", "?", "?", "?", "(not a JSON object)");
		return;
	}
	printf(FINDING_ROW_FMT, t, text_escape(v.status[0] ? v.status : "?", st, sizeof(st)),
	       text_escape(v.severity[0] ? v.severity : "?", sev, sizeof(sev)),
	       text_escape(v.type[0] ? v.type : "?", type, sizeof(type)),
	       text_escape(v.id[0] ? v.id : "?", id, sizeof(id)),
	       finding_where(&v, where, sizeof(where)));
}

static void cmd_findings(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_FINDING)
		return;
	if (!in->json) {
		print_finding_text(it);
		return;
	}
	/* as the agent wrote them to --findings, made terminal-safe */
	write_recorded_line(it->finding_json, it->finding_len);
}

/* ---- summary ---- */

struct count_entry {
	char *key;
	uint64_t events, alerts, first_ns, last_ns;
	uint32_t creds;		/* per-pod table: distinct credentials */
	size_t row;		/* findings table: index into summary.frows */
};

struct count_table {
	struct count_entry *e;
	size_t n, cap;		/* cap is a power of two */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h;
}

/* The entry for key, created on first use; NULL on allocation failure. */
static struct count_entry *table_get(struct count_table *t, const char *key, bool *created)
{
	size_t i;

	if (created)
		*created = false;
	if ((t->n + 1) * 2 > t->cap) {
		struct count_table nt = { .cap = t->cap ? t->cap * 2 : 256 };

		nt.e = calloc(nt.cap, sizeof(*nt.e));
		if (!nt.e)
			return NULL;
		for (size_t k = 0; k < t->cap; k++) {
			if (!t->e[k].key)
				continue;
			for (i = hash_str(t->e[k].key) & (nt.cap - 1); nt.e[i].key;
			     i = (i + 1) & (nt.cap - 1))
				;
			nt.e[i] = t->e[k];
		}
		free(t->e);
		nt.n = t->n;
		*t = nt;
	}
	for (i = hash_str(key) & (t->cap - 1); t->e[i].key; i = (i + 1) & (t->cap - 1))
		if (!strcmp(t->e[i].key, key))
			return &t->e[i];
	t->e[i].key = strdup(key);
	if (!t->e[i].key)
		return NULL;
	t->n++;
	if (created)
		*created = true;
	return &t->e[i];
}

static void table_free(struct count_table *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
}

static int by_count(const void *a, const void *b)
{
	const struct count_entry *x = a, *y = b;
	uint64_t cx = x->events + x->alerts, cy = y->events + y->alerts;

	if (cx != cy)
		return cx < cy ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Entries sorted by count, largest first (compacts the table). */
static struct count_entry *table_sorted(struct count_table *t)
{
	size_t n = 0;

	if (!t->e)	/* nothing counted: a dump of findings only */
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->e[i].key)
			t->e[n++] = t->e[i];
	memset(t->e + n, 0, (t->cap - n) * sizeof(*t->e));
	qsort(t->e, n, sizeof(*t->e), by_count);
	return t->e;
}

/* The latest line recorded for one finding id. */
struct finding_row {
	char *id, *type, *severity, *status, *first, *last, *ns, *pod, *path;
	uint64_t lines;		/* lines recorded for this id */
};

struct summary {
	struct count_table readers, creds, pods, pod_creds;
	uint64_t events, alerts, first_ns, last_ns;
	uint64_t opens, aggregated;	/* sum of evt.count; records with evt.count > 1 */
	char host[256], kernel[256], agent[64];
	bool oom, have_host;
	struct count_table fids;	/* finding id -> row */
	struct finding_row *frows;
	size_t nfrows, frows_cap;
	uint64_t finding_lines, finding_unparsable;
};

static void finding_row_clear(struct finding_row *r)
{
	free(r->id);
	free(r->type);
	free(r->severity);
	free(r->status);
	free(r->first);
	free(r->last);
	free(r->ns);
	free(r->pod);
	free(r->path);
}

static void summary_free_findings(struct summary *s)
{
	for (size_t i = 0; i < s->nfrows; i++)
		finding_row_clear(&s->frows[i]);
	free(s->frows);
	table_free(&s->fids);
}

/* Latest status per finding id: a later line replaces what an earlier one said. */
static void summary_add_finding(struct summary *s, const struct dump_item *it)
{
	struct finding_view v;
	struct finding_row *r, nr = { 0 };
	struct count_entry *e;
	bool created;

	s->finding_lines++;
	finding_parse(it->finding_json, it->finding_len, &v);
	if (!v.parsed) {
		s->finding_unparsable++;
		return;
	}
	/* room for a new row first: an id in the table always has its row */
	if (s->nfrows == s->frows_cap) {
		size_t cap = s->frows_cap ? s->frows_cap * 2 : 64;
		struct finding_row *p = realloc(s->frows, cap * sizeof(*p));

		if (!p)
			goto oom;
		s->frows = p;
		s->frows_cap = cap;
	}
	e = table_get(&s->fids, v.id, &created);
	if (!e)
		goto oom;
	if (created) {
		e->row = s->nfrows++;
		memset(&s->frows[e->row], 0, sizeof(*s->frows));
	}
	r = &s->frows[e->row];
	nr.id = strdup(v.id);
	nr.type = strdup(v.type);
	nr.severity = strdup(v.severity);
	nr.status = strdup(v.status);
	nr.first = strdup(v.first);
	nr.last = strdup(v.last);
	nr.ns = strdup(v.ns);
	nr.pod = strdup(v.pod);
	nr.path = strdup(v.path);
	nr.lines = r->lines + 1;
	if (!nr.id || !nr.type || !nr.severity || !nr.status || !nr.first || !nr.last ||
	    !nr.ns || !nr.pod || !nr.path) {
		finding_row_clear(&nr);
		goto oom;
	}
	finding_row_clear(r);
	*r = nr;
	return;
oom:
	s->oom = true;
}

static int status_rank(const char *status)
{
	return !strcmp(status, "open") ? 0 : !strcmp(status, "resolved") ? 2 : 1;
}

static int severity_rank(const char *sev)
{
	static const char *const order[] = { "critical", "high", "medium", "low" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(sev, order[i]))
			return i;
	return 4;
}

/* Open first, then by severity (critical first), type, resource, id. */
static int by_finding(const void *a, const void *b)
{
	const struct finding_row *x = a, *y = b;
	int d;

	if ((d = status_rank(x->status) - status_rank(y->status)))
		return d;
	if ((d = severity_rank(x->severity) - severity_rank(y->severity)))
		return d;
	if ((d = strcmp(x->type, y->type)) || (d = strcmp(x->ns, y->ns)) ||
	    (d = strcmp(x->pod, y->pod)) || (d = strcmp(x->path, y->path)))
		return d;
	return strcmp(x->id, y->id);
}

struct finding_counts {
	uint64_t open, resolved, other, open_by_sev[5];
};

/* Sort the rows (the id table's row indexes are not used after this). */
static void summary_count_findings(struct summary *s, struct finding_counts *c)
{
	memset(c, 0, sizeof(*c));
	if (s->nfrows)
		qsort(s->frows, s->nfrows, sizeof(*s->frows), by_finding);
	for (size_t i = 0; i < s->nfrows; i++) {
		switch (status_rank(s->frows[i].status)) {
		case 0:
			c->open++;
			c->open_by_sev[severity_rank(s->frows[i].severity)]++;
			break;
		case 2:
			c->resolved++;
			break;
		default:
			c->other++;
			break;
		}
	}
}

static void pod_key(const struct cw_record *rec, char *buf, size_t size)
{
	if (rec->pod_name[0])
		snprintf(buf, size, "%s/%s", rec->ns_name[0] ? rec->ns_name : "<NA>", rec->pod_name);
	else
		snprintf(buf, size, "(host)");
}

static void count(struct summary *s, struct count_table *t, const char *key,
		  const struct dump_item *it)
{
	struct count_entry *e = table_get(t, key, NULL);

	if (!e) {
		s->oom = true;
		return;
	}
	if (it->type == DUMP_REC_EVENT)
		e->events++;
	else
		e->alerts++;
	if (!e->first_ns || it->time_ns < e->first_ns)
		e->first_ns = it->time_ns;
	if (it->time_ns > e->last_ns)
		e->last_ns = it->time_ns;
}

static void cmd_summary_add(struct summary *s, const struct dump_item *it)
{
	char pod[600], key[5000];
	const struct cw_record *rec = it->rec;
	bool created;

	if (!s->have_host) {
		record_strlcpy(s->host, it->file->hostname, sizeof(s->host));
		record_strlcpy(s->kernel, it->file->kernel, sizeof(s->kernel));
		record_strlcpy(s->agent, it->file->agent_version, sizeof(s->agent));
		s->have_host = true;
	}
	if (!s->first_ns || it->time_ns < s->first_ns)
		s->first_ns = it->time_ns;
	if (it->time_ns > s->last_ns)
		s->last_ns = it->time_ns;
	if (it->type == DUMP_REC_FINDING) {
		summary_add_finding(s, it);
		return;
	}
	if (it->type == DUMP_REC_EVENT) {
		s->events++;
		if (rec) {
			s->opens += rec->count;
			s->aggregated += rec->count > 1;
		}
	} else {
		s->alerts++;
	}
	if (!rec)
		return;
	pod_key(rec, pod, sizeof(pod));
	snprintf(key, sizeof(key), "%s\t%s", rec->proc_name[0] ? rec->proc_name : "<NA>", pod);
	count(s, &s->readers, key, it);
	snprintf(key, sizeof(key), "%s\t%s", rec->cred_kind[0] ? rec->cred_kind : "<NA>",
		 rec->cred_path[0] ? rec->cred_path : "<NA>");
	count(s, &s->creds, key, it);
	count(s, &s->pods, pod, it);
	snprintf(key, sizeof(key), "%s\t%s", pod, rec->cred_path);
	if (table_get(&s->pod_creds, key, &created) && created) {
		struct count_entry *e = table_get(&s->pods, pod, NULL);

		if (e)
			e->creds++;
	}
}

/* key "a\tb" into two escaped columns */
static void split_key(const char *key, char *a, char *b, size_t size)
{
	const char *tab = strchr(key, '\t');
	char tmp[5000];

	snprintf(tmp, sizeof(tmp), "%.*s", tab ? (int)(tab - key) : (int)strlen(key), key);
	text_escape(tmp, a, size);
	text_escape(tab ? tab + 1 : "", b, size);
}

static void findings_print_text(struct summary *s)
{
	char st[40], sev[40], type[80], first[80], last[80], id[300], where[8200];

	printf("\nfindings (latest status of each):\n  %-8s %-8s %-26s %-20s %-20s %-20s %s\n",
	       "STATUS", "SEVERITY", "TYPE", "FIRST_SEEN", "LAST_SEEN", "ID", "RESOURCE");
	for (size_t i = 0; i < s->nfrows; i++) {
		const struct finding_row *r = &s->frows[i];
		struct finding_view v = { .parsed = true };

		record_strlcpy(v.ns, r->ns, sizeof(v.ns));
		record_strlcpy(v.pod, r->pod, sizeof(v.pod));
		record_strlcpy(v.path, r->path, sizeof(v.path));
		printf("  %-8s %-8s %-26s %-20s %-20s %-20s %s\n",
		       text_escape(r->status[0] ? r->status : "?", st, sizeof(st)),
		       text_escape(r->severity[0] ? r->severity : "?", sev, sizeof(sev)),
		       text_escape(r->type[0] ? r->type : "?", type, sizeof(type)),
		       text_escape(r->first[0] ? r->first : "-", first, sizeof(first)),
		       text_escape(r->last[0] ? r->last : "-", last, sizeof(last)),
		       text_escape(r->id[0] ? r->id : "?", id, sizeof(id)),
		       finding_where(&v, where, sizeof(where)));
	}
}

static void summary_print_text(struct inspect *in, struct summary *s,
			       const struct dump_reader_stats *st, bool damaged)
{
	char t1[40], t2[40], a[600], b[600], c[600];
	struct finding_counts fc;
	struct count_entry *e;
	size_t n;

	summary_count_findings(s, &fc);
	printf("host:        %s (kernel %s, agent %s)\n", text_escape(s->host, a, sizeof(a)),
	       text_escape(s->kernel, b, sizeof(b)), text_escape(s->agent, c, sizeof(c)));
	if (s->events || s->alerts || s->finding_lines)
		printf("time range:  %s .. %s (%.1f s)\n",
		       inspect_fmt_time(s->first_ns, t1, sizeof(t1)),
		       inspect_fmt_time(s->last_ns, t2, sizeof(t2)),
		       (double)(s->last_ns - s->first_ns) / 1e9);
	else
		printf("time range:  (no records)\n");
	printf("events:      %" PRIu64 "\n", s->events);
	if (s->aggregated)
		printf("opens:       %" PRIu64 " (%" PRIu64 " aggregated records: evt.count)\n",
		       s->opens, s->aggregated);
	printf("alerts:      %" PRIu64 "\n", s->alerts);
	printf("findings:    %zu (%" PRIu64 " open: %" PRIu64 " critical, %" PRIu64 " high, %"
	       PRIu64 " medium, %" PRIu64 " low; %" PRIu64 " resolved) from %" PRIu64 " lines\n",
	       s->nfrows, fc.open, fc.open_by_sev[0], fc.open_by_sev[1], fc.open_by_sev[2],
	       fc.open_by_sev[3], fc.resolved, s->finding_lines);
	if (s->finding_unparsable)
		printf("             %" PRIu64 " finding lines are not JSON objects (not in the table)\n",
		       s->finding_unparsable);
	printf("integrity:   %s: %" PRIu64 " files (%" PRIu64 " refused), %" PRIu64
	       " blocks ok, %" PRIu64 " damaged, %" PRIu64 " truncated, %" PRIu64
	       " bytes skipped\n", damaged ? "DAMAGED" : "ok", st->files, st->files_refused,
	       st->blocks_ok, st->blocks_damaged, st->truncated, st->bytes_skipped);
	if (st->fields_skipped)
		printf("             %" PRIu64 " fields of a newer format skipped\n",
		       st->fields_skipped);

	printf("\ntop readers:\n  %8s %8s  %-16s %s\n", "EVENTS", "ALERTS", "PROCESS", "POD");
	n = s->readers.n;
	e = table_sorted(&s->readers);
	for (size_t i = 0; i < n && (int)i < in->top; i++) {
		split_key(e[i].key, a, b, sizeof(a));
		printf("  %8" PRIu64 " %8" PRIu64 "  %-16s %s\n", e[i].events, e[i].alerts, a, b);
	}
	printf("\ntop credentials:\n  %8s %8s  %-10s %s\n", "EVENTS", "ALERTS", "KIND", "CREDENTIAL");
	n = s->creds.n;
	e = table_sorted(&s->creds);
	for (size_t i = 0; i < n && (int)i < in->top; i++) {
		split_key(e[i].key, a, b, sizeof(a));
		printf("  %8" PRIu64 " %8" PRIu64 "  %-10s %s\n", e[i].events, e[i].alerts, a, b);
	}
	printf("\npods:\n  %8s %8s %6s  %-27s %-27s %s\n", "EVENTS", "ALERTS", "CREDS",
	       "FIRST", "LAST", "POD");
	n = s->pods.n;
	e = table_sorted(&s->pods);
	for (size_t i = 0; i < n; i++)
		printf("  %8" PRIu64 " %8" PRIu64 " %6u  %-27s %-27s %s\n", e[i].events,
		       e[i].alerts, e[i].creds, inspect_fmt_time(e[i].first_ns, t1, sizeof(t1)),
		       inspect_fmt_time(e[i].last_ns, t2, sizeof(t2)),
		       text_escape(e[i].key, a, sizeof(a)));
	if (s->nfrows)
		findings_print_text(s);
}

static void json_top(struct jbuf *jb, const char *name, struct count_table *t,
		     const char *k1, const char *k2, int top)
{
	size_t n = t->n;
	struct count_entry *e = table_sorted(t);

	jbuf_key(jb, name);
	jbuf_arr_begin(jb);
	for (size_t i = 0; i < n && (top < 0 || (int)i < top); i++) {
		const char *tab = strchr(e[i].key, '\t');

		jbuf_elem(jb);
		jbuf_obj_begin(jb);
		if (k2 && tab) {
			jbuf_key(jb, k1);
			jbuf_strn(jb, e[i].key, (size_t)(tab - e[i].key));
			jbuf_kv_str(jb, k2, tab + 1);
		} else {
			jbuf_kv_str(jb, k1, e[i].key);
			jbuf_kv_u64(jb, "credentials", e[i].creds);
			jbuf_kv_u64(jb, "first_ns", e[i].first_ns);
			jbuf_kv_u64(jb, "last_ns", e[i].last_ns);
		}
		jbuf_kv_u64(jb, "events", e[i].events);
		jbuf_kv_u64(jb, "alerts", e[i].alerts);
		jbuf_obj_end(jb);
	}
	jbuf_arr_end(jb);
}

/* "" as null: a part the finding line did not have. */
static void findings_print_json(struct jbuf *jb, struct summary *s)
{
	static const char *const sev[] = { "critical", "high", "medium", "low", "other" };
	struct finding_counts fc;

	summary_count_findings(s, &fc);
	jbuf_key(jb, "finding_counts");
	jbuf_obj_begin(jb);
	jbuf_kv_u64(jb, "findings", s->nfrows);
	jbuf_kv_u64(jb, "open", fc.open);
	jbuf_kv_u64(jb, "resolved", fc.resolved);
	jbuf_kv_u64(jb, "other_status", fc.other);
	jbuf_key(jb, "open_by_severity");
	jbuf_obj_begin(jb);
	for (int i = 0; i < 5; i++)
		jbuf_kv_u64(jb, sev[i], fc.open_by_sev[i]);
	jbuf_obj_end(jb);
	jbuf_kv_u64(jb, "lines", s->finding_lines);
	jbuf_kv_u64(jb, "unparsable_lines", s->finding_unparsable);
	jbuf_obj_end(jb);
	jbuf_key(jb, "findings");
	jbuf_arr_begin(jb);
	for (size_t i = 0; i < s->nfrows; i++) {
		const struct finding_row *r = &s->frows[i];

		jbuf_elem(jb);
		jbuf_obj_begin(jb);
		jbuf_kv_str_or_null(jb, "id", r->id);
		jbuf_kv_str_or_null(jb, "type", r->type);
		jbuf_kv_str_or_null(jb, "severity", r->severity);
		jbuf_kv_str_or_null(jb, "status", r->status);
		jbuf_kv_str_or_null(jb, "namespace", r->ns);
		jbuf_kv_str_or_null(jb, "pod", r->pod);
		jbuf_kv_str_or_null(jb, "path", r->path);
		jbuf_kv_str_or_null(jb, "first_seen", r->first);
		jbuf_kv_str_or_null(jb, "last_seen", r->last);
		jbuf_kv_u64(jb, "lines", r->lines);
		jbuf_obj_end(jb);
	}
	jbuf_arr_end(jb);
}

static void summary_print_json(struct inspect *in, struct summary *s,
			       const struct dump_reader_stats *st, bool damaged)
{
	struct jbuf *jb = &in->jb;

	jbuf_reset(jb);
	jbuf_obj_begin(jb);
	jbuf_kv_str(jb, "hostname", s->host);
	jbuf_kv_str(jb, "kernel", s->kernel);
	jbuf_kv_str(jb, "agent_version", s->agent);
	jbuf_kv_u64(jb, "first_ns", s->first_ns);
	jbuf_kv_u64(jb, "last_ns", s->last_ns);
	jbuf_kv_u64(jb, "events", s->events);
	jbuf_kv_u64(jb, "opens", s->opens);
	jbuf_kv_u64(jb, "aggregated_records", s->aggregated);
	jbuf_kv_u64(jb, "alerts", s->alerts);
	jbuf_key(jb, "integrity");
	jbuf_obj_begin(jb);
	jbuf_kv_bool(jb, "ok", !damaged);
	jbuf_kv_u64(jb, "files", st->files);
	jbuf_kv_u64(jb, "files_refused", st->files_refused);
	jbuf_kv_u64(jb, "blocks_ok", st->blocks_ok);
	jbuf_kv_u64(jb, "blocks_damaged", st->blocks_damaged);
	jbuf_kv_u64(jb, "truncated", st->truncated);
	jbuf_kv_u64(jb, "bytes_skipped", st->bytes_skipped);
	jbuf_kv_u64(jb, "fields_skipped", st->fields_skipped);
	jbuf_obj_end(jb);
	json_top(jb, "top_readers", &s->readers, "proc.name", "pod", in->top);
	json_top(jb, "top_credentials", &s->creds, "cred.kind", "cred.path", in->top);
	json_top(jb, "pods", &s->pods, "pod", NULL, -1);
	findings_print_json(jb, s);
	jbuf_obj_end(jb);
	jbuf_raw(jb, "\n", 1);
	fwrite(jb->buf, 1, jb->len, stdout);
}

/* ---- replay and --filter: the rules engine (user/cond.c, user/rules.c) ---- */

#ifdef CW_HAVE_RULES
static void on_rule_match(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct inspect *in = ctx;
	char t[40], name[512], pid[24], proc[80], ns[300], pod[300], path[512];

	in->replay_alerts++;
	inspect_fmt_time(rec->time_ns, t, sizeof(t));
	if (in->json) {
		jbuf_reset(&in->jb);
		jbuf_obj_begin(&in->jb);
		jbuf_kv_str(&in->jb, "time", t);
		jbuf_kv_str(&in->jb, "rule", rule_name(rule));
		jbuf_kv_str(&in->jb, "priority", priority_name(rule_priority(rule)));
		jbuf_key(&in->jb, "output_fields");
		jbuf_obj_begin(&in->jb);
		jbuf_record_fields(&in->jb, rec);
		jbuf_obj_end(&in->jb);
		jbuf_kv_str(&in->jb, "source", "credwatch");
		jbuf_obj_end(&in->jb);
		jbuf_raw(&in->jb, "\n", 1);
		fwrite(in->jb.buf, 1, in->jb.len, stdout);
		return;
	}
	fmt_field(rec, CW_F_PROC_PID, pid, sizeof(pid));
	fmt_field(rec, CW_F_PROC_NAME, proc, sizeof(proc));
	fmt_field(rec, CW_F_K8S_NS_NAME, ns, sizeof(ns));
	fmt_field(rec, CW_F_K8S_POD_NAME, pod, sizeof(pod));
	fmt_field(rec, CW_F_CRED_PATH, path, sizeof(path));
	printf("%s %-13s %s: %s[%s] %s/%s %s\n", t, priority_name(rule_priority(rule)),
	       text_escape(rule_name(rule), name, sizeof(name)), proc, pid, ns, pod, path);
}

static void cmd_replay(struct inspect *in, const struct dump_item *it)
{
	if (it->type != DUMP_REC_EVENT || !passes_filter(in, it->rec))
		return;
	rules_eval(in->rules, it->rec, on_rule_match, in);
}

/* Compile --filter and load --rules. Returns 0 or the exit code 2. */
static int rules_setup(struct inspect *in)
{
	struct cond_error cerr;
	struct rules_diag *diag;

	if (in->filter_text) {
		memset(&cerr, 0, sizeof(cerr));
		in->filter = cond_compile(in->filter_text, NULL, &cerr);
		if (!in->filter) {
			fprintf(stderr, PROG ": --filter: column %d: %s\n", cerr.col, cerr.msg);
			return 2;
		}
	}
	if (in->cmd != CMD_REPLAY)
		return 0;
	diag = calloc(1, sizeof(*diag));
	if (!diag)
		return 2;
	in->rules = rules_load(in->rule_files, in->nrule_files, diag);
	for (int i = 0; i < diag->count && i < 64; i++)
		fprintf(stderr, PROG ": %s:%d:%d: %s\n", diag->items[i].file,
			diag->items[i].line, diag->items[i].col, diag->items[i].msg);
	free(diag);
	if (!in->rules) {
		fprintf(stderr, PROG ": --rules: cannot load the rules\n");
		return 2;
	}
	return 0;
}

static void rules_teardown(struct inspect *in)
{
	cond_free(in->filter);
	rules_free(in->rules);
}
#else
static void cmd_replay(struct inspect *in, const struct dump_item *it)
{
	(void)in;
	(void)it;
}

static int rules_setup(struct inspect *in)
{
	if (in->filter_text || in->cmd == CMD_REPLAY) {
		fprintf(stderr, PROG ": %s: not built with the rules engine\n",
			in->cmd == CMD_REPLAY ? "replay" : "--filter");
		return 2;
	}
	return 0;
}

static void rules_teardown(struct inspect *in)
{
	(void)in;
}
#endif /* CW_HAVE_RULES */

/* ---- main ---- */

static int parse_args(struct inspect *in, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filter", required_argument, NULL, 'f' },
		{ "rules", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "since", required_argument, NULL, 's' },
		{ "until", required_argument, NULL, 'u' },
		{ "top", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = NULL;
	char *end;
	int c;

	in->top = 10;
	opterr = 0;
	/* "-": positionals in order; ":": a missing value is ':', not '?' */
	while ((c = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (c) {
		case 1:		/* positional, in order */
			if (!cmd)
				cmd = optarg;
			else if (!in->input)
				in->input = optarg;
			else
				return usage_error("unexpected argument '%s'", optarg);
			break;
		case 'f':
			in->filter_text = optarg;
			break;
		case 'r':
			if (in->nrule_files == MAX_RULE_FILES)
				return usage_error("--rules: more than %s files", "64");
			in->rule_files[in->nrule_files++] = optarg;
			break;
		case 'j':
			in->json = true;
			break;
		case 's':
		case 'u':
			if (inspect_parse_time(optarg, c == 's' ? &in->ropts.since_ns : &in->ropts.until_ns))
				return usage_error(c == 's' ? "--since: cannot parse '%s' (RFC3339 or epoch seconds)"
					: "--until: cannot parse '%s' (RFC3339 or epoch seconds)", optarg);
			break;
		case 't':
			in->top = (int)strtol(optarg, &end, 10);
			if (*end || in->top < 1 || in->top > 1000000)
				return usage_error("--top: expected a positive number, got '%s'", optarg);
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(0);
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!cmd)
		return usage_error("missing command%s (summary, events, alerts, findings, replay or report)", "");
	if (!strcmp(cmd, "summary"))
		in->cmd = CMD_SUMMARY;
	else if (!strcmp(cmd, "events"))
		in->cmd = CMD_EVENTS;
	else if (!strcmp(cmd, "alerts"))
		in->cmd = CMD_ALERTS;
	else if (!strcmp(cmd, "findings"))
		in->cmd = CMD_FINDINGS;
	else if (!strcmp(cmd, "replay"))
		in->cmd = CMD_REPLAY;
	else if (!strcmp(cmd, "report"))
		return usage_error("report: the command comes first: " PROG
				   " report DUMP... [options]%s", "");
	else
		return usage_error("unknown command '%s' (summary, events, alerts, findings, replay or report)", cmd);
	if (!in->input)
		return usage_error("%s: missing FILE or DIR", cmd);
	if (in->ropts.since_ns && in->ropts.until_ns && in->ropts.since_ns > in->ropts.until_ns)
		return usage_error("--since is after --until%s", "");
	if (in->cmd == CMD_REPLAY && !in->nrule_files)
		return usage_error("replay: needs --rules FILE%s", "");
	if (in->cmd != CMD_REPLAY && in->nrule_files)
		return usage_error("--rules: only for replay%s", "");
	if (in->cmd == CMD_FINDINGS && in->filter_text)
		return usage_error("--filter: not for findings (a finding is not an event)%s", "");
	return 0;
}

int main(int argc, char **argv)
{
	struct inspect in = { 0 };
	struct dump_reader_stats st;
	struct summary sum = { 0 };
	struct dump_item it;
	uint64_t n = 0;
	int ret, code;

	/* a command in its own file parses its own arguments */
	if (argc > 1 && !strcmp(argv[1], "report"))
		return report_main(argc - 1, argv + 1);
	code = parse_args(&in, argc, argv);
	if (code)
		return code;
	code = rules_setup(&in);
	if (code)
		goto cleanup;
	in.ropts.on_damage = on_damage;
	ret = dump_reader_open(&in.reader, in.input, &in.ropts);
	if (ret) {
		char esc[1024];

		fprintf(stderr, PROG ": %s: %s\n", text_escape(in.input, esc, sizeof(esc)),
			ret == -ENODATA ? "no dump files (*.cwd) in this directory" : strerror(-ret));
		code = 2;
		goto cleanup;
	}
	dump_reader_stats(in.reader, &st);
	in.progress = isatty(STDERR_FILENO) && st.bytes_total > PROGRESS_MIN;
	jbuf_init(&in.jb);
	/* large stdout buffer: events --json writes a line per record */
	setvbuf(stdout, NULL, _IOFBF, 1 << 20);
	if (in.cmd == CMD_EVENTS && !in.json)
		printf("%-27s %7s %-16s %s %-10s %s %s\n", "TIME", "PID", "PROCESS", "NAMESPACE/POD",
		       "KIND", "CREDENTIAL", "CMDLINE");
	if (in.cmd == CMD_FINDINGS && !in.json)
		printf(FINDING_ROW_FMT, "TIME", "STATUS", "SEVERITY", "TYPE", "ID",
		       "RESOURCE (NAMESPACE/POD or PATH)");
	while ((ret = dump_reader_next(in.reader, &it)) == 1) {
		switch (in.cmd) {
		case CMD_SUMMARY:
			if (passes_filter(&in, it.rec))
				cmd_summary_add(&sum, &it);
			break;
		case CMD_EVENTS:
			cmd_events(&in, &it);
			break;
		case CMD_ALERTS:
			cmd_alerts(&in, &it);
			break;
		case CMD_FINDINGS:
			cmd_findings(&in, &it);
			break;
		case CMD_REPLAY:
			cmd_replay(&in, &it);
			break;
		}
		if ((++n & 0xffff) == 0)
			progress(&in, false);
	}
	progress(&in, true);
	code = dump_reader_saw_damage(in.reader) ? 1 : 0;
	if (ret < 0) {
		fprintf(stderr, PROG ": %s: %s\n", in.input, strerror(-ret));
		code = 1;
	}
	if (in.cmd == CMD_SUMMARY) {
		dump_reader_stats(in.reader, &st);
		if (sum.oom)
			fprintf(stderr, PROG ": summary: out of memory; tables are incomplete\n");
		if (in.json)
			summary_print_json(&in, &sum, &st, code != 0);
		else
			summary_print_text(&in, &sum, &st, code != 0);
	}
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, PROG ": stdout: write error: %s\n", strerror(errno));
		code = 1;
	}
cleanup:
	table_free(&sum.readers);
	table_free(&sum.creds);
	table_free(&sum.pods);
	table_free(&sum.pod_creds);
	summary_free_findings(&sum);
	jbuf_free(&in.jb);
	dump_reader_close(in.reader);
	rules_teardown(&in);
	return code;
}
