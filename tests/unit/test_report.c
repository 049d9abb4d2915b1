// SPDX-License-Identifier: Apache-2.0
/*
 * test_report.c - credwatch-inspect report: the escaping every dump string
 * goes through (html.c), SHA-256 for the CSP hash and ids, the streaming
 * model (flags, counts, timeline merges, latest finding, table caps) and
 * the graph's aggregation of a 5,000-pod node; a page built from hostile
 * names holds no tag or attribute the writer did not write itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "tools/inspect/html.h"
#include "tools/inspect/report.h"
#include "tools/inspect/sha256.h"
#include "user/fields.h"

#define T0 1700000000000000000ull

/* ---- helpers ---- */

struct mem {
	char *buf;
	size_t len;
	FILE *f;
};

static FILE *mem_open(struct mem *m)
{
	memset(m, 0, sizeof(*m));
	m->f = open_memstream(&m->buf, &m->len);
	assert_non_null(m->f);
	return m->f;
}

/* Close the stream; m->buf holds the NUL-terminated output (free it). */
static char *mem_close(struct mem *m)
{
	assert_int_equal(fclose(m->f), 0);
	return m->buf;
}

static char *esc(const char *s, size_t max)
{
	struct mem m;

	html_text(mem_open(&m), s, max);
	return mem_close(&m);
}

