/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report_graph.h - the access graph between report_graph.c, which chooses
 * what is drawn (entities on their own, groups, "N more") and where, and
 * report_svg.c, which writes it as SVG. Internal to the report.
 */
#ifndef CW_REPORT_GRAPH_H
#define CW_REPORT_GRAPH_H

#include "report.h"

#define NODE_H		40	/* a node's box; columns are NODE_H + GAP apart */
#define GAP		8
#define TOP_Y		44	/* below the column headings */
#define OVERFLOW_GROUP	"\x01"	/* group name of the model's entity past RPT_MAX_ENTS */

struct gnode {
	enum rpt_col col;
	const struct rpt_ent *ent;	/* a single entity, or NULL for a group */
	enum rpt_kind kind;		/* of the entity, or of the group's members */
	const char *gname;		/* group: namespace or node ("" for "N more") */
	uint64_t members, accesses, alerts, exec, cross, host;
	uint32_t merged;		/* "N more": how many groups it holds */
	double y, bary;
	int order;
};

struct gedge {
	uint32_t from, to;		/* gnode indexes */
	uint64_t accesses, alerts, exec;
	unsigned flags;
};

struct graph {
	const struct report *r;
	struct gnode *nodes;
	uint32_t nnodes, nodes_cap;
	uint32_t *map[RPT_NCOLS];	/* model entity -> gnode */
	uint32_t *cols[RPT_NCOLS];	/* gnodes of a column, in drawing order */
	uint32_t ncol[RPT_NCOLS];
	struct gedge *edges;
	uint32_t nedges, edges_cap;
	struct rmap edge_map;
	bool multi_node;
	bool oom;
};

/*
 * graph_build - choose every column's nodes (at most top on their own, then
 * groups) and edges, and lay them out. Returns the drawing's height, 0 when
 * memory ran out (g->oom). graph_free() in every case.
 */
double graph_build(struct graph *g, const struct report *r, int top);
void graph_free(struct graph *g);

#endif /* CW_REPORT_GRAPH_H */
