// SPDX-License-Identifier: Apache-2.0
/*
 * report_lines.c - the JSON lines a dump carries, for the report: alert
 * lines counted by rule and priority with the first few of each kept to
 * list, and finding lines reduced to the latest line of each finding id.
 * Lines are the dump's, which may come from anywhere: every part is
 * optional, bounded (rpt_dup_cut) and escaped when shown.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "report.h"

/* ---- alerts ---- */

static const char *json_string(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static void sample_free(struct rpt_sample *s)
{
	free(s->node);
	free(s->proc);
	free(s->cmdline);
	free(s->output);
	s->node = s->proc = s->cmdline = s->output = NULL;
}

/*
 * Sample order: by time, then by what it says, so that the earliest
 * RPT_SAMPLES are the same whatever order the dumps were read in.
 */
static int sample_cmp(const struct rpt_sample *x, uint64_t t, const char *node,
		      const char *proc, const char *cmdline, const char *output)
{
	int d;

	if (x->time_ns != t)
		return x->time_ns < t ? -1 : 1;
	if ((d = strcmp(x->node, node)) || (d = strcmp(x->proc, proc)) ||
	    (d = strcmp(x->cmdline, cmdline)))
		return d;
	return strcmp(x->output, output);
}

static int by_sample(const void *a, const void *b)
{
	const struct rpt_sample *y = b;

	return sample_cmp(a, y->time_ns, y->node, y->proc, y->cmdline, y->output);
}

static void rule_free(struct rpt_rule *ru)
{
	free(ru->key);
	free(ru->name);
	free(ru->priority);
	for (unsigned i = 0; i < ru->nsamples; i++)
		sample_free(&ru->samples[i]);
}

static struct rpt_rule *rule_get(struct report *r, const char *name, const char *prio)
{
	char key[2 * RPT_STR_MAX + 2];
	struct rmap_slot *slot;
	struct rpt_rule *arr, *ru;
	uint64_t h;
	uint32_t i;

	snprintf(key, sizeof(key), "%.*s\x1f%.*s", RPT_STR_MAX, name, RPT_STR_MAX, prio);
	h = rmap_hash(key);
	i = rmap_get(&r->rule_map, h, key, &slot);
	if (i != RMAP_NONE)
		return &r->rules[i];
	if (!slot || r->nrules >= RPT_MAX_RULES)
		return NULL;
	arr = rpt_grow(r->rules, &r->rules_cap, r->nrules + 1, sizeof(*arr));
	if (!arr)
		return NULL;
	r->rules = arr;
	ru = &arr[r->nrules];
	memset(ru, 0, sizeof(*ru));
	ru->key = strdup(key);
	ru->name = rpt_dup_cut(name, RPT_STR_MAX);
	ru->priority = rpt_dup_cut(prio, RPT_STR_MAX);
	if (!ru->key || !ru->name || !ru->priority) {
		rule_free(ru);
		return NULL;
	}
	rmap_put(&r->rule_map, slot, h, ru->key, r->nrules++);
	return ru;
}

void report_add_alert(struct report *r, const struct dump_item *it, const struct rpt_touch *t)
{
	cJSON *doc = cJSON_ParseWithLength(it->alert_json, it->alert_len);
	struct rpt_rule *ru;
	struct rpt_sample *s;

	if (!cJSON_IsObject(doc)) {
		r->alerts_unparsable++;
		cJSON_Delete(doc);
		return;
	}
	ru = rule_get(r, json_string(doc, "rule"), json_string(doc, "priority"));
	if (!ru) {
		r->alerts_other_rules++;
		cJSON_Delete(doc);
		return;
	}
	ru->count++;
	rpt_span(&ru->first_ns, &ru->last_ns, it->time_ns);
	/* the earliest RPT_SAMPLES, whatever order the dumps come in */
	if (ru->nsamples < RPT_SAMPLES) {
		s = &ru->samples[ru->nsamples];
	} else {
		const char *output = json_string(doc, "output");
		const char *proc = it->rec ? it->rec->proc_name : "";
		const char *cmd = it->rec ? it->rec->proc_cmdline : "";

		s = &ru->samples[0];
		for (unsigned k = 1; k < RPT_SAMPLES; k++)
			if (by_sample(&ru->samples[k], s) > 0)
				s = &ru->samples[k];
		if (sample_cmp(s, it->time_ns, it->file->hostname, proc, cmd, output) <= 0)
			s = NULL;
		else
			sample_free(s);
	}
	if (s) {
		bool fresh = s == &ru->samples[ru->nsamples];

		memset(s, 0, sizeof(*s));
		s->time_ns = it->time_ns;
		s->reader = t ? t->reader : RMAP_NONE;
		s->cred = t ? t->cred : RMAP_NONE;
		s->exec = t && (t->flags & RPT_F_EXEC);
		s->node = rpt_dup_cut(it->file->hostname, RPT_STR_MAX);
		s->proc = rpt_dup_cut(it->rec ? it->rec->proc_name : "", RPT_STR_MAX);
		s->cmdline = rpt_dup_cut(it->rec ? it->rec->proc_cmdline : "", RPT_STR_MAX);
		s->output = rpt_dup_cut(json_string(doc, "output"), RPT_STR_MAX);
		if (!s->node || !s->proc || !s->cmdline || !s->output) {
			sample_free(s);
			r->oom = true;
			if (!fresh)	/* keep the array dense: the last one fills the hole */
				*s = ru->samples[--ru->nsamples];
		} else if (fresh) {
			ru->nsamples++;
		}
	}
	cJSON_Delete(doc);
}

/* ---- findings ---- */

static void finding_free(struct rpt_finding *f)
{
	char **parts[] = { &f->id, &f->type, &f->severity, &f->status, &f->node, &f->ns,
			   &f->pod, &f->path, &f->cred_kind, &f->summary, &f->yaml,
			   &f->command, &f->because, &f->first_seen, &f->last_seen };

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		free(*parts[i]);
		*parts[i] = NULL;
	}
}

