// SPDX-License-Identifier: Apache-2.0
/*
 * summary.c - credwatch-inspect summary: time range, counts, top readers
 * and credentials, a per-pod table, the latest status of every finding,
 * the dump's integrity; as text or one JSON object.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inspect.h"
#include "rmap.h"
#include "user/json.h"
#include "user/record.h"

/* ---- summary ---- */

struct count_entry {
	char *key;
	uint64_t events, alerts, first_ns, last_ns;
	uint32_t creds;		/* per-pod table: distinct credentials */
	size_t row;		/* findings table: index into summary.frows */
};

struct count_table {
	struct rmap map;	/* key -> index into e, until table_sorted() */
	struct count_entry *e;
	size_t n, cap;
};

/* The entry for key, created on first use; NULL on allocation failure. */
static struct count_entry *table_get(struct count_table *t, const char *key, bool *created)
{
	uint64_t h = rmap_hash(key);
	struct rmap_slot *slot;
	uint32_t i = rmap_get(&t->map, h, key, &slot);
	struct count_entry *e;

	if (created)
		*created = false;
	if (i != RMAP_NONE)
		return &t->e[i];
	if (!slot)
		return NULL;
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 256;
		struct count_entry *ne = realloc(t->e, cap * sizeof(*ne));

		if (!ne)
			return NULL;
		t->e = ne;
		t->cap = cap;
	}
	e = &t->e[t->n];
	memset(e, 0, sizeof(*e));
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	rmap_put(&t->map, slot, h, e->key, (uint32_t)t->n++);
	if (created)
		*created = true;
	return e;
}

static void table_free(struct count_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->e[i].key);
	free(t->e);
	rmap_clear(&t->map);
}

static int by_count(const void *a, const void *b)
{
	const struct count_entry *x = a, *y = b;
	uint64_t cx = x->events + x->alerts, cy = y->events + y->alerts;

	if (cx != cy)
		return cx < cy ? 1 : -1;
	return strcmp(x->key, y->key);
}

/* Entries sorted by count, largest first; the table takes no lookups after this. */
static struct count_entry *table_sorted(struct count_table *t)
{
	rmap_clear(&t->map);
	if (t->n)
		qsort(t->e, t->n, sizeof(*t->e), by_count);
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
	inspect_finding_parse(it->finding_json, it->finding_len, &v);
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

void inspect_summary_add(struct summary *s, const struct dump_item *it)
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
		       inspect_finding_where(&v, where, sizeof(where)));
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

int inspect_summary_new(struct summary **out)
{
	*out = calloc(1, sizeof(struct summary));
	return *out ? 0 : -ENOMEM;
}

void inspect_summary_print(struct inspect *in, struct summary *s,
			   const struct dump_reader_stats *st, bool damaged)
{
	if (s->oom)
		fprintf(stderr, INSPECT_PROG ": summary: out of memory; tables are incomplete\n");
	if (in->json)
		summary_print_json(in, s, st, damaged);
	else
		summary_print_text(in, s, st, damaged);
}

void inspect_summary_free(struct summary *s)
{
	if (!s)
		return;
	table_free(&s->readers);
	table_free(&s->creds);
	table_free(&s->pods);
	table_free(&s->pod_creds);
	summary_free_findings(s);
	free(s);
}
