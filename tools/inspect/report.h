/* SPDX-License-Identifier: Apache-2.0 */
/*
 * report.h - the access report (credwatch-inspect report): what its files
 * share.
 *
 *   report.c        the command: arguments, reading the dumps, the output file
 *   report_model.c  aggregation while streaming: one record at a time into
 *                   bounded tables, never a list of events
 *   report_lines.c  the JSON lines a dump carries: alerts by rule, findings
 *                   by id (the latest line of each)
 *   report_graph.c  the access graph: top N and namespace groups, a
 *                   three-column layout with barycenter ordering
 *   report_svg.c    the access graph as SVG
 *   report_html.c   the page: CSP, style, totals, graph and timeline
 *                   sections, nodes and integrity
 *   report_lists.c  the page's lists: alerts by rule, findings and fixes
 *   html.c          escaping of every string that came from a dump
 *
 * The model counts per entity (a reader, a credential, an owner), per
 * reader -> credential edge, per rule, per finding id and per node. Memory
 * grows with the number of distinct entities, not with events, and every
 * table has a cap (RPT_MAX_*): past it, new entities of that kind are
 * counted in one "not broken down" entity per column, so totals stay exact.
 */
#ifndef CW_REPORT_H
#define CW_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rmap.h"
#include "user/dump.h"

#define RPT_TL_BUCKETS	96	/* timeline columns; their width grows to fit */
#define RPT_MAX_ENTS	50000	/* entities per column */
#define RPT_MAX_EDGES	200000
#define RPT_MAX_RULES	256
#define RPT_MAX_FINDINGS 5000
#define RPT_FIX_MAX	8192	/* bytes kept of a fix (YAML, command) */
#define RPT_MAX_NODES	1024
#define RPT_MAX_AGENTS	4	/* agent versions listed per node */
#define RPT_SAMPLES	50	/* alert events listed per rule: the earliest */
#define RPT_MAX_DAMAGE	50	/* damage lines listed */
#define RPT_STR_MAX	600	/* bytes kept of a long string (argv, output) */

enum rpt_col { RPT_READER, RPT_CRED, RPT_OWNER, RPT_NCOLS };

enum rpt_kind {
	RPT_K_POD,		/* reader or owner: namespace/pod */
	RPT_K_HOST,		/* reader: a host process (by executable) */
	RPT_K_CONTAINER,	/* reader: a container the pod of which is not known */
	RPT_K_NODE,		/* owner of host credentials: the node */
	RPT_K_CRED,		/* a credential file on a node */
	RPT_K_OVERFLOW,		/* everything past RPT_MAX_ENTS */
};

/* Edge flags: what makes a reader -> credential edge worth a look. */
#define RPT_F_CROSS	1u	/* a pod read another pod's credential */
#define RPT_F_HOST	2u	/* a host process read a pod's credential */
#define RPT_F_EXEC	4u	/* read in an interactive exec session */
#define RPT_F_ALERT	8u	/* raised an alert */

struct rpt_tl {
	uint32_t acc[RPT_TL_BUCKETS], alerts[RPT_TL_BUCKETS], exec[RPT_TL_BUCKETS];
};

struct rpt_ent {
	char *key;		/* identity within its column */
	char *name;		/* pod name, process name, path, node name */
	char *ns;		/* namespace ("" when none) */
	char *node;		/* the node it was seen on */
	bool nodes_many;	/* seen on more than one node (node: the first) */
	char *detail;		/* executable, credential kind, container id */
	enum rpt_kind kind;
	uint32_t owner;		/* credentials: the owner's index */
	uint64_t accesses, alerts, exec, cross, host;
	uint64_t first_ns, last_ns;
	struct rpt_tl *tl;	/* readers: accesses over time */
};

struct rpt_edge {
	uint32_t reader, cred;
	unsigned flags;		/* RPT_F_* */
	uint64_t accesses, alerts, exec;
};

/* One alert, as listed under its rule. */
struct rpt_sample {
	uint64_t time_ns;
	uint32_t reader, cred;	/* UINT32_MAX: the alert carried no event */
	bool exec;
	char *node, *proc, *cmdline, *output;
};

struct rpt_rule {
	char *key;		/* name and priority: what the rule table keys on */
	char *name, *priority;
	uint64_t count, first_ns, last_ns;
	struct rpt_sample samples[RPT_SAMPLES];
	unsigned nsamples;
};

/* The latest line of one finding id (docs/findings.md). */
struct rpt_finding {
	char *id, *type, *severity, *status, *node, *ns, *pod, *path, *cred_kind;
	char *summary, *yaml, *command, *because, *first_seen, *last_seen;
	uint64_t lines, recorded_ns;
};

struct rpt_node {
	char *name, *kernel;
	char *agents[RPT_MAX_AGENTS];
	unsigned nagents;
	uint64_t files, events, alerts, findings, first_ns, last_ns;
	char *last_file;	/* to count the files its records came from */
};

