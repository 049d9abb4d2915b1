// SPDX-License-Identifier: Apache-2.0
/*
 * report_svg.c - the access graph as SVG: three columns of labelled boxes,
 * cubic edges whose width grows with log2 of the count, classes for the
 * highlights (cross, hostread, exec, alerted, hot) that the page's style
 * colours, and a <title> on every node and edge with the whole story. Every
 * name goes through html.c; ids are html_id() hashes.
 */
#include <math.h>
#include <string.h>

#include "html.h"
#include "report_graph.h"

#define NODE_W		270
#define SVG_W		1240
#define LABEL_CHARS	28

static const int col_x[RPT_NCOLS] = { 12, 478, 958 };
static const int col_w[RPT_NCOLS] = { NODE_W, 290, NODE_W };
static const char *const col_class[RPT_NCOLS] = { "reader", "credential", "owner" };

static const char *kind_class(const struct gnode *n)
{
	if (!n->ent)
		return n->kind == RPT_K_OVERFLOW ? "more" : "group";
	switch (n->kind) {
	case RPT_K_POD: return "pod";
	case RPT_K_HOST: return "host";
	case RPT_K_CONTAINER: return "container";
	case RPT_K_NODE: return "nodeowner";
	case RPT_K_CRED: return "cred";
	default: return "more";
	}
}

/* What a group holds, in words: "pods", "host processes", ... (trusted text). */
static const char *group_noun(const struct gnode *n)
{
	if (n->col == RPT_CRED)
		return n->members == 1 ? "credential" : "credentials";
	switch (n->kind) {
	case RPT_K_POD: return n->members == 1 ? "pod" : "pods";
	case RPT_K_HOST: return n->members == 1 ? "host process" : "host processes";
	case RPT_K_CONTAINER: return n->members == 1 ? "container" : "containers";
	case RPT_K_NODE: return n->members == 1 ? "node" : "nodes";
	default: return n->col == RPT_READER ? "readers" : "owners";
	}
}

/* Where a group is: "in namespace X", "on node X", ... */
static void group_where(FILE *f, const struct gnode *n)
{
	if (n->kind == RPT_K_OVERFLOW && !strcmp(n->gname, OVERFLOW_GROUP)) {
		fputs("past the report's table size: not broken down", f);
	} else if (n->kind == RPT_K_OVERFLOW) {
		fprintf(f, "in %u smaller groups", n->merged);
	} else if (n->kind == RPT_K_POD || (n->col == RPT_CRED && n->kind != RPT_K_NODE)) {
		fputs(n->col == RPT_CRED ? "of pods in namespace " : "in namespace ", f);
		html_text(f, n->gname[0] ? n->gname : "<NA>", LABEL_CHARS);
	} else {
		fputs(n->col == RPT_CRED ? "host credentials on " : "on ", f);
		html_text(f, n->gname, LABEL_CHARS);
	}
}

/*
 * A credential's path as a label: kubelet's pod volume paths
 * (/var/lib/kubelet/pods/UID/volumes/PLUGIN/VOLUME/FILE) say the most in
 * VOLUME/FILE, the pod being in the next column; other paths are whole.
 */
static const char *cred_short(const char *path)
{
	const char *v = strstr(path, "/volumes/"), *plugin_end;

	if (!v || !strstr(path, "/pods/"))
		return path;
	plugin_end = strchr(v + strlen("/volumes/"), '/');
	return plugin_end && plugin_end[1] ? plugin_end + 1 : path;
}

/* The node's name in a sentence (titles of edges and nodes), escaped. */
static void put_name(FILE *f, const struct gnode *n, size_t max)
{
	const struct rpt_ent *e = n->ent;

	if (!e) {
		html_num(f, n->members);
		fprintf(f, " %s%s ", n->kind == RPT_K_OVERFLOW ? "more " : "", group_noun(n));
		group_where(f, n);
		return;
	}
	switch (e->kind) {
	case RPT_K_POD:
		html_text(f, e->ns[0] ? e->ns : "<NA>", max);
		fputc('/', f);
		html_text(f, e->name, max);
		break;
	case RPT_K_HOST:
		html_text(f, e->name, max);
		fputs(" (", f);
		html_text_tail(f, e->detail, max);
		fputs(" on the host)", f);
		break;
	case RPT_K_NODE:
		fputs("node ", f);
		html_text(f, e->name, max);
		break;
	default:
		html_text_tail(f, e->name, max);
		break;
	}
}

