// SPDX-License-Identifier: Apache-2.0
/*
 * report_graph.c - the access graph: readers | credentials | owners.
 *
 * What is drawn: per column, the `top` entities that matter most on their
 * own (those with cross-pod, host-to-pod, exec-session or alerting
 * accesses first, then by count), the rest as one node per namespace (pods,
 * credentials of a namespace's pods) or per node (host processes, host
 * credentials), and past GROUPS groups a single "N more" node. Edges between
 * drawn nodes add up the model's edges, so every access is in some edge and
 * a highlighted access stays highlighted inside a group.
 *
 * How it is laid out (docs/report.md says why not Graphviz): three fixed
 * columns; within a column the order comes from a few barycenter sweeps
 * (each node moves to the weighted mean height of its neighbours in the
 * other columns, the classic Sugiyama heuristic for fewer crossings); edges
 * are cubic curves, their width grows with log2 of the count (report_svg.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_graph.h"

#define GROUPS		6	/* group nodes per column before "N more" */
#define SWEEPS		4

static bool ent_flagged(const struct rpt_ent *e)
{
	return e->cross || e->host || e->exec || e->alerts;
}

/* A group a non-drawn entity joins: its namespace, or its node. */
static void group_of(const struct report *r, enum rpt_col col, const struct rpt_ent *e,
		     enum rpt_kind *kind, const char **name)
{
	*kind = e->kind;
	*name = e->ns;
	if (e->kind == RPT_K_OVERFLOW)
		*name = OVERFLOW_GROUP;
	else if (e->kind == RPT_K_HOST || e->kind == RPT_K_CONTAINER || e->kind == RPT_K_NODE) {
		*name = e->node;
	} else if (col == RPT_CRED) {
		const struct rpt_ent *o = e->owner != RMAP_NONE ? &r->ents[RPT_OWNER][e->owner]
								 : NULL;

		*kind = o ? o->kind : RPT_K_OVERFLOW;
		*name = o && o->kind == RPT_K_NODE ? o->node : e->ns;
	}
}

static uint32_t gnode_new(struct graph *g, enum rpt_col col, const struct rpt_ent *ent,
			  enum rpt_kind kind, const char *gname)
{
	struct gnode *arr = rpt_grow(g->nodes, &g->nodes_cap, g->nnodes + 1, sizeof(*arr));

	if (!arr) {
		g->oom = true;
		return RMAP_NONE;
	}
	g->nodes = arr;
	arr[g->nnodes] = (struct gnode){ .col = col, .ent = ent, .kind = kind, .gname = gname };
	g->cols[col][g->ncol[col]++] = g->nnodes;
	return g->nnodes++;
}

static void gnode_count(struct gnode *n, const struct rpt_ent *e)
{
	n->members++;
	n->accesses += e->accesses;
	n->alerts += e->alerts;
	n->exec += e->exec;
	n->cross += e->cross;
	n->host += e->host;
}

/* Sorting entities of one column by importance. */
struct rank {
	uint32_t idx;
	bool flagged, linked;
	const struct rpt_ent *e;
};

static int by_rank(const void *a, const void *b)
{
	const struct rank *x = a, *y = b;

	if (x->flagged != y->flagged)
		return x->flagged ? -1 : 1;
	if (x->linked != y->linked)
		return x->linked ? -1 : 1;
	if (x->e->alerts != y->e->alerts)
		return x->e->alerts > y->e->alerts ? -1 : 1;
	if (x->e->accesses != y->e->accesses)
		return x->e->accesses > y->e->accesses ? -1 : 1;
	return strcmp(x->e->key, y->e->key);
}

static int by_accesses(const void *a, const void *b, void *ctx)
{
	const struct graph *g = ctx;
	const struct gnode *x = &g->nodes[*(const uint32_t *)a], *y = &g->nodes[*(const uint32_t *)b];

	if (x->accesses != y->accesses)
		return x->accesses > y->accesses ? -1 : 1;
	return strcmp(x->gname, y->gname);
}

/*
 * Which entities of col touch one drawn on its own in the column before:
 * credentials read by a drawn reader, owners of a drawn credential. Among
 * equals they are drawn first, so the picture stays connected.
 */
static bool *linked_to_drawn(const struct graph *g, enum rpt_col col)
{
	const struct report *r = g->r;
	bool *l = calloc(r->nents[col] ? r->nents[col] : 1, sizeof(bool));

	if (!l || col == RPT_READER)
		return l;
	if (col == RPT_CRED)
		for (uint32_t k = 0; k < r->nedges; k++)
			l[r->edges[k].cred] |= g->nodes[g->map[RPT_READER][r->edges[k].reader]].ent != NULL;
	else
		for (uint32_t i = 0; i < r->nents[RPT_CRED]; i++)
			if (r->ents[RPT_CRED][i].owner != RMAP_NONE)
				l[r->ents[RPT_CRED][i].owner] |= g->nodes[g->map[RPT_CRED][i]].ent != NULL;
	return l;
}