struct rpt_input {
	char *path;
	struct dump_reader_stats st;
	bool damaged;
};

struct report {
	struct rpt_ent *ents[RPT_NCOLS];
	uint32_t nents[RPT_NCOLS], ents_cap[RPT_NCOLS];
	uint32_t overflow[RPT_NCOLS];	/* index of the column's overflow entity, or UINT32_MAX */
	struct rmap ent_map[RPT_NCOLS];
	struct rpt_edge *edges;
	uint32_t nedges, edges_cap;
	struct rmap edge_map;
	uint64_t edges_untracked;	/* accesses past RPT_MAX_EDGES */

	struct rpt_rule *rules;
	uint32_t nrules, rules_cap;
	struct rmap rule_map;
	uint64_t alerts_other_rules;	/* alerts past RPT_MAX_RULES */
	uint64_t alerts_unparsable;

	struct rpt_finding *findings;
	uint32_t nfindings, findings_cap;
	struct rmap finding_map;
	uint64_t finding_lines, findings_unparsable, findings_untracked;

	struct rpt_node *nodes;
	uint32_t nnodes, nodes_cap, last_node;
	uint64_t nodes_untracked;	/* records of nodes past RPT_MAX_NODES */

	struct rpt_input *inputs;
	uint32_t ninputs;
	char *damage[RPT_MAX_DAMAGE];
	uint32_t ndamage;
	uint64_t damage_total;

	/* the timeline: bucket i covers [origin + i*width, origin + (i+1)*width) */
	uint64_t tl_origin, tl_width;
	bool tl_set;
	struct rpt_tl tl_total;

	uint64_t events, alerts, first_ns, last_ns;
	uint64_t cross, host, exec;	/* accesses */
	uint64_t since_ns, until_ns;	/* what was asked for (0: unbounded) */
	uint64_t generated_ns;
	bool oom;
};

/* ---- report_model.c ---- */

/* A report for these inputs: 0 or -ENOMEM, *out NULL on error. */
int report_new(struct report **out, char *const *inputs, int ninputs);
void report_free(struct report *r);

/* Count one record of input i. Never fails: out of memory sets r->oom. */
void report_add(struct report *r, const struct dump_item *it);

/* Keep a damage line (file, offset, what) for the integrity section. */
void report_damage(struct report *r, const char *file, uint64_t offset, const char *what);

/* Bucket index of t in the timeline as it is now (t within the range seen). */
int report_tl_bucket(const struct report *r, uint64_t t);

/* Sort findings (open first, by severity), rules (by priority), nodes (by name). */
void report_finish(struct report *r);

/* ---- report_lines.c ---- */

/* Count an alert line; t is what its event touched (NULL: it had none). */
struct rpt_touch {
	uint32_t reader, cred, owner, edge;
	unsigned flags;		/* RPT_F_* */
};
void report_add_alert(struct report *r, const struct dump_item *it, const struct rpt_touch *t);
void report_add_finding(struct report *r, const struct dump_item *it);
void report_free_lines(struct report *r);
/* Sort findings (open first, by severity) and rules (by priority). */
void report_sort_lines(struct report *r);

/* A copy of s cut to at most max bytes at a character boundary, marked "…". */
char *rpt_dup_cut(const char *s, size_t max);
/* Widen [*first, *last] to hold t (0 is "not set"). */
void rpt_span(uint64_t *first, uint64_t *last, uint64_t t);
/* Grow an array to hold need elements; NULL (p untouched) on failure. */
void *rpt_grow(void *p, uint32_t *cap, uint32_t need, size_t elem);

/* 0 for Emergency .. 7 for Debug, 8 for anything else. */
int rpt_priority_rank(const char *priority);
/* 0 critical .. 3 low, 4 anything else. */
int rpt_severity_rank(const char *severity);

/* ---- report_svg.c (with report_graph.c) ---- */

/*
 * report_graph_svg - the access graph as one <svg> element: at most top
 * entities per column are drawn on their own, the rest as one node per
 * namespace (or node) group, and past a few groups one "N more" node.
 */
void report_graph_svg(FILE *f, const struct report *r, int top);

/* ---- report_lists.c ---- */

void report_alerts_section(FILE *f, const struct report *r);
void report_findings_section(FILE *f, const struct report *r);

/* ---- report_html.c ---- */

/* A time as RFC 3339 UTC with microseconds, "-" for 0. */
void rpt_put_time(FILE *f, uint64_t ns);
/* A reader on one line: namespace/pod, or process (host); escaped. */
void rpt_reader_name(FILE *f, const struct rpt_ent *e, size_t max_chars);
/* A pod as "namespace/name" (<NA> for no namespace), escaped: every place a pod is named. */
void rpt_pod_name(FILE *f, const struct rpt_ent *e, size_t max_chars);

/* The whole page. Returns 0, or -EIO when f reported a write error. */
int report_html(FILE *f, const struct report *r, int top);

#endif /* CW_REPORT_H */
