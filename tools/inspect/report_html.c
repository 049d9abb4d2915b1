// SPDX-License-Identifier: Apache-2.0
/*
 * report_html.c - the report page: one HTML file with everything inline.
 *
 * The page loads nothing: no script at all, one <style> block allowed by its
 * SHA-256 in a Content-Security-Policy of default-src 'none', no fonts,
 * images or links out. Tooltips are SVG <title>s and title attributes,
 * links are #fragments to ids made by html_id(), and the rule whose events
 * a link targets is highlighted with CSS :target. Every string from a dump
 * goes through html.c; the only other text written here is this file's own.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "inspect.h"
#include "report.h"
#include "sha256.h"

#define TL_ROWS		24	/* timeline rows before "N other readers" */
#define TL_LABEL_W	250
#define TL_PLOT_W	900	/* the timeline's width: columns stretch to fill it */
#define TL_ROW_H	22

/* The page's only style; the CSP allows exactly these bytes (by hash). */
static const char style[] =
	":root{--fg:#1d2430;--mut:#5f6b7a;--bg:#f6f7f9;--card:#fff;--line:#dde1e7;"
	"--cross:#d7263d;--host:#e07b00;--exec:#7b2cbf;--ok:#2f8f5b}"
	"*{box-sizing:border-box}"
	"body{margin:0;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;"
	"color:var(--fg);background:var(--bg)}"
	"header{background:#16202e;color:#fff;padding:18px 28px}"
	"header h1{margin:0 0 4px;font-size:22px}header p{margin:2px 0;color:#c8d1dc}"
	"nav{padding:6px 28px;background:#223044}nav a{color:#dfe7f1;margin-right:18px;"
	"text-decoration:none}main{padding:8px 28px 40px}"
	"section{background:var(--card);border:1px solid var(--line);border-radius:8px;"
	"padding:14px 18px;margin:16px 0;overflow-x:auto}"
	"h2{margin:0 0 10px;font-size:18px}h3{margin:14px 0 6px;font-size:15px}"
	".cards{display:flex;flex-wrap:wrap;gap:10px;margin:16px 0}"
	".card{flex:1 1 0;background:var(--card);border:1px solid var(--line);border-radius:8px;"
	"padding:10px 14px;min-width:120px}.card b{display:block;font-size:22px}"
	".card span{color:var(--mut);font-size:12px}.card.bad b{color:var(--cross)}"
	".card.warn b{color:var(--host)}.card.good b{color:var(--ok)}"
	"table{border-collapse:collapse;width:100%;margin:6px 0}"
	"th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);"
	"vertical-align:top}th{font-size:12px;color:var(--mut);font-weight:600}"
	"td.n{text-align:right;font-variant-numeric:tabular-nums}td{overflow-wrap:break-word}"
	"td code{word-break:break-all}"
	"td.t{white-space:nowrap}td.out{min-width:18em}.ev td{font-size:13px}"
	"code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
	"pre{background:#f1f3f6;border:1px solid var(--line);border-radius:6px;padding:8px;"
	"white-space:pre-wrap;word-break:break-all;margin:4px 0}"
	".mut{color:var(--mut)}.warn{color:var(--host)}"
	".pri,.sev{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;"
	"font-weight:600;color:#fff;background:#6b7280}"
	".pri.p0,.pri.p1,.pri.p2,.sev.s0{background:#b0122b}.pri.p3,.sev.s1{background:#d7263d}"
	".pri.p4,.sev.s2{background:#e07b00}.pri.p5,.sev.s3{background:#2a6fb0}"
	".rule:target{outline:3px solid #f5c400;border-radius:6px}"
	".finding{border:1px solid var(--line);border-left:5px solid #6b7280;border-radius:6px;"
	"padding:8px 12px;margin:10px 0}.finding.f0,.finding.f1{border-left-color:var(--cross)}"
	".finding.f2{border-left-color:var(--host)}.finding.f3{border-left-color:#2a6fb0}"
	".finding h3{margin:2px 0 6px}.legend{display:flex;flex-wrap:wrap;gap:16px;"
	"margin:4px 0 8px;color:var(--mut);font-size:12px}.legend svg{vertical-align:middle}"
	"svg text{font:12px system-ui,sans-serif;fill:var(--fg)}"
	"svg .colhead{font-size:12px;font-weight:700;fill:var(--mut);letter-spacing:.04em}"
	".graph{max-width:100%;height:auto}"
	".box{fill:#eef2f7;stroke:#8a94a6;stroke-width:1}"
	".pod .box{fill:#e7f0ff;stroke:#4a78c2}.host .box{fill:#fff3df;stroke:#d98a00}"
	".container .box{fill:#f4ecff;stroke:#8d63c9}.cred .box{fill:#f6f6f3;"
	"stroke:#7c7a6d}.nodeowner .box{fill:#e9f7ef;stroke:#2f8f5b}"
	".group .box,.more .box{stroke-dasharray:4 3;fill:#f7f8fa}"
	".hot .box{stroke:var(--cross);stroke-width:2}"
	".node .nm{font-weight:600}.node .sub{font-size:11px;fill:var(--mut)}"
	".node .cnt{text-anchor:end;font-size:11px;fill:var(--mut)}"
	".badge.exec{fill:var(--exec)}.badge-t{text-anchor:middle;font-size:10px;fill:#fff;"
	"font-weight:700}.alert-dot{fill:var(--cross)}"
	".edge{fill:none;stroke:#9aa5b4;stroke-opacity:.55}"
	".edge.hostread{stroke:var(--host);stroke-opacity:.85}"
	".edge.exec{stroke:var(--exec);stroke-opacity:.85;stroke-dasharray:7 4}"
	".edge.cross{stroke:var(--cross);stroke-opacity:.9}"
	".edge:hover{stroke-opacity:1}"
	".tl .acc{fill:#4a78c2}.tl .al{fill:var(--cross)}.tl .ex{fill:var(--exec)}"
	".tl .row{fill:#f3f5f8}.tl .lbl{font-size:12px}.tl .axis{font-size:11px;fill:var(--mut)}"
	"footer{color:var(--mut);font-size:12px;padding:0 28px 24px}";