/* The group node of (kind, name) in col, made on first use. */
static uint32_t group_get(struct graph *g, struct rmap *groups, enum rpt_col col,
			  enum rpt_kind kind, const char *name)
{
	uint64_t h = rmap_hash(name) ^ ((uint64_t)kind + 1) * 0x9e3779b97f4a7c15ull;
	struct rmap_slot *slot;
	uint32_t gi = rmap_get(groups, h, name, &slot);

	if (gi != RMAP_NONE)
		return gi;
	if (!slot)
		return RMAP_NONE;
	gi = gnode_new(g, col, NULL, kind, name);
	if (gi != RMAP_NONE)
		rmap_put(groups, slot, h, name, gi);
	return gi;
}

/* Past GROUPS groups in col, the smallest become one "N more" node. */
static void merge_groups(struct graph *g, enum rpt_col col)
{
	uint32_t ngroups = 0, more, *groups = calloc(g->ncol[col] + 1, sizeof(*groups));
	struct gnode *m;

	if (!groups)
		goto oom;
	for (uint32_t j = 0; j < g->ncol[col]; j++)
		if (!g->nodes[g->cols[col][j]].ent)
			groups[ngroups++] = g->cols[col][j];
	if (ngroups <= GROUPS)
		goto cleanup;
	qsort_r(groups, ngroups, sizeof(*groups), by_accesses, g);
	more = gnode_new(g, col, NULL, RPT_K_OVERFLOW, "");
	if (more == RMAP_NONE)
		goto oom;
	m = &g->nodes[more];
	for (uint32_t j = GROUPS; j < ngroups; j++) {
		struct gnode *gn = &g->nodes[groups[j]];

		m->members += gn->members;
		m->accesses += gn->accesses;
		m->alerts += gn->alerts;
		m->exec += gn->exec;
		m->cross += gn->cross;
		m->host += gn->host;
		m->merged++;
		gn->members = 0;	/* merged: not drawn */
	}
	for (uint32_t i = 0; i < g->r->nents[col]; i++)
		if (!g->nodes[g->map[col][i]].members)
			g->map[col][i] = more;
	for (uint32_t j = 0, o = 0, cnt = g->ncol[col]; j < cnt; j++) {
		if (g->nodes[g->cols[col][j]].members)
			g->cols[col][o++] = g->cols[col][j];
		else
			g->ncol[col]--;
	}
	goto cleanup;
oom:
	g->oom = true;
cleanup:
	free(groups);
}

/* Choose the column's drawn entities and groups; fill g->map[col]. */
static void select_column(struct graph *g, enum rpt_col col, int top)
{
	const struct report *r = g->r;
	uint32_t n = r->nents[col];
	struct rank *rk = calloc(n ? n : 1, sizeof(*rk));
	bool *linked = linked_to_drawn(g, col);
	struct rmap groups = { 0 };

	g->map[col] = calloc(n ? n : 1, sizeof(uint32_t));
	g->cols[col] = calloc((size_t)n + 2, sizeof(uint32_t));
	if (!rk || !linked || !g->map[col] || !g->cols[col])
		goto oom;
	for (uint32_t i = 0; i < n; i++)
		rk[i] = (struct rank){ .idx = i, .e = &r->ents[col][i],
				       .flagged = ent_flagged(&r->ents[col][i]), .linked = linked[i] };
	qsort(rk, n, sizeof(*rk), by_rank);
	for (uint32_t k = 0; k < n; k++) {
		const struct rpt_ent *e = rk[k].e;
		enum rpt_kind kind;
		const char *name;
		uint32_t gi;

		if ((int)k < top && e->kind != RPT_K_OVERFLOW) {
			gi = gnode_new(g, col, e, e->kind, "");
		} else {
			group_of(r, col, e, &kind, &name);
			gi = group_get(g, &groups, col, kind, name);
		}
		if (gi == RMAP_NONE)
			goto oom;
		gnode_count(&g->nodes[gi], e);
		g->map[col][rk[k].idx] = gi;
	}
	merge_groups(g, col);
	goto cleanup;
oom:
	g->oom = true;
cleanup:
	rmap_clear(&groups);
	free(linked);
	free(rk);
}

static void edge_add(struct graph *g, uint32_t from, uint32_t to, uint64_t accesses,
		     uint64_t alerts, uint64_t exec, unsigned flags)
{
	uint64_t h = (uint64_t)from << 32 | to;
	struct rmap_slot *slot;
	uint32_t i = rmap_get(&g->edge_map, h, NULL, &slot);
	struct gedge *arr;

	if (i == RMAP_NONE) {
		if (!slot || !(arr = rpt_grow(g->edges, &g->edges_cap, g->nedges + 1,
					       sizeof(*arr)))) {
			g->oom = true;
			return;
		}
		g->edges = arr;
		i = g->nedges++;
		arr[i] = (struct gedge){ .from = from, .to = to };
		rmap_put(&g->edge_map, slot, h, NULL, i);
	}
	g->edges[i].accesses += accesses;
	g->edges[i].alerts += alerts;
	g->edges[i].exec += exec;
	g->edges[i].flags |= flags;
}

