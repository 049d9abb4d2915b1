// SPDX-License-Identifier: Apache-2.0
/*
 * report_lists.c - the page's lists: alerts by rule and priority, each rule
 * with the alerts it raised (the target of the rule table's links), and the
 * findings: open ones with their fix as YAML and as a command, and those
 * resolved in the period. Every string is a dump's and goes through html.c.
 */
#include <inttypes.h>
#include <string.h>

#include "html.h"
#include "report.h"

#define CMD_CHARS	120	/* command line characters shown in a table cell */
#define OUTPUT_CHARS	160	/* rule output characters shown (all in its tooltip) */

/* ---- alerts ---- */

static void priority_badge(FILE *f, const char *priority)
{
	fprintf(f, "<span class=\"pri p%d\">", rpt_priority_rank(priority));
	html_text(f, priority[0] ? priority : "?", 16);
	fputs("</span>", f);
}

static void rule_id(const struct rpt_rule *ru, char id[HTML_ID_LEN])
{
	html_id("rule-", ru->key, strlen(ru->key), id);
}

static void alert_row(FILE *f, const struct report *r, const struct rpt_sample *s)
{
	const struct rpt_ent *rd = s->reader != RMAP_NONE ? &r->ents[RPT_READER][s->reader] : NULL;
	const struct rpt_ent *cr = s->cred != RMAP_NONE ? &r->ents[RPT_CRED][s->cred] : NULL;
	const struct rpt_ent *ow = cr && cr->owner != RMAP_NONE ? &r->ents[RPT_OWNER][cr->owner]
								: NULL;

	fputs("<tr><td class=\"t\"><code>", f);
	rpt_put_time(f, s->time_ns);
	fputs("</code></td><td>", f);
	html_text(f, s->node, 40);
	fputs("</td><td>", f);
	if (rd)
		rpt_reader_name(f, rd, 60);
	fputs("</td><td>", f);
	html_text(f, s->proc, 40);
	fputs("</td><td title=\"", f);
	html_text(f, s->cmdline, 0);
	fputs("\"><code>", f);
	html_text(f, s->cmdline, CMD_CHARS);
	fputs("</code></td><td title=\"", f);
	html_text(f, cr ? cr->name : "", 0);
	fputs("\"><code>", f);
	html_text_tail(f, cr ? cr->name : "", 60);
	fputs("</code></td><td>", f);
	if (ow && ow->kind == RPT_K_POD) {
		html_text(f, ow->ns, 60);
		fputc('/', f);
		html_text(f, ow->name, 60);
	} else if (ow) {
		fputs("host (node ", f);
		html_text(f, ow->name, 60);
		fputc(')', f);
	}
	fprintf(f, "</td><td class=\"t\">%s</td><td class=\"out\" title=\"", s->exec ?
		"<b class=\"exec-session\">exec</b>" : "");
	html_text(f, s->output, 0);
	fputs("\">", f);
	html_text(f, s->output, OUTPUT_CHARS);
	fputs("</td></tr>\n", f);
}

void report_alerts_section(FILE *f, const struct report *r)
{
	char id[HTML_ID_LEN];

	fputs("<section id=\"alerts\"><h2>Alerts by rule and priority</h2>\n", f);
	if (!r->alerts) {
		fputs("<p class=\"mut\">No alerts in this period.</p></section>\n", f);
		return;
	}
	fputs("<table class=\"rules\"><tr><th>Priority</th><th>Rule</th><th>Alerts</th>"
	      "<th>First</th><th>Last</th><th></th></tr>\n", f);
	for (uint32_t i = 0; i < r->nrules; i++) {
		const struct rpt_rule *ru = &r->rules[i];

		fputs("<tr><td>", f);
		priority_badge(f, ru->priority);
		fputs("</td><td>", f);
		html_text(f, ru->name[0] ? ru->name : "(no rule name)", 120);
		fputs("</td><td class=\"n\">", f);
		html_num(f, ru->count);
		fputs("</td><td><code>", f);
		rpt_put_time(f, ru->first_ns);
		fputs("</code></td><td><code>", f);
		rpt_put_time(f, ru->last_ns);
		rule_id(ru, id);
		fprintf(f, "</code></td><td><a href=\"#%s\">events</a></td></tr>\n", id);
	}
	fputs("</table>\n", f);
	if (r->alerts_other_rules || r->alerts_unparsable)
		fprintf(f, "<p class=\"warn\">%" PRIu64 " alerts of rules past the first %d and %"
			PRIu64 " alert lines that are not JSON objects are counted but not listed."
			"</p>\n", r->alerts_other_rules, RPT_MAX_RULES, r->alerts_unparsable);
	for (uint32_t i = 0; i < r->nrules; i++) {
		const struct rpt_rule *ru = &r->rules[i];

		rule_id(ru, id);
		fprintf(f, "<div class=\"rule\" id=\"%s\"><h3>", id);
		priority_badge(f, ru->priority);
		fputc(' ', f);
		html_text(f, ru->name[0] ? ru->name : "(no rule name)", 0);
		fputs(" <span class=\"mut\">(", f);
		html_num(f, ru->count);
		fputs(")</span></h3>\n<table class=\"ev\"><tr><th>Time</th><th>Node</th><th>Reader</th>"
		      "<th>Process</th><th>Command line</th><th>Credential</th><th>Owner</th>"
		      "<th>Exec</th><th>Rule output</th></tr>\n", f);
		for (unsigned k = 0; k < ru->nsamples; k++)
			alert_row(f, r, &ru->samples[k]);
		fputs("</table>\n", f);
		if (ru->count > ru->nsamples) {
			fprintf(f, "<p class=\"mut\">The first %u of ", ru->nsamples);
			html_num(f, ru->count);
			fputs(" are listed; <code>credwatch-inspect alerts DIR</code> prints every "
			      "one.</p>\n", f);
		}
		fputs("</div>\n", f);
	}
	fputs("</section>\n", f);
}