/* The parts of a finding line the page shows; every one may be missing (""). */
static bool finding_parse(const cJSON *doc, struct rpt_finding *f)
{
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(doc, "resource");
	const cJSON *rec = cJSON_GetObjectItemCaseSensitive(doc, "recommendation");
	const cJSON *ev = cJSON_GetObjectItemCaseSensitive(doc, "evidence");

	f->id = rpt_dup_cut(json_string(doc, "id"), RPT_STR_MAX);
	f->type = rpt_dup_cut(json_string(doc, "type"), RPT_STR_MAX);
	f->severity = rpt_dup_cut(json_string(doc, "severity"), RPT_STR_MAX);
	f->status = rpt_dup_cut(json_string(doc, "status"), RPT_STR_MAX);
	f->node = rpt_dup_cut(json_string(doc, "node"), RPT_STR_MAX);
	f->first_seen = rpt_dup_cut(json_string(doc, "first_seen"), RPT_STR_MAX);
	f->last_seen = rpt_dup_cut(json_string(doc, "last_seen"), RPT_STR_MAX);
	f->ns = rpt_dup_cut(json_string(res, "namespace"), RPT_STR_MAX);
	f->pod = rpt_dup_cut(json_string(res, "pod"), RPT_STR_MAX);
	f->path = rpt_dup_cut(json_string(res, "path"), RPT_STR_MAX);
	f->cred_kind = rpt_dup_cut(json_string(res, "cred_kind"), RPT_STR_MAX);
	f->summary = rpt_dup_cut(json_string(rec, "summary"), RPT_FIX_MAX);
	f->yaml = rpt_dup_cut(json_string(rec, "yaml"), RPT_FIX_MAX);
	f->command = rpt_dup_cut(json_string(rec, "command"), RPT_FIX_MAX);
	f->because = rpt_dup_cut(json_string(ev, "resolved_because"), RPT_STR_MAX);
	return f->id && f->type && f->severity && f->status && f->node && f->first_seen &&
	       f->last_seen && f->ns && f->pod && f->path && f->cred_kind && f->summary &&
	       f->yaml && f->command && f->because;
}