static void build_edges(struct graph *g)
{
	const struct report *r = g->r;

	for (uint32_t k = 0; k < r->nedges; k++) {
		const struct rpt_edge *e = &r->edges[k];

		edge_add(g, g->map[RPT_READER][e->reader], g->map[RPT_CRED][e->cred],
			 e->accesses, e->alerts, e->exec, e->flags);
	}
	for (uint32_t i = 0; i < r->nents[RPT_CRED]; i++) {
		const struct rpt_ent *c = &r->ents[RPT_CRED][i];
		unsigned flags = (c->cross ? RPT_F_CROSS : 0) | (c->host ? RPT_F_HOST : 0) |
				 (c->alerts ? RPT_F_ALERT : 0);

		if (c->owner != RMAP_NONE)
			edge_add(g, g->map[RPT_CRED][i], g->map[RPT_OWNER][c->owner],
				 c->accesses, c->alerts, c->exec, flags);
	}
}

/* ---- layout ---- */

static void place_column(struct graph *g, enum rpt_col col, double height)
{
	double top = TOP_Y + (height - g->ncol[col] * (double)(NODE_H + GAP)) / 2;

	for (uint32_t j = 0; j < g->ncol[col]; j++) {
		g->nodes[g->cols[col][j]].order = (int)j;
		g->nodes[g->cols[col][j]].y = top + j * (double)(NODE_H + GAP);
	}
}

static int by_bary(const void *a, const void *b, void *ctx)
{
	const struct graph *g = ctx;
	const struct gnode *x = &g->nodes[*(const uint32_t *)a], *y = &g->nodes[*(const uint32_t *)b];

	/* "N more" stays last: it is the end of the list, not a place */
	if ((x->kind == RPT_K_OVERFLOW) != (y->kind == RPT_K_OVERFLOW))
		return x->kind == RPT_K_OVERFLOW ? 1 : -1;
	if (x->bary != y->bary)
		return x->bary < y->bary ? -1 : 1;
	return x->order - y->order;
}

/* Move col's nodes to the weighted mean height of their neighbours in the given columns. */
static void sweep(struct graph *g, enum rpt_col col, bool left, bool right, double height)
{
	double *sum = calloc(g->nnodes, sizeof(double)), *wt = calloc(g->nnodes, sizeof(double));

	if (!sum || !wt) {
		g->oom = true;
		goto cleanup;
	}
	for (uint32_t k = 0; k < g->nedges; k++) {
		const struct gedge *e = &g->edges[k];
		double w = 1 + log2(1 + (double)e->accesses);

		if (right && g->nodes[e->from].col == col) {
			sum[e->from] += w * g->nodes[e->to].y;
			wt[e->from] += w;
		}
		if (left && g->nodes[e->to].col == col) {
			sum[e->to] += w * g->nodes[e->from].y;
			wt[e->to] += w;
		}
	}
	for (uint32_t j = 0; j < g->ncol[col]; j++) {
		struct gnode *n = &g->nodes[g->cols[col][j]];

		n->bary = wt[g->cols[col][j]] ? sum[g->cols[col][j]] / wt[g->cols[col][j]] : n->y;
	}
	qsort_r(g->cols[col], g->ncol[col], sizeof(uint32_t), by_bary, g);
	place_column(g, col, height);
cleanup:
	free(sum);
	free(wt);
}

static double layout(struct graph *g)
{
	uint32_t most = 1;

	for (int c = 0; c < RPT_NCOLS; c++)
		if (g->ncol[c] > most)
			most = g->ncol[c];
	for (int c = 0; c < RPT_NCOLS; c++)
		place_column(g, c, most * (double)(NODE_H + GAP));
	for (int s = 0; s < SWEEPS && !g->oom; s++) {
		double h = most * (double)(NODE_H + GAP);

		sweep(g, RPT_CRED, true, s > 0, h);
		sweep(g, RPT_OWNER, true, false, h);
		sweep(g, RPT_CRED, true, true, h);
		sweep(g, RPT_READER, false, true, h);
	}
	return TOP_Y + most * (double)(NODE_H + GAP) + 12;
}

void graph_free(struct graph *g)
{
	for (int c = 0; c < RPT_NCOLS; c++) {
		free(g->map[c]);
		free(g->cols[c]);
	}
	free(g->nodes);
	free(g->edges);
	rmap_clear(&g->edge_map);
}

double graph_build(struct graph *g, const struct report *r, int top)
{
	memset(g, 0, sizeof(*g));
	g->r = r;
	g->multi_node = r->nnodes > 1;
	for (int c = 0; c < RPT_NCOLS && !g->oom; c++)
		select_column(g, c, top);
	if (!g->oom)
		build_edges(g);
	return g->oom ? 0 : layout(g);
}