void rpt_put_time(FILE *f, uint64_t ns)
{
	char buf[40];

	fputs(ns ? inspect_fmt_time(ns, buf, sizeof(buf)) : "-", f);
}

/* "200 ms", "10 s", "2 min", "6 h", "2 days": a timeline column's width. */
static void put_duration(FILE *f, uint64_t ns)
{
	uint64_t ms = ns / 1000000;

	if (ms < 1000)
		fprintf(f, "%" PRIu64 " ms", ms);
	else if (ms < 60000)
		fprintf(f, "%" PRIu64 " s", ms / 1000);
	else if (ms < 3600000)
		fprintf(f, "%" PRIu64 " min", ms / 60000);
	else if (ms < 86400000)
		fprintf(f, "%" PRIu64 " h", ms / 3600000);
	else
		fprintf(f, "%" PRIu64 " day%s", ms / 86400000, ms < 172800000 ? "" : "s");
}

/* ---- head, header, cards ---- */

static void head(FILE *f, const struct report *r)
{
	uint8_t h[SHA256_LEN];
	char b64[64];

	sha256(style, strlen(style), h);
	base64_encode(h, sizeof(h), b64);
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", f);
	/* before anything that could load: nothing may, but the inline style */
	fprintf(f, "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"style-src 'sha256-%s'; base-uri 'none'; form-action 'none'\">\n", b64);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"credwatch-inspect report " CW_VERSION "\">\n", f);
	fputs("<title>credwatch access report", f);
	if (r->nnodes == 1) {
		fputs(": ", f);
		html_text(f, r->nodes[0].name, 60);
	} else if (r->nnodes > 1) {
		fprintf(f, ": %u nodes", r->nnodes);
	}
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n", style);
}

