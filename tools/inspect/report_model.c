// SPDX-License-Identifier: Apache-2.0
/*
 * report_model.c - the report's aggregation: each record read from a dump
 * is counted into entities (reader, credential, owner), a reader ->
 * credential edge, the reader's timeline and its node, then forgotten.
 * Nothing here holds an event after report_add() returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "user/record.h"

/*
 * Timeline column widths in ms: each a multiple of the one before (columns
 * merge whole), round numbers a reader can take in; past two days the width
 * doubles.
 */
static const uint64_t tl_widths_ms[] = {
	10, 20, 100, 200, 1000, 2000, 10000, 20000, 60000, 120000, 600000, 1200000,
	3600000, 7200000, 21600000, 43200000, 86400000, 172800000,
};

/* ---- small helpers ---- */

void *rpt_grow(void *p, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *np;

	if (need <= *cap)
		return p;
	ncap = *cap ? *cap * 2 : 64;
	np = realloc(p, (size_t)ncap * elem);
	if (np)
		*cap = ncap;
	return np;
}

char *rpt_dup_cut(const char *s, size_t max)
{
	size_t n = strlen(s);
	char *d;

	if (n <= max)
		return strdup(s);
	while (max && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	d = malloc(max + 4);
	if (!d)
		return NULL;
	memcpy(d, s, max);
	memcpy(d + max, "\xe2\x80\xa6", 4);
	return d;
}

void rpt_span(uint64_t *first, uint64_t *last, uint64_t t)
{
	if (!*first || t < *first)
		*first = t;
	if (t > *last)
		*last = t;
}

int rpt_priority_rank(const char *p)
{
	static const char *const order[] = { "emergency", "alert", "critical", "error",
					     "warning", "notice", "informational", "debug" };

	if (p && !strcasecmp(p, "info"))
		return 6;
	for (int i = 0; p && i < 8; i++)
		if (!strcasecmp(p, order[i]))
			return i;
	return 8;
}

int rpt_severity_rank(const char *s)
{
	static const char *const order[] = { "critical", "high", "medium", "low" };

	for (int i = 0; s && i < 4; i++)
		if (!strcmp(s, order[i]))
			return i;
	return 4;
}

/* ---- the timeline ---- */

static uint64_t tl_next_width(uint64_t w)
{
	for (size_t i = 0; i < sizeof(tl_widths_ms) / sizeof(tl_widths_ms[0]); i++)
		if (tl_widths_ms[i] * 1000000ull > w)
			return tl_widths_ms[i] * 1000000ull;
	return w * 2;
}

/*
 * Make [origin, origin + BUCKETS*width) hold t. The width only grows to a
 * multiple of itself and the origin stays a multiple of it, so every old
 * column falls whole into one new column and counts merge exactly, however
 * out of order the records of several dumps come.
 */
static void tl_fit(struct report *r, uint64_t t)
{
	uint64_t lo, hi, w, o, end = r->tl_origin + (RPT_TL_BUCKETS - 1) * r->tl_width;

	if (!r->tl_set) {
		r->tl_width = tl_widths_ms[0] * 1000000ull;
		r->tl_origin = t / r->tl_width * r->tl_width;
		r->tl_set = true;
		return;
	}
	if (t >= r->tl_origin && (t - r->tl_origin) / r->tl_width < RPT_TL_BUCKETS)
		return;
	lo = t < r->tl_origin ? t : r->tl_origin;
	hi = t > end ? t : end;
	w = r->tl_width;
	do {
		w = tl_next_width(w);
		o = lo / w * w;
	} while ((hi - o) / w >= RPT_TL_BUCKETS);
	for (uint32_t k = 0; k <= r->nents[RPT_READER]; k++) {
		struct rpt_tl *tl = k < r->nents[RPT_READER] ? r->ents[RPT_READER][k].tl
							      : &r->tl_total;
		struct rpt_tl old;

		if (!tl)
			continue;
		old = *tl;
		memset(tl, 0, sizeof(*tl));
		for (int i = 0; i < RPT_TL_BUCKETS; i++) {
			uint64_t j = (r->tl_origin + (uint64_t)i * r->tl_width - o) / w;

			tl->acc[j] += old.acc[i];
			tl->alerts[j] += old.alerts[i];
			tl->exec[j] += old.exec[i];
		}
	}
	r->tl_origin = o;
	r->tl_width = w;
}

int report_tl_bucket(const struct report *r, uint64_t t)
{
	uint64_t i;

	if (!r->tl_set || t < r->tl_origin)
		return 0;
	i = (t - r->tl_origin) / r->tl_width;
	return i < RPT_TL_BUCKETS ? (int)i : RPT_TL_BUCKETS - 1;
}

/* ---- entities and edges ---- */

struct ent_spec {
	enum rpt_kind kind;
	const char *name, *ns, *node, *detail;
};

static void ent_free(struct rpt_ent *e)
{
	free(e->key);
	free(e->name);
	free(e->ns);
	free(e->node);
	free(e->detail);
	free(e->tl);
}

static uint32_t ent_add(struct report *r, enum rpt_col col, const char *key,
			const struct ent_spec *sp)
{
	struct rpt_ent *e, *arr;

	arr = rpt_grow(r->ents[col], &r->ents_cap[col], r->nents[col] + 1, sizeof(*arr));
	if (!arr)
		return RMAP_NONE;
	r->ents[col] = arr;
	e = &arr[r->nents[col]];
	memset(e, 0, sizeof(*e));
	e->kind = sp->kind;
	e->owner = RMAP_NONE;
	e->key = strdup(key);
	e->name = rpt_dup_cut(sp->name, RPT_STR_MAX);
	e->ns = rpt_dup_cut(sp->ns, RPT_STR_MAX);
	e->node = rpt_dup_cut(sp->node, RPT_STR_MAX);
	e->detail = rpt_dup_cut(sp->detail, RPT_STR_MAX);
	if (!e->key || !e->name || !e->ns || !e->node || !e->detail) {
		ent_free(e);
		return RMAP_NONE;
	}
	return r->nents[col]++;
}

/* The entity for key in col, made from sp on first sight; RMAP_NONE on OOM. */
static uint32_t ent_get(struct report *r, enum rpt_col col, const char *key,
			const struct ent_spec *sp)
{
	static const struct ent_spec overflow = { RPT_K_OVERFLOW, "not broken down", "", "", "" };
	struct rmap_slot *slot;
	uint64_t h = rmap_hash(key);
	uint32_t i = rmap_get(&r->ent_map[col], h, key, &slot);

	if (i != RMAP_NONE || !slot)
		return i;
	if (r->nents[col] >= RPT_MAX_ENTS) {	/* bounded: one entity for the rest */
		if (r->overflow[col] == RMAP_NONE)
			r->overflow[col] = ent_add(r, col, "\x01overflow", &overflow);
		return r->overflow[col];
	}
	i = ent_add(r, col, key, sp);
	if (i != RMAP_NONE)
		rmap_put(&r->ent_map[col], slot, h, r->ents[col][i].key, i);
	return i;
}

static uint32_t edge_get(struct report *r, uint32_t reader, uint32_t cred)
{
	uint64_t h = (uint64_t)reader << 32 | cred;
	struct rmap_slot *slot;
	struct rpt_edge *arr;
	uint32_t i = rmap_get(&r->edge_map, h, NULL, &slot);

	if (i != RMAP_NONE || !slot || r->nedges >= RPT_MAX_EDGES)
		return i;
	arr = rpt_grow(r->edges, &r->edges_cap, r->nedges + 1, sizeof(*arr));
	if (!arr)
		return RMAP_NONE;
	r->edges = arr;
	arr[r->nedges] = (struct rpt_edge){ .reader = reader, .cred = cred };
	rmap_put(&r->edge_map, slot, h, NULL, r->nedges);
	return r->nedges++;
}

/*
 * The entities and edge of one access. Keys carry the node where a name is
 * only unique on its node (host executables, containers, credential paths);
 * namespace/pod is unique in a cluster.
 */
static bool resolve(struct report *r, const struct cw_record *rec, const char *node,
		    struct rpt_touch *t)
{
	char key[2 * CW_REC_PATH_MAX], okey[2 * CW_REC_NAME_MAX + 4], short_id[24];
	const char *path = rec->cred_path[0] ? rec->cred_path : rec->fd_name;
	bool owner_pod = rec->owner_pod[0] != '\0';
	struct ent_spec sp;

	if (owner_pod) {
		snprintf(okey, sizeof(okey), "p:%s/%s", rec->owner_ns, rec->owner_pod);
		sp = (struct ent_spec){ RPT_K_POD, rec->owner_pod, rec->owner_ns, node,
					rec->owner_sa };
	} else {	/* host credentials belong to the node */
		snprintf(okey, sizeof(okey), "n:%s", node);
		sp = (struct ent_spec){ RPT_K_NODE, node, "", node, "" };
	}
	t->owner = ent_get(r, RPT_OWNER, okey, &sp);

	snprintf(key, sizeof(key), "%s\t%s", node, path);
	sp = (struct ent_spec){ RPT_K_CRED, path, rec->owner_ns, node, rec->cred_kind };
	t->cred = ent_get(r, RPT_CRED, key, &sp);

	if (rec->pod_name[0]) {
		snprintf(key, sizeof(key), "p:%s/%s", rec->ns_name, rec->pod_name);
		sp = (struct ent_spec){ RPT_K_POD, rec->pod_name, rec->ns_name, node,
					rec->container_image };
	} else if (rec->container_id[0] && strcmp(rec->container_id, "host")) {
		snprintf(key, sizeof(key), "c:%s\t%s", node, rec->container_id);
		snprintf(short_id, sizeof(short_id), "container %.12s", rec->container_id);
		sp = (struct ent_spec){ RPT_K_CONTAINER, short_id, "", node, rec->container_image };
	} else {	/* by executable: a renamed binary is what it is */
		const char *exe = rec->proc_exepath[0] ? rec->proc_exepath : rec->proc_name;
		const char *base = strrchr(exe, '/');

		snprintf(key, sizeof(key), "h:%s\t%s", node, exe);
		sp = (struct ent_spec){ RPT_K_HOST, rec->proc_name[0] ? rec->proc_name :
					base ? base + 1 : exe, "", node, exe };
	}
	t->reader = ent_get(r, RPT_READER, key, &sp);
	if (t->reader == RMAP_NONE || t->cred == RMAP_NONE || t->owner == RMAP_NONE) {
		r->oom = true;
		return false;
	}
	/* a pod name seen on two nodes (a pod recreated elsewhere): say so, not which first */
	if (strcmp(r->ents[RPT_READER][t->reader].node, node))
		r->ents[RPT_READER][t->reader].nodes_many = true;
	if (strcmp(r->ents[RPT_OWNER][t->owner].node, node))
		r->ents[RPT_OWNER][t->owner].nodes_many = true;
	if (r->ents[RPT_CRED][t->cred].kind != RPT_K_OVERFLOW)
		r->ents[RPT_CRED][t->cred].owner = t->owner;

	t->flags = 0;
	if (owner_pod && sp.kind == RPT_K_HOST)
		t->flags |= RPT_F_HOST;
	else if (owner_pod && rec->same_pod != CW_TRUE &&
		 (rec->same_pod == CW_FALSE || strcmp(key, okey)))
		t->flags |= RPT_F_CROSS;
	if (rec->is_exec_session == CW_TRUE)
		t->flags |= RPT_F_EXEC;
	t->edge = edge_get(r, t->reader, t->cred);
	return true;
}

/* Count an access, or an alert, on everything it touched. */
static void bump(struct report *r, const struct rpt_touch *t, uint64_t time_ns, bool alert)
{
	struct rpt_ent *rd = &r->ents[RPT_READER][t->reader];
	uint32_t ids[RPT_NCOLS] = { t->reader, t->cred, t->owner };
	bool exec = t->flags & RPT_F_EXEC;
	int b;

	for (int c = 0; c < RPT_NCOLS; c++) {
		struct rpt_ent *e = &r->ents[c][ids[c]];

		if (alert) {
			e->alerts++;
			continue;
		}
		e->accesses++;
		e->exec += exec;
		e->cross += !!(t->flags & RPT_F_CROSS);
		e->host += !!(t->flags & RPT_F_HOST);
		rpt_span(&e->first_ns, &e->last_ns, time_ns);
	}
	if (t->edge != RMAP_NONE) {
		struct rpt_edge *ed = &r->edges[t->edge];

		ed->flags |= t->flags | (alert ? RPT_F_ALERT : 0);
		if (alert) {
			ed->alerts++;
		} else {
			ed->accesses++;
			ed->exec += exec;
		}
	} else if (!alert) {
		r->edges_untracked++;
	}
	tl_fit(r, time_ns);
	if (!rd->tl && !(rd->tl = calloc(1, sizeof(*rd->tl)))) {
		r->oom = true;
		return;
	}
	b = report_tl_bucket(r, time_ns);
	if (alert) {
		rd->tl->alerts[b]++;
		r->tl_total.alerts[b]++;
	} else {
		rd->tl->acc[b]++;
		r->tl_total.acc[b]++;
		rd->tl->exec[b] += exec;
		r->tl_total.exec[b] += exec;
	}
}

/* ---- nodes ---- */

static struct rpt_node *node_get(struct report *r, const struct dump_file_info *fi)
{
	const char *name = fi->hostname[0] ? fi->hostname : "(unnamed)";
	struct rpt_node *n, *arr;
	uint32_t i;

	/* a few nodes, and records come file by file: the last one is the likely one */
	if (r->nnodes && !strcmp(r->nodes[r->last_node].name, name))
		i = r->last_node;
	else
		for (i = 0; i < r->nnodes && strcmp(r->nodes[i].name, name); i++)
			;
	if (i == r->nnodes) {
		if (r->nnodes >= RPT_MAX_NODES)
			return NULL;
		arr = rpt_grow(r->nodes, &r->nodes_cap, r->nnodes + 1, sizeof(*arr));
		if (!arr)
			return NULL;
		r->nodes = arr;
		n = &arr[r->nnodes];
		memset(n, 0, sizeof(*n));
		n->name = rpt_dup_cut(name, RPT_STR_MAX);
		n->kernel = rpt_dup_cut(fi->kernel, RPT_STR_MAX);
		if (!n->name || !n->kernel) {
			free(n->name);
			free(n->kernel);
			return NULL;
		}
		r->nnodes++;
	}
	r->last_node = i;
	n = &r->nodes[i];
	if (!n->last_file || strcmp(n->last_file, fi->path)) {
		free(n->last_file);
		n->last_file = strdup(fi->path);
		n->files++;
		for (i = 0; i < n->nagents && strcmp(n->agents[i], fi->agent_version); i++)
			;
		if (i == n->nagents && n->nagents < RPT_MAX_AGENTS &&
		    (n->agents[n->nagents] = rpt_dup_cut(fi->agent_version, 64)))
			n->nagents++;
	}
	return n;
}

/* ---- the record stream ---- */

void report_add(struct report *r, const struct dump_item *it)
{
	struct rpt_node *node = node_get(r, it->file);
	const char *node_name = node ? node->name : "(unnamed)";
	struct rpt_touch t;

	if (!node)
		r->nodes_untracked++;
	rpt_span(&r->first_ns, &r->last_ns, it->time_ns);
	if (node)
		rpt_span(&node->first_ns, &node->last_ns, it->time_ns);
	switch (it->type) {
	case DUMP_REC_FINDING:
		if (node)
			node->findings++;
		report_add_finding(r, it);
		return;
	case DUMP_REC_EVENT:
		r->events++;
		if (node)
			node->events++;
		if (!it->rec || !resolve(r, it->rec, node_name, &t))
			return;
		r->cross += !!(t.flags & RPT_F_CROSS);
		r->host += !!(t.flags & RPT_F_HOST);
		r->exec += !!(t.flags & RPT_F_EXEC);
		bump(r, &t, it->time_ns, false);
		return;
	case DUMP_REC_ALERT:
		r->alerts++;
		if (node)
			node->alerts++;
		if (it->rec && resolve(r, it->rec, node_name, &t)) {
			bump(r, &t, it->time_ns, true);
			report_add_alert(r, it, &t);
		} else {
			report_add_alert(r, it, NULL);
		}
		return;
	}
}

void report_damage(struct report *r, const char *file, uint64_t offset, const char *what)
{
	char line[RPT_STR_MAX + 600];

	r->damage_total++;
	if (r->ndamage >= RPT_MAX_DAMAGE)
		return;
	snprintf(line, sizeof(line), "%.*s: offset %llu: %s", RPT_STR_MAX, file,
		 (unsigned long long)offset, what);
	r->damage[r->ndamage] = strdup(line);
	if (r->damage[r->ndamage])
		r->ndamage++;
}

int report_new(struct report **out, char *const *inputs, int ninputs)
{
	struct report *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return -ENOMEM;
	for (int c = 0; c < RPT_NCOLS; c++)
		r->overflow[c] = RMAP_NONE;
	r->inputs = calloc((size_t)ninputs, sizeof(*r->inputs));
	if (!r->inputs)
		goto oom;
	for (int i = 0; i < ninputs; i++, r->ninputs++)
		if (!(r->inputs[i].path = strdup(inputs[i])))
			goto oom;
	*out = r;
	return 0;
oom:
	report_free(r);
	return -ENOMEM;
}

void report_free(struct report *r)
{
	if (!r)
		return;
	for (int c = 0; c < RPT_NCOLS; c++) {
		for (uint32_t i = 0; i < r->nents[c]; i++)
			ent_free(&r->ents[c][i]);
		free(r->ents[c]);
		rmap_clear(&r->ent_map[c]);
	}
	free(r->edges);
	rmap_clear(&r->edge_map);
	report_free_lines(r);
	for (uint32_t i = 0; i < r->nnodes; i++) {
		free(r->nodes[i].name);
		free(r->nodes[i].kernel);
		free(r->nodes[i].last_file);
		for (unsigned k = 0; k < r->nodes[i].nagents; k++)
			free(r->nodes[i].agents[k]);
	}
	free(r->nodes);
	for (uint32_t i = 0; i < r->ninputs; i++)
		free(r->inputs[i].path);
	free(r->inputs);
	for (uint32_t i = 0; i < r->ndamage; i++)
		free(r->damage[i]);
	free(r);
}

static int by_node_name(const void *a, const void *b)
{
	return strcmp(((const struct rpt_node *)a)->name, ((const struct rpt_node *)b)->name);
}

void report_finish(struct report *r)
{
	report_sort_lines(r);
	/* the page lists nodes by name, whatever order the dumps were given in */
	if (r->nnodes)
		qsort(r->nodes, r->nnodes, sizeof(*r->nodes), by_node_name);
}