static void put_counts(FILE *f, uint64_t acc, uint64_t alerts, uint64_t exec, uint64_t cross,
		       uint64_t host)
{
	html_num(f, acc);
	fputs(acc == 1 ? " access" : " accesses", f);
	if (alerts) {
		fputs(", ", f);
		html_num(f, alerts);
		fputs(alerts == 1 ? " alert" : " alerts", f);
	}
	if (cross) {
		fputs(", ", f);
		html_num(f, cross);
		fputs(" cross-pod", f);
	}
	if (host) {
		fputs(", ", f);
		html_num(f, host);
		fputs(" by host processes", f);
	}
	if (exec) {
		fputs(", ", f);
		html_num(f, exec);
		fputs(" in exec sessions", f);
	}
}

static void put_node_title(FILE *f, const struct graph *g, const struct gnode *n)
{
	const struct rpt_ent *e = n->ent;

	fputs("<title>", f);
	if (e && e->kind == RPT_K_CRED) {
		html_text(f, e->detail[0] ? e->detail : "credential", LABEL_CHARS);
		fputs(" ", f);
		html_text(f, e->name, 0);
		if (e->owner != RMAP_NONE) {
			fputs("\nowner: ", f);
			put_name(f, &g->nodes[g->map[RPT_OWNER][e->owner]], 0);
		}
	} else {
		put_name(f, n, 0);
	}
	if (e && e->nodes_many) {
		fputs("\nnodes: more than one", f);
	} else if (e && e->kind != RPT_K_NODE && e->node[0]) {
		fputs("\nnode: ", f);
		html_text(f, e->node, 0);
	}
	if (e && (e->kind == RPT_K_POD || e->kind == RPT_K_CONTAINER) && e->detail[0]) {
		fputs(n->col == RPT_OWNER ? "\nservice account: " : "\nimage: ", f);
		html_text(f, e->detail, 0);
	}
	fputc('\n', f);
	put_counts(f, n->accesses, n->alerts, n->exec, n->cross, n->host);
	fputs("</title>", f);
}

/* The second line under a node's name. */
static void put_sub(FILE *f, const struct graph *g, const struct gnode *n)
{
	const struct rpt_ent *e = n->ent;

	if (!e) {
		group_where(f, n);
		return;
	}
	switch (e->kind) {
	case RPT_K_POD:
		fputs("ns ", f);
		html_text(f, e->ns[0] ? e->ns : "<NA>", 24);
		break;
	case RPT_K_HOST:
		fputs("host process", f);
		break;
	case RPT_K_CONTAINER:
		fputs("container, pod not known", f);
		break;
	case RPT_K_NODE:
		fputs("node: host credentials", f);
		return;
	default:	/* a credential: its kind and whose it is */
		html_text(f, e->detail[0] ? e->detail : "credential", 16);
		if (e->owner != RMAP_NONE && g->r->ents[RPT_OWNER][e->owner].kind == RPT_K_POD) {
			fputs(" of ", f);
			html_text(f, g->r->ents[RPT_OWNER][e->owner].name, 26);
		} else if (e->owner != RMAP_NONE) {
			fputs(" on the host", f);
		}
		break;
	}
	if (g->multi_node) {
		fputs(" \xc2\xb7 ", f);
		if (e->nodes_many)
			fputs("several nodes", f);
		else
			html_text(f, e->node, 20);
	}
}

static void put_node(FILE *f, const struct graph *g, const struct gnode *n)
{
	const struct rpt_ent *e = n->ent;
	char id[HTML_ID_LEN], key[RPT_STR_MAX + 8];
	int x = col_x[n->col], w = col_w[n->col];
	double y = n->y;

	if (e)
		snprintf(key, sizeof(key), "%d\t%s", n->col, e->key);
	else
		snprintf(key, sizeof(key), "%d\t%d\t%s", n->col, n->kind, n->gname);
	fprintf(f, "<g class=\"node %s %s%s\" id=\"%s\">", col_class[n->col], kind_class(n),
		n->cross || n->host || n->exec || n->alerts ? " hot" : "",
		html_id(e ? "n-" : "g-", key, strlen(key), id));
	put_node_title(f, g, n);
	fprintf(f, "<rect class=\"box\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%d\" rx=\"6\"/>",
		x, y, w, NODE_H);
	fprintf(f, "<text class=\"nm\" x=\"%d\" y=\"%.1f\">", x + 9, y + 17);
	if (!e) {
		html_num(f, n->members);
		fprintf(f, " %s%s", n->kind == RPT_K_OVERFLOW ? "more " : "", group_noun(n));
	} else if (e->kind == RPT_K_CRED) {
		html_text_tail(f, cred_short(e->name), LABEL_CHARS);
	} else {
		html_text(f, e->name, LABEL_CHARS);
	}
	fprintf(f, "</text><text class=\"sub\" x=\"%d\" y=\"%.1f\">", x + 9, y + 32);
	put_sub(f, g, n);
	fprintf(f, "</text><text class=\"cnt\" x=\"%d\" y=\"%.1f\">", x + w - 8, y + 17);
	html_num(f, n->accesses);
	fputs("</text>", f);
	if (n->exec && n->col == RPT_READER)
		fprintf(f, "<rect class=\"badge exec\" x=\"%d\" y=\"%.1f\" width=\"34\" height=\"14\" "
			"rx=\"3\"/><text class=\"badge-t\" x=\"%d\" y=\"%.1f\">exec</text>",
			x + w - 42, y + 22, x + w - 25, y + 33);
	if (n->alerts)
		fprintf(f, "<circle class=\"alert-dot\" cx=\"%d\" cy=\"%.1f\" r=\"4\"/>", x, y);
	fputs("</g>\n", f);
}