static void header(FILE *f, const struct report *r)
{
	fputs("<header><h1>credwatch access report</h1>\n<p>Who read whose credential: ", f);
	if (!r->nnodes)
		fputs("no records", f);
	for (uint32_t i = 0; i < r->nnodes && i < 12; i++) {
		fputs(i ? ", " : (r->nnodes == 1 ? "node " : "nodes "), f);
		fputs("<b>", f);
		html_text(f, r->nodes[i].name, 60);
		fputs("</b>", f);
	}
	if (r->nnodes > 12)
		fprintf(f, " and %u more", r->nnodes - 12);
	fputs("</p>\n<p>Records from ", f);
	rpt_put_time(f, r->first_ns);
	fputs(" to ", f);
	rpt_put_time(f, r->last_ns);
	if (r->since_ns || r->until_ns) {
		fputs(" (asked for ", f);
		rpt_put_time(f, r->since_ns);
		fputs(" .. ", f);
		rpt_put_time(f, r->until_ns);
		fputc(')', f);
	}
	fputs(". Generated ", f);
	rpt_put_time(f, r->generated_ns);
	fputs(" by credwatch-inspect " CW_VERSION ".</p></header>\n", f);
	fputs("<nav><a href=\"#graph\">Access graph</a><a href=\"#timeline\">Timeline</a>"
	      "<a href=\"#alerts\">Alerts</a><a href=\"#findings\">Findings</a>"
	      "<a href=\"#integrity\">Nodes and integrity</a></nav>\n<main>\n", f);
}

static void card(FILE *f, const char *cls, uint64_t n, const char *what)
{
	fprintf(f, "<div class=\"card %s\"><b>", cls);
	html_num(f, n);
	fprintf(f, "</b><span>%s</span></div>\n", what);
}

static bool damaged(const struct report *r)
{
	for (uint32_t i = 0; i < r->ninputs; i++)
		if (r->inputs[i].damaged)
			return true;
	return false;
}

static void cards(FILE *f, const struct report *r)
{
	uint64_t open = 0, crit = 0;

	for (uint32_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].status, "open")) {
			open++;
			crit += rpt_severity_rank(r->findings[i].severity) <= 1;
		}
	fputs("<div class=\"cards\" id=\"totals\">\n", f);
	card(f, "", r->events, "credential accesses");
	card(f, r->alerts ? "bad" : "good", r->alerts, "alerts");
	card(f, r->cross ? "bad" : "good", r->cross, "cross-pod reads");
	card(f, r->host ? "warn" : "good", r->host, "pod credentials read by host processes");
	card(f, r->exec ? "warn" : "good", r->exec, "reads in exec sessions");
	card(f, crit ? "bad" : open ? "warn" : "good", open, "open findings");
	card(f, "", r->nnodes, r->nnodes == 1 ? "node" : "nodes");
	fprintf(f, "<div class=\"card %s\" id=\"integrity-status\"><b>%s</b><span>dump integrity"
		"</span></div>\n</div>\n", damaged(r) ? "bad" : "good",
		damaged(r) ? "DAMAGED" : "ok");
}

/* ---- the graph ---- */

static void legend_line(FILE *f, const char *cls, const char *what)
{
	fprintf(f, "<span><svg width=\"34\" height=\"10\"><path class=\"edge %s\" d=\"M1 5H33\" "
		"stroke-width=\"3\"/></svg> %s</span>", cls, what);
}

static void graph_section(FILE *f, const struct report *r, int top)
{
	fputs("<section id=\"graph\"><h2>Access graph</h2>\n<div class=\"legend\">", f);
	legend_line(f, "", "access (width: log of the count)");
	legend_line(f, "cross", "a pod read another pod's credential");
	legend_line(f, "hostread", "a host process read a pod's credential");
	legend_line(f, "exec", "read in an interactive exec session");
	fputs("<span><svg width=\"12\" height=\"10\"><circle class=\"alert-dot\" cx=\"6\" cy=\"5\" "
	      "r=\"4\"/></svg> raised alerts</span></div>\n", f);
	if (!r->events && !r->alerts) {
		fputs("<p class=\"mut\">No credential accesses were recorded in this period.</p>"
		      "</section>\n", f);
		return;
	}
	fprintf(f, "<p class=\"mut\">Up to %d readers, credentials and owners are drawn on their "
		"own (those with cross-pod, host, exec or alerting reads first); the others are "
		"grouped by namespace or node. Hover over a node or an edge for its details.</p>\n",
		top);
	report_graph_svg(f, r, top);
	if (r->edges_untracked)
		fprintf(f, "<p class=\"warn\">%" PRIu64 " accesses are counted per reader and "
			"credential but not as edges: more than %d distinct reader/credential "
			"pairs.</p>\n", r->edges_untracked, RPT_MAX_EDGES);
	fputs("</section>\n", f);
}