/* ---- findings ---- */

static void finding_where(FILE *f, const struct rpt_finding *x)
{
	if (x->pod[0]) {
		html_text(f, x->ns[0] ? x->ns : "<NA>", 80);
		fputc('/', f);
		html_text(f, x->pod, 80);
	} else {
		html_text_tail(f, x->path[0] ? x->path : "-", 100);
	}
}

static void finding_open(FILE *f, const struct rpt_finding *x)
{
	char id[HTML_ID_LEN];
	int sev = rpt_severity_rank(x->severity);

	fprintf(f, "<article class=\"finding f%d\" id=\"%s\"><h3><span class=\"sev s%d\">", sev,
		html_id("finding-", x->id, strlen(x->id), id), sev);
	html_text(f, x->severity[0] ? x->severity : "?", 16);
	fputs("</span> ", f);
	html_text(f, x->type[0] ? x->type : "?", 60);
	fputs(": ", f);
	finding_where(f, x);
	fputs("</h3>\n<p>", f);
	html_text(f, x->summary, 0);
	fputs("</p>\n<p class=\"mut\">node ", f);
	html_text(f, x->node[0] ? x->node : "-", 60);
	fputs(" \xc2\xb7 first seen ", f);
	html_text(f, x->first_seen[0] ? x->first_seen : "-", 40);
	fputs(" \xc2\xb7 last seen ", f);
	html_text(f, x->last_seen[0] ? x->last_seen : "-", 40);
	fputs(" \xc2\xb7 <code>", f);
	html_text(f, x->id, 40);
	fputs("</code>", f);
	if (x->pod[0] && x->path[0]) {
		fputs(" \xc2\xb7 <code>", f);
		html_text_tail(f, x->path, 100);
		fputs("</code>", f);
	}
	fputs("</p>\n", f);
	if (x->yaml[0]) {
		fputs("<h4>Fix (YAML)</h4><pre class=\"fix-yaml\">", f);
		html_pre(f, x->yaml, 0);
		fputs("</pre>\n", f);
	}
	if (x->command[0]) {
		fputs("<h4>Fix (command)</h4><pre class=\"fix-command\">", f);
		html_pre(f, x->command, 0);
		fputs("</pre>\n", f);
	}
	fputs("</article>\n", f);
}

void report_findings_section(FILE *f, const struct report *r)
{
	uint64_t open = 0, resolved = 0, other = 0;

	for (uint32_t i = 0; i < r->nfindings; i++) {
		const char *st = r->findings[i].status;

		open += !strcmp(st, "open");
		resolved += !strcmp(st, "resolved");
	}
	other = r->nfindings - open - resolved;
	fputs("<section id=\"findings\"><h2>Findings</h2>\n", f);
	if (!r->finding_lines) {
		fputs("<p class=\"mut\">No finding lines were recorded (the agent records them "
		      "when it runs with both <code>--findings</code> and <code>--dump</code>)."
		      "</p></section>\n", f);
		return;
	}
	fprintf(f, "<p>%" PRIu64 " open, %" PRIu64 " resolved in this period", open, resolved);
	if (other)
		fprintf(f, ", %" PRIu64 " with another status", other);
	fprintf(f, " (the latest of %" PRIu64 " finding lines for each finding).</p>\n",
		r->finding_lines);
	fputs("<h3>Open: what to fix</h3>\n", f);
	if (!open)
		fputs("<p class=\"mut\">None.</p>\n", f);
	for (uint32_t i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].status, "open"))
			finding_open(f, &r->findings[i]);
	fputs("<h3>Resolved in this period</h3>\n", f);
	if (!resolved && !other) {
		fputs("<p class=\"mut\">None.</p>\n", f);
	} else {
		fputs("<table class=\"resolved\"><tr><th>Status</th><th>Severity</th><th>Type</th>"
		      "<th>Resource</th><th>Node</th><th>Why</th><th>First seen</th>"
		      "<th>Last seen</th></tr>\n", f);
		for (uint32_t i = 0; i < r->nfindings; i++) {
			const struct rpt_finding *x = &r->findings[i];

			if (!strcmp(x->status, "open"))
				continue;
			fputs("<tr><td>", f);
			html_text(f, x->status[0] ? x->status : "?", 20);
			fputs("</td><td>", f);
			html_text(f, x->severity, 20);
			fputs("</td><td>", f);
			html_text(f, x->type, 60);
			fputs("</td><td>", f);
			finding_where(f, x);
			fputs("</td><td>", f);
			html_text(f, x->node, 60);
			fputs("</td><td>", f);
			html_text(f, x->because, 200);
			fputs("</td><td>", f);
			html_text(f, x->first_seen, 40);
			fputs("</td><td>", f);
			html_text(f, x->last_seen, 40);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (r->findings_unparsable || r->findings_untracked)
		fprintf(f, "<p class=\"warn\">%" PRIu64 " finding lines are not JSON objects and %"
			PRIu64 " findings past the first %d are not listed.</p>\n",
			r->findings_unparsable, r->findings_untracked, RPT_MAX_FINDINGS);
	fputs("</section>\n", f);
}