static void put_edge(FILE *f, const struct graph *g, const struct gedge *e)
{
	const struct gnode *a = &g->nodes[e->from], *b = &g->nodes[e->to];
	double x1 = col_x[a->col] + col_w[a->col], x2 = col_x[b->col], xm = (x1 + x2) / 2;
	double y1 = a->y + NODE_H / 2.0, y2 = b->y + NODE_H / 2.0;
	double w = 1 + 1.5 * log2(1 + (double)(e->accesses + e->alerts));

	fprintf(f, "<path class=\"edge%s%s%s%s\" d=\"M%.1f %.1fC%.1f %.1f %.1f %.1f %.1f %.1f\" "
		"stroke-width=\"%.1f\"><title>", e->flags & RPT_F_CROSS ? " cross" : "",
		e->flags & RPT_F_HOST ? " hostread" : "", e->flags & RPT_F_EXEC ? " exec" : "",
		e->flags & RPT_F_ALERT ? " alerted" : "", x1, y1, xm, y1, xm, y2, x2, y2,
		w > 12 ? 12 : w);
	put_name(f, a, 0);
	fputs(a->col == RPT_READER ? " read " : " belongs to ", f);
	put_name(f, b, 0);
	if (a->col == RPT_READER && b->ent && b->ent->owner != RMAP_NONE) {
		fputs(" (owner: ", f);
		put_name(f, &g->nodes[g->map[RPT_OWNER][b->ent->owner]], 0);
		fputc(')', f);
	}
	fputs(": ", f);
	put_counts(f, e->accesses, e->alerts, e->exec, 0, 0);
	if (a->col == RPT_READER && (e->flags & RPT_F_CROSS))
		fputs("; CROSS-POD", f);
	if (a->col == RPT_READER && (e->flags & RPT_F_HOST))
		fputs("; HOST PROCESS READ A POD'S CREDENTIAL", f);
	if (a->col == RPT_READER && (e->flags & RPT_F_EXEC))
		fputs("; EXEC SESSION", f);
	fputs("</title></path>\n", f);
}

void report_graph_svg(FILE *f, const struct report *r, int top)
{
	static const char *const heads[RPT_NCOLS] = {
		"READERS: pods and host processes", "CREDENTIALS", "OWNERS: whose credential" };
	struct graph g;
	double height = graph_build(&g, r, top);

	if (g.oom) {
		fputs("<p class=\"warn\">Out of memory while drawing the graph.</p>\n", f);
		goto cleanup;
	}
	fprintf(f, "<svg class=\"graph\" width=\"%d\" height=\"%.0f\" viewBox=\"0 0 %d %.0f\" "
		"role=\"img\" aria-label=\"access graph\">\n", SVG_W, height, SVG_W, height);
	for (int c = 0; c < RPT_NCOLS; c++)
		fprintf(f, "<text class=\"colhead\" x=\"%d\" y=\"22\">%s</text>\n", col_x[c], heads[c]);
	/* plain edges first, highlighted ones on top of them */
	for (int pass = 0; pass < 3; pass++)
		for (uint32_t k = 0; k < g.nedges; k++) {
			unsigned fl = g.edges[k].flags;
			int want = fl & RPT_F_CROSS ? 2 : fl & (RPT_F_HOST | RPT_F_EXEC) ? 1 : 0;

			if (want == pass)
				put_edge(f, &g, &g.edges[k]);
		}
	for (int c = 0; c < RPT_NCOLS; c++)
		for (uint32_t j = 0; j < g.ncol[c]; j++)
			put_node(f, &g, &g.nodes[g.cols[c][j]]);
	fputs("</svg>\n", f);
cleanup:
	graph_free(&g);
}