/* ---- the timeline ---- */

void rpt_reader_name(FILE *f, const struct rpt_ent *e, size_t max)
{
	switch (e->kind) {
	case RPT_K_POD:
		html_text(f, e->ns[0] ? e->ns : "<NA>", max);
		fputc('/', f);
		html_text(f, e->name, max);
		break;
	case RPT_K_HOST:
		html_text(f, e->name, max);
		fputs(" (host)", f);
		break;
	case RPT_K_OVERFLOW:
		fputs("readers not broken down", f);
		break;
	default:
		html_text(f, e->name, max);
		break;
	}
}

static int by_activity(const void *a, const void *b, void *ctx)
{
	const struct report *r = ctx;
	const struct rpt_ent *x = &r->ents[RPT_READER][*(const uint32_t *)a];
	const struct rpt_ent *y = &r->ents[RPT_READER][*(const uint32_t *)b];
	bool fx = x->cross || x->host || x->exec, fy = y->cross || y->host || y->exec;

	if (x->alerts != y->alerts)
		return x->alerts > y->alerts ? -1 : 1;
	if (fx != fy)
		return fx ? -1 : 1;
	if (x->accesses != y->accesses)
		return x->accesses > y->accesses ? -1 : 1;
	return strcmp(x->key, y->key);
}

static void tl_row(FILE *f, const struct report *r, const struct rpt_tl *tl, int row,
		   int b0, int nb, int cw, double scale)
{
	double y = 26 + row * (double)TL_ROW_H;

	fprintf(f, "<rect class=\"row\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"%d\"/>\n",
		TL_LABEL_W, y, nb * cw, TL_ROW_H - 4);
	for (int i = 0; i < nb; i++) {
		uint32_t a = tl->acc[b0 + i], al = tl->alerts[b0 + i], ex = tl->exec[b0 + i];
		uint64_t t0 = r->tl_origin + (uint64_t)(b0 + i) * r->tl_width;
		double h = a ? 2 + (TL_ROW_H - 8) * log(1 + a) * scale : 0;
		int x = TL_LABEL_W + i * cw;

		if (!a && !al)
			continue;
		fprintf(f, "<g><title>from ");
		rpt_put_time(f, t0);
		fputs(": ", f);
		html_num(f, a);
		fputs(a == 1 ? " access" : " accesses", f);
		if (al)
			fprintf(f, ", %u alert%s", al, al == 1 ? "" : "s");
		if (ex)
			fprintf(f, ", %u in exec sessions", ex);
		fputs("</title>", f);
		if (a)
			fprintf(f, "<rect class=\"acc\" x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\"/>",
				x + 1, y + TL_ROW_H - 4 - h, cw - 2, h);
		if (ex)
			fprintf(f, "<rect class=\"ex\" x=\"%d\" y=\"%.0f\" width=\"%d\" height=\"3\"/>",
				x + 1, y + TL_ROW_H - 4, cw - 2);
		if (al)
			fprintf(f, "<circle class=\"al\" cx=\"%d\" cy=\"%.0f\" r=\"3.5\"/>",
				x + cw / 2, y + 4);
		fputs("</g>\n", f);
	}
}