static void assert_esc(const char *in, size_t max, const char *want)
{
	char *got = esc(in, max);

	assert_string_equal(got, want);
	free(got);
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static struct dump_file_info node_a = { .path = "/d/a.cwd", .version = 1, .hostname = "node-a",
					.kernel = "6.1.0", .agent_version = "0.1.0" };
static struct dump_file_info node_b = { .path = "/d/b.cwd", .version = 1, .hostname = "node-b",
					.kernel = "6.12.0", .agent_version = "0.2.0" };

/* A record: reader pod (ns/pod or NULL: a host process exe), owner pod (NULL: host file). */
static void make_rec(struct cw_record *rec, const char *rns, const char *rpod, const char *exe,
		     const char *ons, const char *opod, const char *path, bool exec)
{
	record_reset(rec);
	field_set_str(rec, CW_F_PROC_NAME, 0, "cat");
	field_set_str(rec, CW_F_PROC_EXEPATH, 0, exe ? exe : "/bin/cat");
	field_set_str(rec, CW_F_PROC_CMDLINE, 0, "cat token");
	field_set_str(rec, CW_F_CONTAINER_ID, 0, rpod ? "c0ffee" : "host");
	if (rpod) {
		field_set_str(rec, CW_F_K8S_NS_NAME, 0, rns);
		field_set_str(rec, CW_F_K8S_POD_NAME, 0, rpod);
	}
	if (opod) {
		field_set_str(rec, CW_F_CRED_OWNER_NS, 0, ons);
		field_set_str(rec, CW_F_CRED_OWNER_POD, 0, opod);
	}
	field_set_str(rec, CW_F_CRED_KIND, 0, opod ? "sa_token" : "kubeconfig");
	field_set_str(rec, CW_F_CRED_PATH, 0, path);
	if (rpod && opod)
		field_set_u64(rec, CW_F_CRED_SAME_POD, 0, !strcmp(rns, ons) && !strcmp(rpod, opod));
	field_set_u64(rec, CW_F_PROC_IS_EXEC_SESSION, 0, exec);
}

static void add_event(struct report *r, struct dump_file_info *fi, const struct cw_record *rec,
		      uint64_t t)
{
	struct dump_item it = { .type = DUMP_REC_EVENT, .time_ns = t, .rec = rec, .file = fi };

	report_add(r, &it);
}

static void add_alert(struct report *r, const struct cw_record *rec, uint64_t t, const char *json)
{
	struct dump_item it = { .type = DUMP_REC_ALERT, .time_ns = t, .rec = rec, .file = &node_a,
				.alert_json = json, .alert_len = strlen(json) };

	report_add(r, &it);
}

static void add_finding(struct report *r, uint64_t t, const char *json)
{
	struct dump_item it = { .type = DUMP_REC_FINDING, .time_ns = t, .file = &node_a,
				.finding_json = json, .finding_len = strlen(json) };

	report_add(r, &it);
}

static struct report *new_report(void)
{
	char *in[] = { "dump/" };
	struct report *r = NULL;

	assert_int_equal(report_new(&r, in, 1), 0);
	assert_non_null(r);
	return r;
}

static uint32_t find_ent(const struct report *r, enum rpt_col col, const char *key)
{
	for (uint32_t i = 0; i < r->nents[col]; i++)
		if (!strcmp(r->ents[col][i].key, key))
			return i;
	fail_msg("no entity %s", key);
	return 0;
}

/* ---- sha256, base64, ids ---- */

static void test_sha256_known_answers(void **state)
{
	static const struct { const char *in; size_t reps; const char *b64; } v[] = {
		{ "", 1, "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=" },
		{ "abc", 1, "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=" },
		/* 56 bytes: the length no longer fits the first padded block */
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
		  "JI1qYdIGOLjlwCaTDD5gOaM85Flk/yFn9uzt1BnbBsE=" },
		{ "a", 1000, "Qe3s5C1j6Nm/UVqbppMuHCDLyfWl0TRkWttdsblzfqM=" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = strlen(v[i].in) * v[i].reps;
		char *buf = malloc(n + 1), b64[64];
		uint8_t h[SHA256_LEN];

		for (size_t k = 0; k < v[i].reps; k++)
			memcpy(buf + k * strlen(v[i].in), v[i].in, strlen(v[i].in));
		sha256(buf, n, h);
		base64_encode(h, sizeof(h), b64);
		assert_string_equal(b64, v[i].b64);
		free(buf);
	}
}

static void test_base64_pads_every_length(void **state)
{
	char out[16];

	base64_encode((const uint8_t *)"f", 1, out);
	assert_string_equal(out, "Zg==");
	base64_encode((const uint8_t *)"fo", 2, out);
	assert_string_equal(out, "Zm8=");
	base64_encode((const uint8_t *)"foo", 3, out);
	assert_string_equal(out, "Zm9v");
	base64_encode((const uint8_t *)"", 0, out);
	assert_string_equal(out, "");
}

static void test_html_id_is_a_hash_never_the_name(void **state)
{
	const char *evil = "\"><script>alert(1)</script>";
	char a[HTML_ID_LEN], b[HTML_ID_LEN];

	html_id("rule-", evil, strlen(evil), a);
	assert_int_equal(strlen(a), strlen("rule-") + 16);
	assert_memory_equal(a, "rule-", 5);
	for (const char *p = a + 5; *p; p++)
		assert_true((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'));
	html_id("rule-", evil, strlen(evil), b);
	assert_string_equal(a, b);		/* stable: links survive a new report */
	html_id("rule-", "x", 1, b);
	assert_string_not_equal(a, b);
	html_id("a-very-long-prefix-indeed-", "x", 1, b);	/* a long prefix is cut, not overflowed */
	assert_true(strlen(b) < HTML_ID_LEN);
}

/* ---- escaping ---- */

static void test_html_escapes_markup_characters(void **state)
{
	assert_esc("<svg onload=alert(1)>", 0, "&lt;svg onload=alert(1)&gt;");
	assert_esc("\"><script>alert(1)</script>", 0,
		   "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
	assert_esc("a'b&c", 0, "a&#39;b&amp;c");
	assert_esc("&lt;", 0, "&amp;lt;");	/* an entity in a name stays text */
	assert_esc("", 0, "");
}

static void test_html_shows_controls_and_bad_utf8(void **state)
{
	assert_esc("a\nb\tc\rd\x1b[31m\x7f", 0, "a\\nb\\tc\\rd\\x1b[31m\\x7f");
	assert_esc("bad\xff\xfe|\xc3(|\xed\xa0\x80", 0, "bad\\xff\\xfe|\\xc3(|\\xed\\xa0\\x80");
	/* C1 CSI, bidi override, zero-width space, BOM, line separator */
	assert_esc("\xc2\x9b|\xe2\x80\xae|\xe2\x80\x8b|\xef\xbb\xbf|\xe2\x80\xa8", 0,
		   "\\u009b|\\u202e|\\u200b|\\ufeff|\\u2028");
	/* ordinary UTF-8 passes */
	assert_esc("t\xc3\xa9st \xe2\x82\xac \xf0\x9f\x94\x91", 0, "t\xc3\xa9st \xe2\x82\xac \xf0\x9f\x94\x91");
}

static void test_html_cuts_at_characters(void **state)
{
	assert_esc("abcdef", 3, "abc\xe2\x80\xa6");
	assert_esc("abc", 3, "abc");
	/* a cut never splits a multi-byte character or an entity */
	assert_esc("\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xc3\xa9\xe2\x80\xa6");
	assert_esc("<<<<", 2, "&lt;&lt;\xe2\x80\xa6");
}

static void test_html_tail_keeps_the_end(void **state)
{
	struct mem m;
	char *out;

	html_text_tail(mem_open(&m), "/var/lib/kubelet/pods/x/token", 8);
	out = mem_close(&m);
	assert_string_equal(out, "\xe2\x80\xa6x/token");
	free(out);
	html_text_tail(mem_open(&m), "/a/<b>", 0);
	out = mem_close(&m);
	assert_string_equal(out, "/a/&lt;b&gt;");
	free(out);
}

static void test_html_pre_keeps_lines_only(void **state)
{
	struct mem m;
	char *out;

	html_pre(mem_open(&m), "spec:\n\tautomount: false\n</pre><script>\x1b", 0);
	out = mem_close(&m);
	assert_string_equal(out, "spec:\n\tautomount: false\n&lt;/pre&gt;&lt;script&gt;\\x1b");
	free(out);
}

static void test_html_num_groups_thousands(void **state)
{
	struct mem m;
	char *out;
	FILE *f = mem_open(&m);

	html_num(f, 0);
	fputc(' ', f);
	html_num(f, 999);
	fputc(' ', f);
	html_num(f, 1234567);
	out = mem_close(&m);
	assert_string_equal(out, "0 999 1,234,567");
	free(out);
}

/* ---- the model ---- */

static void test_model_flags_cross_pod_host_and_exec(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;
	uint32_t web, host, edge_cross = UINT32_MAX, edge_own = UINT32_MAX;

	make_rec(&rec, "team-a", "web", NULL, "team-b", "db", "/pods/db/token", false);
	add_event(r, &node_a, &rec, T0);
	add_event(r, &node_a, &rec, T0 + 1);
	make_rec(&rec, "team-a", "web", NULL, "team-a", "web", "/pods/web/token", true);
	add_event(r, &node_a, &rec, T0 + 2);
	make_rec(&rec, NULL, NULL, "/usr/bin/sh", "team-b", "db", "/pods/db/token", false);
	add_event(r, &node_a, &rec, T0 + 3);
	make_rec(&rec, NULL, NULL, "/usr/bin/sh", NULL, NULL, "/etc/kubernetes/admin.conf", false);
	add_event(r, &node_a, &rec, T0 + 4);

	assert_int_equal(r->events, 5);
	assert_int_equal(r->cross, 2);
	assert_int_equal(r->host, 1);	/* the admin.conf read is a host file: not host-to-pod */
	assert_int_equal(r->exec, 1);
	web = find_ent(r, RPT_READER, "p:team-a/web");
	host = find_ent(r, RPT_READER, "h:node-a\t/usr/bin/sh");
	assert_int_equal(r->ents[RPT_READER][web].accesses, 3);
	assert_int_equal(r->ents[RPT_READER][web].cross, 2);
	assert_int_equal(r->ents[RPT_READER][web].exec, 1);
	assert_int_equal(r->ents[RPT_READER][host].kind, RPT_K_HOST);
	for (uint32_t i = 0; i < r->nedges; i++) {
		const struct rpt_edge *e = &r->edges[i];
		const char *cred = r->ents[RPT_CRED][e->cred].name;

		if (e->reader == web && !strcmp(cred, "/pods/db/token"))
			edge_cross = i;
		if (e->reader == web && !strcmp(cred, "/pods/web/token"))
			edge_own = i;
	}
	assert_int_not_equal(edge_cross, UINT32_MAX);
	assert_int_equal(r->edges[edge_cross].accesses, 2);
	assert_int_equal(r->edges[edge_cross].flags, RPT_F_CROSS);
	assert_int_equal(r->edges[edge_own].flags, RPT_F_EXEC);	/* its own token: not cross */
	/* host credentials belong to the node */
	assert_int_equal(r->ents[RPT_OWNER][find_ent(r, RPT_OWNER, "n:node-a")].kind, RPT_K_NODE);
	assert_int_equal(r->nnodes, 1);
	assert_int_equal(r->nodes[0].events, 5);
	report_free(r);
}

static void test_model_counts_alerts_by_rule_and_sorts_by_priority(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;

	make_rec(&rec, "team-a", "web", NULL, "team-b", "db", "/pods/db/token", false);
	add_event(r, &node_a, &rec, T0);
	add_alert(r, &rec, T0, "{\"rule\":\"Noisy\",\"priority\":\"Notice\",\"output\":\"n\"}");
	add_alert(r, &rec, T0, "{\"rule\":\"Noisy\",\"priority\":\"Notice\",\"output\":\"n\"}");
	add_alert(r, &rec, T0, "{\"rule\":\"Theft\",\"priority\":\"Critical\",\"output\":\"<b>x\"}");
	add_alert(r, NULL, T0, "{\"rule\":\"Theft\",\"priority\":\"Critical\"}");
	add_alert(r, &rec, T0, "not json");
	report_finish(r);
	assert_int_equal(r->alerts, 5);
	assert_int_equal(r->alerts_unparsable, 1);
	assert_int_equal(r->nrules, 2);
	assert_string_equal(r->rules[0].name, "Theft");	/* Critical before Notice */
	assert_int_equal(r->rules[0].count, 2);
	assert_int_equal(r->rules[0].nsamples, 2);
	/* same time: ordered by what they say, the one without an event (no process) first */
	assert_int_equal(r->rules[0].samples[0].reader, RMAP_NONE);
	assert_string_equal(r->rules[0].samples[1].output, "<b>x");	/* raw: escaped when shown */
	assert_int_equal(r->rules[1].count, 2);
	assert_int_equal(rpt_priority_rank("critical"), 2);
	assert_int_equal(rpt_priority_rank("Info"), 6);
	assert_int_equal(rpt_priority_rank("bogus"), 8);
	/* alerts count on the edge, not as accesses */
	assert_int_equal(r->edges[0].accesses, 1);
	assert_int_equal(r->edges[0].alerts, 4);	/* an unparsable alert line too */
	assert_true(r->edges[0].flags & RPT_F_ALERT);
	report_free(r);
}

static void test_rule_lists_the_earliest_alerts_in_any_order(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;
	char json[128];

	make_rec(&rec, "team-a", "web", NULL, "team-b", "db", "/pods/db/token", false);
	for (int i = RPT_SAMPLES * 3; i > 0; i--) {	/* latest first */
		snprintf(json, sizeof(json), "{\"rule\":\"R\",\"priority\":\"Error\","
			 "\"output\":\"%d\"}", i);
		add_alert(r, &rec, T0 + (uint64_t)i, json);
	}
	report_finish(r);
	assert_int_equal(r->rules[0].count, RPT_SAMPLES * 3);
	assert_int_equal(r->rules[0].nsamples, RPT_SAMPLES);
	for (unsigned k = 0; k < RPT_SAMPLES; k++)
		assert_int_equal(r->rules[0].samples[k].time_ns, T0 + k + 1);
	report_free(r);
}

static void test_model_keeps_the_latest_line_of_each_finding(void **state)
{
	struct report *r = new_report();

	add_finding(r, T0, "{\"id\":\"cwf-1\",\"type\":\"unused_sa_token\",\"severity\":\"low\","
		    "\"status\":\"open\",\"resource\":{\"namespace\":\"team-b\",\"pod\":\"cache\"},"
		    "\"recommendation\":{\"summary\":\"s\",\"yaml\":\"spec:\\n  a: b\\n\","
		    "\"command\":\"kubectl x\"}}");
	add_finding(r, T0 + 1, "{\"id\":\"cwf-2\",\"type\":\"exposed_host_credential\","
		    "\"severity\":\"high\",\"status\":\"open\",\"resource\":{\"path\":\"/r/.kube\"}}");
	add_finding(r, T0 + 2, "{\"id\":\"cwf-2\",\"type\":\"exposed_host_credential\","
		    "\"severity\":\"high\",\"status\":\"resolved\",\"resource\":{\"path\":\"/r/.kube\"},"
		    "\"evidence\":{\"resolved_because\":\"mode fixed\"},\"recommendation\":null}");
	add_finding(r, T0 + 3, "[1,2]");
	report_finish(r);
	assert_int_equal(r->finding_lines, 4);
	assert_int_equal(r->findings_unparsable, 1);
	assert_int_equal(r->nfindings, 2);
	assert_string_equal(r->findings[0].id, "cwf-1");	/* open first */
	assert_string_equal(r->findings[0].yaml, "spec:\n  a: b\n");
	assert_string_equal(r->findings[0].command, "kubectl x");
	assert_string_equal(r->findings[1].status, "resolved");
	assert_string_equal(r->findings[1].because, "mode fixed");
	assert_int_equal(r->findings[1].lines, 2);
	assert_int_equal(r->nodes[0].findings, 4);
	report_free(r);
}

static uint64_t tl_sum(const struct rpt_tl *tl)
{
	uint64_t n = 0;

	for (int i = 0; i < RPT_TL_BUCKETS; i++)
		n += tl->acc[i];
	return n;
}

static void test_timeline_merges_whole_columns_in_any_order(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;
	uint64_t times[] = { T0 + 5000000000ull, T0, T0 + 3600000000000ull, T0 - 86400000000000ull,
			     T0 + 1 };

	make_rec(&rec, "team-a", "web", NULL, "team-a", "web", "/pods/web/token", false);
	add_event(r, &node_a, &rec, times[0]);
	assert_int_equal(r->tl_width, 10000000ull);	/* starts at 10 ms */
	for (size_t i = 1; i < sizeof(times) / sizeof(times[0]); i++)
		add_event(r, &node_b, &rec, times[i]);
	/* a day and an hour in 96 columns: 20 min each, aligned to the width */
	assert_int_equal(r->tl_width, 1200000000000ull);
	assert_int_equal(r->tl_origin % r->tl_width, 0);
	assert_int_equal(tl_sum(&r->tl_total), 5);
	assert_int_equal(tl_sum(r->ents[RPT_READER][0].tl), 5);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		int b = report_tl_bucket(r, times[i]);

		assert_true(r->tl_total.acc[b] >= 1);
		assert_true(times[i] >= r->tl_origin + (uint64_t)b * r->tl_width);
		assert_true(times[i] < r->tl_origin + (uint64_t)(b + 1) * r->tl_width);
	}
	assert_int_equal(r->nnodes, 2);
	assert_int_equal(r->nodes[1].events, 4);
	report_free(r);
}

static void test_model_tables_are_bounded(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;
	char pod[32];
	uint64_t sum = 0;

	for (int i = 0; i < RPT_MAX_ENTS + 10; i++) {
		snprintf(pod, sizeof(pod), "p-%d", i);
		make_rec(&rec, "ns", pod, NULL, "ns", "owner", "/pods/owner/token", false);
		add_event(r, &node_a, &rec, T0 + (uint64_t)i);
	}
	assert_int_equal(r->nents[RPT_READER], RPT_MAX_ENTS + 1);	/* + one "not broken down" */
	assert_int_not_equal(r->overflow[RPT_READER], RMAP_NONE);
	assert_int_equal(r->ents[RPT_READER][r->overflow[RPT_READER]].accesses, 10);
	for (uint32_t i = 0; i < r->nents[RPT_READER]; i++)
		sum += r->ents[RPT_READER][i].accesses;
	assert_int_equal(sum, r->events);		/* totals stay exact */
	report_free(r);
}

/* ---- the graph and the page ---- */

static char *render_graph(const struct report *r, int top)
{
	struct mem m;

	report_graph_svg(mem_open(&m), r, top);
	return mem_close(&m);
}

static void test_graph_of_5000_pods_stays_readable(void **state)
{
	struct report *r = new_report();
	struct cw_record rec;
	char ns[16], pod[32], path[64];
	char *svg;
	uint32_t thief;
	char id[HTML_ID_LEN], key[64];

	for (int i = 0; i < 5000; i++) {	/* every pod reads its own token */
		snprintf(ns, sizeof(ns), "ns-%d", i % 40);
		snprintf(pod, sizeof(pod), "pod-%d", i);
		snprintf(path, sizeof(path), "/pods/%d/token", i);
		make_rec(&rec, ns, pod, NULL, ns, pod, path, false);
		add_event(r, &node_a, &rec, T0 + (uint64_t)i);
		add_event(r, &node_a, &rec, T0 + (uint64_t)i + 1);
	}
	/* one quiet pod steals another's token, once */
	make_rec(&rec, "ns-7", "pod-4007", NULL, "ns-3", "pod-3", "/pods/3/token", false);
	add_event(r, &node_a, &rec, T0 + 9000);
	svg = render_graph(r, 20);
	/* per column: 20 on their own, at most 6 groups and one "N more" */
	assert_true(count(svg, "<g class=\"node") <= 3 * (20 + 6 + 1));
	assert_true(count(svg, "<path class=\"edge") <= 300);
	assert_int_equal(count(svg, " more\" id=\"g-"), 3);
	assert_non_null(strstr(svg, " more readers</text>"));
	assert_non_null(strstr(svg, " pods</text><text class=\"sub\" x=\"21\" y=\""));
	/* the thief is drawn on its own, with a highlighted edge */
	thief = find_ent(r, RPT_READER, "p:ns-7/pod-4007");
	snprintf(key, sizeof(key), "%d\t%s", RPT_READER, r->ents[RPT_READER][thief].key);
	html_id("n-", key, strlen(key), id);
	assert_non_null(strstr(svg, id));
	assert_int_equal(count(svg, "<path class=\"edge cross"), 2);	/* reader and owner side */
	assert_non_null(strstr(svg, "ns-7/pod-4007 read /pods/3/token (owner: ns-3/pod-3)"));
	free(svg);
	report_free(r);
}

/* Every tag in html is one the writer emits; no attribute starts with "on". */
static void assert_only_own_markup(const char *html)
{
	static const char *const allowed[] = {
		"!DOCTYPE", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2",
		"h3", "h4", "p", "b", "nav", "a", "main", "section", "div", "span", "svg", "path",
		"text", "tspan", "g", "rect", "circle", "table", "tr", "th", "td", "code", "pre",
		"article", "footer",
	};

	for (const char *p = strchr(html, '<'); p; p = strchr(p + 1, '<')) {
		const char *name = p + 1 + (p[1] == '/');
		size_t n = strcspn(name, " >/\n"), k;
		const char *end = strchr(p, '>');

		for (k = 0; k < sizeof(allowed) / sizeof(allowed[0]); k++)
			if (strlen(allowed[k]) == n && !strncmp(allowed[k], name, n))
				break;
		if (k == sizeof(allowed) / sizeof(allowed[0]))
			fail_msg("unexpected tag <%.*s", (int)n, name);
		assert_non_null(end);
		/* attributes: name[="value"]; a value holds no '"' (it is escaped) */
		for (const char *a = name + n; a < end;) {
			size_t len;

			a += strspn(a, " \n/");
			len = strcspn(a, "= >\n/");
			if (!len)
				break;
			if (len >= 2 && (a[0] | 0x20) == 'o' && (a[1] | 0x20) == 'n')
				fail_msg("event handler attribute in %.*s", (int)(end - p + 1), p);
			a += len;
			if (*a == '=') {
				assert_int_equal(a[1], '"');
				a = strchr(a + 2, '"');
				assert_non_null(a);
				a++;
				end = strchr(a, '>');	/* a '>' inside the value was not the end */
				assert_non_null(end);
			}
		}
	}
}

static void test_page_of_hostile_names_is_only_our_markup(void **state)
{
	static const char *const evil[] = {
		"<svg onload=alert(1)>", "\"><script>alert(1)</script>", "'><img src=x onerror=alert(1)>",
		"</title><script>x</script>", "</style><script>x</script>", "<!--", "]]><x>",
		"\xe2\x80\xae" "txt.exe", "a\nb\x1b[2J",
	};
	struct report *r = new_report();
	struct cw_record rec;
	char alert[512], finding[1024];
	struct dump_file_info fi = node_a;
	struct mem m;
	char *page;

	record_strlcpy(fi.hostname, "<b>node</b>", sizeof(fi.hostname));
	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		make_rec(&rec, evil[i], evil[i], NULL, evil[i], "db", evil[i], true);
		field_set_str(&rec, CW_F_PROC_NAME, 0, evil[i]);
		field_set_str(&rec, CW_F_PROC_CMDLINE, 0, evil[i]);
		add_event(r, &fi, &rec, T0 + i);
		make_rec(&rec, NULL, NULL, evil[i], evil[i], evil[i], evil[i], false);
		add_event(r, &fi, &rec, T0 + i);
		snprintf(alert, sizeof(alert), "{\"rule\":\"r%zu<script>\",\"priority\":\"%s\","
			 "\"output\":\"<img src=x onerror=alert(1)>\"}", i, i % 2 ? "<x>" : "Critical");
		add_alert(r, &rec, T0 + i, alert);
		snprintf(finding, sizeof(finding), "{\"id\":\"cwf-%zu<a>\",\"type\":\"<t>\","
			 "\"severity\":\"<s>\",\"status\":\"%s\",\"node\":\"<n>\",\"resource\":"
			 "{\"namespace\":\"<ns>\",\"pod\":\"<p>\",\"path\":\"<path>\"},"
			 "\"recommendation\":{\"summary\":\"<sum>\",\"yaml\":\"</pre><script>\","
			 "\"command\":\"<cmd>\"},\"first_seen\":\"<f>\",\"last_seen\":\"<l>\"}",
			 i, i % 2 ? "open" : "<resolved>");
		add_finding(r, T0 + i, finding);
	}
	report_damage(r, "<dump>.cwd", 40, "bad block header");
	r->inputs[0].damaged = true;
	report_finish(r);
	assert_int_equal(report_html(mem_open(&m), r, 3), 0);
	page = mem_close(&m);
	assert_only_own_markup(page);
	assert_null(strstr(page, "<script"));
	assert_null(strstr(page, "<svg onload"));
	assert_non_null(strstr(page, "&lt;svg onload=alert(1)&gt;"));
	assert_non_null(strstr(page, "\\u202etxt.exe"));
	assert_non_null(strstr(page, "&lt;/pre&gt;&lt;script&gt;"));
	assert_non_null(strstr(page, "DAMAGED"));
	/* the style the CSP allows by hash is the style the page has */
	assert_non_null(strstr(page, "default-src 'none'; style-src 'sha256-"));
	free(page);
	report_free(r);
}

static void test_page_without_records(void **state)
{
	struct report *r = new_report();
	struct mem m;
	char *page;

	report_finish(r);
	assert_int_equal(report_html(mem_open(&m), r, 20), 0);
	page = mem_close(&m);
	assert_non_null(strstr(page, "No credential accesses were recorded"));
	assert_non_null(strstr(page, "No alerts in this period"));
	assert_only_own_markup(page);
	free(page);
	report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_known_answers),
		cmocka_unit_test(test_base64_pads_every_length),
		cmocka_unit_test(test_html_id_is_a_hash_never_the_name),
		cmocka_unit_test(test_html_escapes_markup_characters),
		cmocka_unit_test(test_html_shows_controls_and_bad_utf8),
		cmocka_unit_test(test_html_cuts_at_characters),
		cmocka_unit_test(test_html_tail_keeps_the_end),
		cmocka_unit_test(test_html_pre_keeps_lines_only),
		cmocka_unit_test(test_html_num_groups_thousands),
		cmocka_unit_test(test_model_flags_cross_pod_host_and_exec),
		cmocka_unit_test(test_model_counts_alerts_by_rule_and_sorts_by_priority),
		cmocka_unit_test(test_rule_lists_the_earliest_alerts_in_any_order),
		cmocka_unit_test(test_model_keeps_the_latest_line_of_each_finding),
		cmocka_unit_test(test_timeline_merges_whole_columns_in_any_order),
		cmocka_unit_test(test_model_tables_are_bounded),
		cmocka_unit_test(test_graph_of_5000_pods_stays_readable),
		cmocka_unit_test(test_page_of_hostile_names_is_only_our_markup),
		cmocka_unit_test(test_page_without_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