/* The latest line of each id replaces what an earlier one said. */
void report_add_finding(struct report *r, const struct dump_item *it)
{
	cJSON *doc = cJSON_ParseWithLength(it->finding_json, it->finding_len);
	struct rpt_finding nf = { 0 }, *arr;
	struct rmap_slot *slot;
	uint64_t h;
	uint32_t i;

	r->finding_lines++;
	if (!cJSON_IsObject(doc)) {
		r->findings_unparsable++;
		goto cleanup;
	}
	if (!finding_parse(doc, &nf)) {
		r->oom = true;
		goto cleanup;
	}
	nf.recorded_ns = it->time_ns;
	h = rmap_hash(nf.id);
	i = rmap_get(&r->finding_map, h, nf.id, &slot);
	if (i != RMAP_NONE) {
		struct rpt_finding *old = &r->findings[i];

		nf.lines = old->lines + 1;
		free(nf.id);
		nf.id = old->id;	/* the same id; the map points at this copy */
		old->id = NULL;
		finding_free(old);
		*old = nf;
		memset(&nf, 0, sizeof(nf));
		goto cleanup;
	}
	if (!slot || r->nfindings >= RPT_MAX_FINDINGS) {
		r->findings_untracked++;
		goto cleanup;
	}
	arr = rpt_grow(r->findings, &r->findings_cap, r->nfindings + 1, sizeof(*arr));
	if (!arr) {
		r->oom = true;
		goto cleanup;
	}
	r->findings = arr;
	nf.lines = 1;
	arr[r->nfindings] = nf;
	rmap_put(&r->finding_map, slot, h, arr[r->nfindings].id, r->nfindings);
	r->nfindings++;
	memset(&nf, 0, sizeof(nf));
cleanup:
	finding_free(&nf);
	cJSON_Delete(doc);
}


/* ---- order ---- */

static int status_rank(const char *status)
{
	return !strcmp(status, "open") ? 0 : !strcmp(status, "resolved") ? 2 : 1;
}

/* Open first, then by severity (critical first), type, node, resource, id. */
static int by_finding(const void *a, const void *b)
{
	const struct rpt_finding *x = a, *y = b;
	int d;

	if ((d = status_rank(x->status) - status_rank(y->status)) ||
	    (d = rpt_severity_rank(x->severity) - rpt_severity_rank(y->severity)))
		return d;
	if ((d = strcmp(x->type, y->type)) || (d = strcmp(x->node, y->node)) ||
	    (d = strcmp(x->ns, y->ns)) || (d = strcmp(x->pod, y->pod)) ||
	    (d = strcmp(x->path, y->path)))
		return d;
	return strcmp(x->id, y->id);
}

/* Most urgent priority first, then the most alerts, then by name. */
static int by_rule(const void *a, const void *b)
{
	const struct rpt_rule *x = a, *y = b;
	int d = rpt_priority_rank(x->priority) - rpt_priority_rank(y->priority);

	if (d)
		return d;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->name, y->name);
}

void report_free_lines(struct report *r)
{
	for (uint32_t i = 0; i < r->nrules; i++)
		rule_free(&r->rules[i]);
	free(r->rules);
	rmap_clear(&r->rule_map);
	for (uint32_t i = 0; i < r->nfindings; i++)
		finding_free(&r->findings[i]);
	free(r->findings);
	rmap_clear(&r->finding_map);
}

void report_sort_lines(struct report *r)
{
	/* the maps index the arrays in insertion order: no lookups after this */
	if (r->nfindings)
		qsort(r->findings, r->nfindings, sizeof(*r->findings), by_finding);
	if (r->nrules)
		qsort(r->rules, r->nrules, sizeof(*r->rules), by_rule);
	for (uint32_t i = 0; i < r->nrules; i++)
		qsort(r->rules[i].samples, r->rules[i].nsamples, sizeof(struct rpt_sample),
		      by_sample);
}