static void timeline_section(FILE *f, const struct report *r)
{
	uint32_t n = r->nents[RPT_READER], shown = 0, *idx = NULL;
	struct rpt_tl rest = { 0 };
	int b0, nb, rows, cw;
	uint32_t peak = 1;
	double scale;

	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n", f);
	if (!r->tl_set) {
		fputs("<p class=\"mut\">No accesses in this period.</p></section>\n", f);
		return;
	}
	idx = calloc(n ? n : 1, sizeof(*idx));
	if (!idx) {
		fputs("<p class=\"warn\">Out of memory.</p></section>\n", f);
		return;
	}
	for (uint32_t i = 0; i < n; i++)
		if (r->ents[RPT_READER][i].tl)
			idx[shown++] = i;
	qsort_r(idx, shown, sizeof(*idx), by_activity, (void *)r);
	for (uint32_t k = TL_ROWS; k < shown; k++)
		for (int i = 0; i < RPT_TL_BUCKETS; i++) {
			rest.acc[i] += r->ents[RPT_READER][idx[k]].tl->acc[i];
			rest.alerts[i] += r->ents[RPT_READER][idx[k]].tl->alerts[i];
			rest.exec[i] += r->ents[RPT_READER][idx[k]].tl->exec[i];
		}
	b0 = report_tl_bucket(r, r->first_ns);
	nb = report_tl_bucket(r, r->last_ns) - b0 + 1;
	for (int i = 0; i < RPT_TL_BUCKETS; i++)
		peak = r->tl_total.acc[i] > peak ? r->tl_total.acc[i] : peak;
	scale = 1 / log(1 + (double)peak);
	rows = 1 + (int)(shown < TL_ROWS ? shown : TL_ROWS) + (shown > TL_ROWS);
	cw = TL_PLOT_W / nb > 48 ? 48 : TL_PLOT_W / nb < 4 ? 4 : TL_PLOT_W / nb;
	fputs("<p class=\"mut\">Accesses per reader over time (bar height: log of the count), "
	      "<span class=\"warn\">alerts as red dots</span>, reads in exec sessions underlined "
	      "in purple. One column is ", f);
	put_duration(f, r->tl_width);
	fputs(".</p>\n", f);
	fprintf(f, "<svg class=\"tl\" width=\"%d\" height=\"%d\" role=\"img\" "
		"aria-label=\"timeline\">\n", TL_LABEL_W + nb * cw + 8, 26 + rows * TL_ROW_H + 24);
	fputs("<text class=\"lbl\" x=\"0\" y=\"40\"><tspan font-weight=\"700\">all readers"
	      "</tspan></text>\n", f);
	tl_row(f, r, &r->tl_total, 0, b0, nb, cw, scale);
	for (uint32_t k = 0; k < shown && k < TL_ROWS; k++) {
		const struct rpt_ent *e = &r->ents[RPT_READER][idx[k]];

		fprintf(f, "<text class=\"lbl\" x=\"0\" y=\"%d\">", 40 + (int)(k + 1) * TL_ROW_H);
		rpt_reader_name(f, e, 34);
		fputs("</text>\n", f);
		tl_row(f, r, e->tl, (int)k + 1, b0, nb, cw, scale);
	}
	if (shown > TL_ROWS) {
		fprintf(f, "<text class=\"lbl\" x=\"0\" y=\"%d\">%u other readers</text>\n",
			40 + (TL_ROWS + 1) * TL_ROW_H, shown - TL_ROWS);
		tl_row(f, r, &rest, TL_ROWS + 1, b0, nb, cw, scale);
	}
	fprintf(f, "<text class=\"axis\" x=\"%d\" y=\"%d\">", TL_LABEL_W, 26 + rows * TL_ROW_H + 14);
	rpt_put_time(f, r->tl_origin + (uint64_t)b0 * r->tl_width);
	fprintf(f, "</text><text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">",
		TL_LABEL_W + nb * cw, 26 + rows * TL_ROW_H + 14);
	rpt_put_time(f, r->tl_origin + (uint64_t)(b0 + nb) * r->tl_width);
	fputs("</text></svg>\n</section>\n", f);
	free(idx);
}

/* ---- nodes and integrity ---- */

static void integrity_section(FILE *f, const struct report *r)
{
	fputs("<section id=\"integrity\"><h2>Nodes and integrity</h2>\n"
	      "<table class=\"nodes\"><tr><th>Node</th><th>Kernel</th><th>Agent</th>"
	      "<th>Files</th><th>Accesses</th><th>Alerts</th><th>Finding lines</th>"
	      "<th>First record</th><th>Last record</th></tr>\n", f);
	for (uint32_t i = 0; i < r->nnodes; i++) {
		const struct rpt_node *n = &r->nodes[i];

		fputs("<tr class=\"node-row\"><td><b>", f);
		html_text(f, n->name, 80);
		fputs("</b></td><td>", f);
		html_text(f, n->kernel, 60);
		fputs("</td><td>", f);
		for (unsigned k = 0; k < n->nagents; k++) {
			fputs(k ? ", " : "", f);
			html_text(f, n->agents[k][0] ? n->agents[k] : "?", 40);
		}
		fputs("</td><td class=\"n\">", f);
		html_num(f, n->files);
		fputs("</td><td class=\"n\">", f);
		html_num(f, n->events);
		fputs("</td><td class=\"n\">", f);
		html_num(f, n->alerts);
		fputs("</td><td class=\"n\">", f);
		html_num(f, n->findings);
		fputs("</td><td><code>", f);
		rpt_put_time(f, n->first_ns);
		fputs("</code></td><td><code>", f);
		rpt_put_time(f, n->last_ns);
		fputs("</code></td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (r->nodes_untracked)
		fprintf(f, "<p class=\"warn\">%" PRIu64 " records of nodes past the first %d are "
			"counted in the totals only.</p>\n", r->nodes_untracked, RPT_MAX_NODES);
	fputs("<h3>Dumps read</h3>\n<table class=\"inputs\"><tr><th>Input</th><th>Status</th>"
	      "<th>Files</th><th>Refused</th><th>Blocks ok</th><th>Damaged blocks</th>"
	      "<th>Truncated files</th><th>Bytes skipped</th><th>Fields of a newer format"
	      "</th></tr>\n", f);
	for (uint32_t i = 0; i < r->ninputs; i++) {
		const struct rpt_input *in = &r->inputs[i];
		const uint64_t v[] = { in->st.files, in->st.files_refused, in->st.blocks_ok,
				       in->st.blocks_damaged, in->st.truncated, in->st.bytes_skipped,
				       in->st.fields_skipped };

		fputs("<tr><td><code>", f);
		html_text_tail(f, in->path, 100);
		fprintf(f, "</code></td><td>%s</td>", in->damaged ? "<b class=\"warn\">DAMAGED</b>"
								  : "ok");
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			fputs("<td class=\"n\">", f);
			html_num(f, v[k]);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n", f);
	if (r->damage_total) {
		fputs("<h3>Damage</h3>\n<pre class=\"damage\">", f);
		for (uint32_t i = 0; i < r->ndamage; i++) {
			html_text(f, r->damage[i], 0);
			fputc('\n', f);
		}
		if (r->damage_total > r->ndamage)
			fprintf(f, "... and %" PRIu64 " more (credwatch-inspect summary lists them "
				"on stderr)\n", r->damage_total - r->ndamage);
		fputs("</pre>\n", f);
	}
	if (r->oom)
		fputs("<p class=\"warn\">Memory ran out while reading: some counts are "
		      "incomplete.</p>\n", f);
	fputs("</section>\n", f);
}

int report_html(FILE *f, const struct report *r, int top)
{
	head(f, r);
	header(f, r);
	cards(f, r);
	graph_section(f, r, top);
	timeline_section(f, r);
	report_alerts_section(f, r);
	report_findings_section(f, r);
	integrity_section(f, r);
	fputs("</main>\n<footer>This page loads nothing from anywhere: no scripts, fonts or "
	      "images. Every name in it comes from the dumps and is shown as text.</footer>\n"
	      "</body>\n</html>\n", f);
	return ferror(f) ? -EIO : 0;
}
