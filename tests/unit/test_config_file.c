// SPDX-License-Identifier: Apache-2.0
/*
 * test_config_file.c - the YAML config file: accepted forms, FILE:LINE
 * errors, flags over file, --print-config round trip, reload, docs table,
 * and that --help, the config file, --print-config and the man page all
 * say what the modules' option tables say.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/config_int.h"	/* config_opts(): the tables, to check every surface against */
#include "user/inventory.h"	/* inventory_options: the subcommand's table */

struct tmpfile {
	char path[64];
};

static void write_file(struct tmpfile *t, const char *text)
{
	int fd;

	strcpy(t->path, "/tmp/cw-config-XXXXXX");
	fd = mkstemp(t->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int load(struct config *c, const char *text, char *err)
{
	struct tmpfile t;
	int ret;

	write_file(&t, text);
	config_init(c);
	err[0] = '\0';
	ret = config_load_file(c, t.path, err, 512);
	unlink(t.path);
	return ret;
}

static void test_config_file_sets_every_type(void **state)
{
	static const char text[] =
		"# credwatch\n"
		"host-root: /host\n"
		"watch:\n"
		"  - /etc/a\n"
		"  - '/etc/b c'\n"
		"output: \"alerts.json\"\n"
		"events: ~\n"
		"node-name: 12345   # a plain number is still a string\n"
		"duration: 30\n"
		"max-watched: \"1024\"\n"
		"verbose: true\n"
		"no-color: False\n";
	struct config c;
	char err[512];

	assert_int_equal(load(&c, text, err), 0);
	assert_string_equal(c.agent.host_root, "/host");
	assert_int_equal(c.watch.extra.n, 2);
	assert_string_equal(c.watch.extra.v[0], "/etc/a");
	assert_string_equal(c.watch.extra.v[1], "/etc/b c");
	assert_string_equal(c.outputs.output, "alerts.json");
	assert_null(c.outputs.events);
	assert_string_equal(c.identity.node_name, "12345");
	assert_int_equal(c.agent.duration_s, 30);
	assert_int_equal(c.agent.max_watched, 1024);
	assert_true(c.agent.verbose);
	assert_false(c.outputs.no_color);
	config_free(&c);
}

static void test_config_file_list_forms(void **state)
{
	static const struct { const char *text; int n; const char *first; } forms[] = {
		{ "watch: /only\n", 1, "/only" },
		{ "watch: [/a, /b]\n", 2, "/a" },
		{ "watch: []\n", 0, NULL },
		{ "watch:\n", 0, NULL },
		{ "watch: null\n", 0, NULL },
		{ "watch:\n- /x\n- /y\n- /z\n", 3, "/x" },
	};
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		struct config c;
		char err[512];

		assert_int_equal(load(&c, forms[i].text, err), 0);
		assert_int_equal(c.watch.extra.n, forms[i].n);
		if (forms[i].first)
			assert_string_equal(c.watch.extra.v[0], forms[i].first);
		config_free(&c);
	}
}

static void test_config_file_empty_or_comments_sets_nothing(void **state)
{
	static const char *const texts[] = { "", "# nothing here\n\n", "---\n", "---\n...\n" };

	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct config c;
		char err[512];

		assert_int_equal(load(&c, texts[i], err), 0);
		assert_null(c.agent.host_root);
		assert_int_equal(c.watch.extra.n, 0);
		config_free(&c);
	}
}

static void test_config_file_rejects_with_file_line_reason(void **state)
{
	static const struct { const char *text; const char *msg; } bad[] = {
		{ "nope: 1\n", ":1: unknown key 'nope'" },
		{ "duration: 1\nhost_root: /x\n", ":2: unknown key 'host_root' (did you mean 'host-root'?)" },
		{ "output:\n  file: x\n", ":2: output: expected a string, got a mapping" },
		{ "output: [a, b]\n", ":1: output: expected a string, got a list" },
		{ "\n\nduration: abc\n", ":3: duration: 'abc' is not a non-negative integer" },
		{ "duration: -1\n", ":1: duration: '-1' is not a non-negative integer" },
		{ "duration: 1.5\n", ":1: duration: '1.5' is not" },
		{ "duration: 99999999999999999999999\n", ":1: duration: '9999" },
		{ "duration:\n", ":1: duration: '' is not a non-negative integer" },
		{ "duration: [1]\n", ":1: duration: expected a non-negative integer, got a list" },
		{ "verbose: yes\n", ":1: verbose: 'yes' is not true or false" },
		{ "verbose: {a: 1}\n", ":1: verbose: expected true or false, got a mapping" },
		{ "watch:\n  - /a\n  - {x: 1}\n", ":3: watch: list items must be strings, got a mapping" },
		{ "watch:\n  - /a\n  -\n", ":3: watch: empty list item" },
		{ "watch: {a: b}\n", ":1: watch: expected a list of strings, got a mapping" },
		{ "host-root: /a\nduration: 1\nhost-root: /b\n",
		  ":3: host-root: duplicate key (first set on line 1)" },
		{ "help: true\n", ":1: help: an action, not a setting" },
		{ "version: true\n", ":1: version: an action" },
		{ "print-config: true\n", ":1: print-config: an action" },
		{ "list-watched: true\n", ":1: list-watched: an action" },
		{ "config: /etc/other.yaml\n", ":1: config: a config file cannot name another" },
		{ "- /a\n- /b\n", ":1: expected a mapping of option names to values, got a list" },
		{ "just text\n", ":1: expected a mapping of option names to values, got a scalar" },
		{ "[a, b]: 1\n", ":1: keys must be option names, got a list" },
		{ "host-root: /a\n  bad indent: 1\n", ":2: YAML syntax error: " },
		{ "output: \"unterminated\n", "YAML syntax error: " },
		{ "host-root: [a\n", "YAML syntax error: " },
		{ "host-root: /a\n---\nduration: 1\n", ":2: more than one YAML document" },
		{ "output: *nowhere\n", "YAML syntax error: " },
		{ "output: \"\xff\"\n", "YAML syntax error: " },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		char err[512];
		int ret = load(&c, bad[i].text, err);

		if (ret != -EINVAL || !strstr(err, bad[i].msg) || strchr(err, '\n') ||
		    strncmp(err, "/tmp/cw-config-", 15))
			fail_msg("case %zu: %d '%s', expected -EINVAL '%s'", i, ret, err, bad[i].msg);
		config_free(&c);
	}
}

static void test_config_file_missing_or_directory_is_an_error(void **state)
{
	struct config c;
	char err[512];

	config_init(&c);
	assert_int_equal(config_load_file(&c, "/nonexistent/credwatch.yaml", err, sizeof(err)),
			 -ENOENT);
	assert_string_equal(err, "/nonexistent/credwatch.yaml: No such file or directory");
	assert_int_equal(config_load_file(&c, "/tmp", err, sizeof(err)), -EISDIR);
	assert_string_equal(err, "/tmp: not a regular file");
	config_free(&c);
}

static void test_config_flags_override_file_and_replace_lists(void **state)
{
	struct tmpfile t;
	struct config c;
	char err[512] = "";

	write_file(&t, "host-root: /from-file\nduration: 7\nwatch: [/f1, /f2]\n"
		   "events: /var/log/events.json\nverbose: true\n");
	char *argv[] = { "credwatch", "--config", t.path, "--host-root", "/from-flag",
			 "--watch", "/a1", "--watch", "/a2", "--watch", "/a3" };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 11, argv, err, sizeof(err)), 0);
	assert_string_equal(c.agent.host_root, "/from-flag");
	assert_int_equal(c.agent.duration_s, 7);		/* file only */
	assert_string_equal(c.outputs.events, "/var/log/events.json");
	assert_true(c.agent.verbose);
	assert_int_equal(c.watch.extra.n, 3);			/* replaced, then appended */
	assert_string_equal(c.watch.extra.v[0], "/a1");
	assert_string_equal(c.watch.extra.v[2], "/a3");
	assert_string_equal(c.agent.config_file, t.path);
	config_free(&c);

	/* without --watch in argv the file's list stays */
	char *argv2[] = { "credwatch", "--config", t.path };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 3, argv2, err, sizeof(err)), 0);
	assert_int_equal(c.watch.extra.n, 2);
	assert_string_equal(c.watch.extra.v[1], "/f2");
	config_free(&c);
	unlink(t.path);
}

static void test_config_sources_errors_name_the_culprit(void **state)
{
	struct tmpfile t;
	struct config c;
	char err[512] = "", want[128];

	/* a value from the file that fails validation names FILE:LINE */
	write_file(&t, "# comment\nduration: 3\noutput-format: xml\n");
	char *argv[] = { "credwatch", "--config", t.path };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 3, argv, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "%s:3: output-format: 'xml' is not json or text", t.path);
	assert_string_equal(err, want);
	config_free(&c);

	/* the flag overrides the bad file value: fine */
	char *argv2[] = { "credwatch", "--config", t.path, "--output-format", "json" };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 5, argv2, err, sizeof(err)), 0);
	config_free(&c);

	/* a bad flag value names the flag */
	char *argv3[] = { "credwatch", "--config", t.path, "--output-format", "csv" };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 5, argv3, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "--output-format: 'csv' is not json or text");
	config_free(&c);
	unlink(t.path);

	/* an explicit --config that is missing is an error */
	char *argv4[] = { "credwatch", "--config", "/nonexistent/cw.yaml" };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 3, argv4, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "/nonexistent/cw.yaml: No such file or directory");
	config_free(&c);

	/* --help and --version work even with a broken file */
	char *argv5[] = { "credwatch", "--config", "/nonexistent/cw.yaml", "--version" };
	config_init(&c);
	assert_int_equal(config_from_sources(&c, 4, argv5, err, sizeof(err)), 0);
	assert_true(c.agent.version);
	config_free(&c);
}

static void test_config_print_round_trips_through_the_loader(void **state)
{
	static const char *const hostile[] = {
		"plain", "with \"quotes\" and \\backslash\\", "new\nline\ttab\r",
		"\x1b[31mred\x7f", "# not a comment", "key: value", "- dash", "  spaces  ",
		"null", "~", "true", "123", "", "'single'", "{ flow }", "[x]", "é ünïcödé ✓",
		"*alias", "&anchor", "!tag", "%percent", "@at", "`tick`", "a,b",
		/* found by tests/fuzz/config_load: YAML line breaks and non-printables */
		"nel\xc2\x85" "x", "ls\xe2\x80\xa8ps\xe2\x80\xa9", "csi\xc2\x9b" "31m",
		"bom\xef\xbb\xbf", "nonchar\xef\xbf\xbe\xef\xbf\xbf", "key \xf0\x9f\x94\x91",
	};
	struct config a, b;
	char *text = NULL, *text2 = NULL;
	size_t len = 0, len2 = 0;
	struct tmpfile t;
	FILE *out;
	char err[512];

	config_init(&a);
	a.agent.host_root = strdup(hostile[1]);
	a.outputs.output = strdup(hostile[2]);
	a.outputs.events = strdup("");
	a.identity.node_name = strdup(hostile[3]);
	a.identity.cluster_name = strdup("null");
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		a.watch.extra.v = realloc(a.watch.extra.v, (size_t)(a.watch.extra.n + 1) * sizeof(char *));
		a.watch.extra.v[a.watch.extra.n++] = strdup(hostile[i]);
	}
	a.agent.duration_s = UINT64_MAX;
	a.agent.max_watched = 0;
	a.agent.ringbuf_bytes = 4096;
	a.agent.verbose = true;
	a.outputs.no_color = false;

	out = open_memstream(&text, &len);
	config_print(&a, out);
	fclose(out);
	write_file(&t, text);
	config_init(&b);
	if (config_load_file(&b, t.path, err, sizeof(err)))
		fail_msg("--print-config output does not load: %s\n%s", err, text);
	unlink(t.path);

	assert_int_equal(config_diff(&a, &b, err, sizeof(err)), 0);
	assert_string_equal(b.outputs.output, hostile[2]);
	assert_string_equal(b.outputs.events, "");
	assert_string_equal(b.identity.cluster_name, "null");	/* the string, not YAML's null */
	assert_null(b.outputs.format);			/* unset stays unset */
	assert_int_equal(b.watch.extra.n, a.watch.extra.n);
	assert_int_equal(b.agent.duration_s, UINT64_MAX);
	out = open_memstream(&text2, &len2);
	config_print(&b, out);
	fclose(out);
	assert_string_equal(text, text2);
	free(text);
	free(text2);
	config_free(&a);
	config_free(&b);
}

static void test_config_reload_keeps_running_on_error(void **state)
{
	struct tmpfile t;
	struct config cur, next;
	char err[512] = "", changed[256];
	FILE *f;

	write_file(&t, "duration: 5\nhost-root: /h\n");
	char *argv[] = { "credwatch", "--config", t.path, "--node-name", "n1" };
	config_init(&cur);
	assert_int_equal(config_from_sources(&cur, 5, argv, err, sizeof(err)), 0);

	/* broken file: error with FILE:LINE, next left empty */
	f = fopen(t.path, "w");
	fputs("duration: 5\nhost-root: [\n", f);
	fclose(f);
	assert_int_equal(config_reload(&cur, &next, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "YAML syntax error"));
	assert_null(next.agent.host_root);
	assert_int_equal(cur.agent.duration_s, 5);

	/* fixed file: new values, flags still on top, diff names the keys */
	f = fopen(t.path, "w");
	fputs("duration: 9\nhost-root: /h\nnode-name: from-file\nwatch: [/w]\n", f);
	fclose(f);
	assert_int_equal(config_reload(&cur, &next, err, sizeof(err)), 0);
	assert_int_equal(next.agent.duration_s, 9);
	assert_string_equal(next.identity.node_name, "n1");
	assert_int_equal(config_diff(&cur, &next, changed, sizeof(changed)), 2);
	assert_string_equal(changed, "duration, watch");	/* --help order */
	config_free(&next);
	config_free(&cur);
	unlink(t.path);
}

/* path carries, between its option markers, what gen() prints. */
static void check_generated(const char *path, const char *begin, void (*gen)(FILE *))
{
	static const char end[] = "options:end";
	char *doc = NULL, *table = NULL, *b, *e;
	size_t cap = 0, len = 0;
	FILE *f = fopen(path, "r");
	ssize_t n;

	if (!f)
		fail_msg("%s: %s (run from the repository root)", path, strerror(errno));
	n = getdelim(&doc, &cap, '\0', f);
	fclose(f);
	assert_true(n > 0);
	b = strstr(doc, begin);
	e = b ? strstr(b, end) : NULL;
	if (!b || !e)
		fail_msg("%s: option table markers missing", path);
	b += strlen(begin);
	while (e > b && e[-1] != '\n')	/* the end marker's line starts the tail */
		e--;
	*e = '\0';
	f = open_memstream(&table, &len);
	gen(f);
	fclose(f);
	if (strcmp(b, table))
		fail_msg("%s: option table out of date: run `make docs`", path);
	free(doc);
	free(table);
}

static char *capture(void (*fn)(FILE *))
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	fn(out);
	fclose(out);
	return text;
}

static void print_defaults(FILE *out)
{
	struct config c;

	config_init(&c);
	config_print(&c, out);
	config_free(&c);
}

/* troff's spelling of a flag name: every - as \- */
static void man_name(const char *name, char *out, size_t size)
{
	size_t n = 0;

	for (; *name && n + 3 < size; name++) {
		if (*name == '-')
			out[n++] = '\\';
		out[n++] = *name;
	}
	out[n] = '\0';
}

/*
 * Every option of every module's table is in --help with its metavar, is a
 * config file key exactly when it is not command-line only, sets the same
 * field from the file as from argv, is printed by --print-config, and has
 * its entry in man/credwatch.8; and none of them lists anything else.
 */
static void test_config_help_file_and_man_page_agree_with_the_tables(void **state)
{
	char *help = capture(config_usage), *printed = capture(print_defaults), *man = NULL;
	size_t nall, man_cap = 0, settings = 0, help_flags = 0, man_entries = 0, keys = 0;
	const struct opt_desc *all = config_opts(&nall);
	FILE *f = fopen("man/credwatch.8", "r");
	char want[160], err[512];

	assert_non_null(f);
	assert_true(getdelim(&man, &man_cap, '\0', f) > 0);
	fclose(f);
	assert_true(nall > 0);
	for (size_t i = 0; i < nall; i++) {
		const struct opt_desc *o = &all[i];
		static const char *const value[] = {
			[OPT_STR] = "v", [OPT_LIST] = "[v]", [OPT_UINT] = "7", [OPT_BOOL] = "true",
		};
		char *argv[] = { "credwatch", want, o->type == OPT_UINT ? "7" : "v" };
		struct config from_file, from_argv;
		char text[160], mname[96];
		int ret;

		snprintf(want, sizeof(want), "--%s%s%s", o->name, o->arg ? " " : "",
			 o->arg ? o->arg : "");
		if (!strstr(help, want))
			fail_msg("--help does not list '%s'", want);
		man_name(o->name, mname, sizeof(mname));
		snprintf(want, sizeof(want), "\\fB\\-\\-%s\\fR", mname);
		if (!strstr(man, want))
			fail_msg("man/credwatch.8 has no entry for --%s (make docs)", o->name);

		/* the file: a key unless command-line only, the same field as argv */
		snprintf(text, sizeof(text), "%s: %s\n", o->name, value[o->type]);
		ret = load(&from_file, text, err);
		if (o->cli_only) {
			assert_int_equal(ret, -EINVAL);
			config_free(&from_file);
			continue;
		}
		if (ret)
			fail_msg("config file key '%s': %s", o->name, err);
		settings++;
		snprintf(want, sizeof(want), "--%s", o->name);
		config_init(&from_argv);
		if (config_parse_args(&from_argv, o->type == OPT_BOOL ? 2 : 3, argv, err,
				      sizeof(err)))
			fail_msg("%s: %s", want, err);
		if (!opt_value_equal(o, (char *)&from_file + o->offset,
				     (char *)&from_argv + o->offset))
			fail_msg("--%s and the config file key set different values", o->name);
		assert_int_equal(config_diff(&from_file, &from_argv, err, sizeof(err)), 0);
		config_free(&from_file);
		config_free(&from_argv);
		snprintf(want, sizeof(want), "\n%s:", o->name);
		if (!strstr(printed, want))
			fail_msg("--print-config does not print '%s'", o->name);
	}
	/* nothing beyond the tables: one help line, one man entry, one key each */
	for (const char *p = help; (p = strchr(p, '\n')); p++)
		if (p[strspn(p + 1, " ") + 1] == '-')
			help_flags++;
	for (const char *p = man; (p = strstr(p, "\n.TP\n\\fB\\-")); p++)
		man_entries++;
	for (const char *p = printed; (p = strchr(p, '\n')); p++)
		if (p[1] >= 'a' && p[1] <= 'z')
			keys++;
	assert_int_equal(help_flags, nall);
	assert_int_equal(man_entries, nall);
	assert_int_equal(keys, settings);
	free(help);
	free(printed);
	free(man);
}

/*
 * `credwatch inventory` has its own table: its --help comes from it, and the
 * man page's INVENTORY section, written by hand, must name each option and
 * no option the table lacks (test_catalog_inventory.sh runs the options).
 */
static void test_inventory_man_page_names_every_option_of_its_table(void **state)
{
	const struct opt_table *t = &inventory_options;
	char *man = NULL, want[160], mname[96];
	const char *sec, *end;
	size_t man_cap = 0, named = 0;
	FILE *f = fopen("man/credwatch.8", "r");

	assert_non_null(f);
	assert_true(getdelim(&man, &man_cap, '\0', f) > 0);
	fclose(f);
	sec = strstr(man, "\n.SH INVENTORY\n");
	assert_non_null(sec);
	end = strstr(sec + 1, "\n.SH ");
	assert_non_null(end);
	assert_true(t->n > 0);
	for (size_t i = 0; i < t->n; i++) {
		const struct opt_desc *o = &t->opts[i];
		const char *p;

		if (!strcmp(o->name, "help"))
			continue;
		man_name(o->name, mname, sizeof(mname));
		snprintf(want, sizeof(want), "\\-\\-%s", mname);
		p = strstr(sec, want);
		if (!p || p > end)
			fail_msg("man/credwatch.8 INVENTORY does not name --%s", o->name);
	}
	/* and nothing the table does not have */
	for (const char *p = sec; (p = strstr(p, "\\-\\-")) && p < end; p += 4) {
		char flag[96];
		size_t n = 0;
		bool found = false;

		for (const char *q = p + 4; n + 1 < sizeof(flag) && (isalnum((unsigned char)*q) ||
		     (q[0] == '\\' && q[1] == '-')); q += (*q == '\\') ? 2 : 1)
			flag[n++] = *q == '\\' ? '-' : *q;
		flag[n] = '\0';
		for (size_t i = 0; i < t->n; i++)
			found |= !strcmp(t->opts[i].name, flag);
		if (!found)
			fail_msg("man/credwatch.8 INVENTORY names --%s, which inventory does not have",
				 flag);
		named++;
	}
	assert_true(named >= t->n - 1);
	free(man);
}

static void test_config_docs_and_man_page_list_every_option(void **state)
{
	check_generated("docs/operations.md", "<!-- options:begin (make docs) -->\n",
			config_print_markdown);
	check_generated("README.md", "<!-- options:begin (make docs) -->\n",
			config_print_markdown);
	check_generated("man/credwatch.8", ".\\\" options:begin (make docs)\n",
			config_print_man);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_file_sets_every_type),
		cmocka_unit_test(test_config_file_list_forms),
		cmocka_unit_test(test_config_file_empty_or_comments_sets_nothing),
		cmocka_unit_test(test_config_file_rejects_with_file_line_reason),
		cmocka_unit_test(test_config_file_missing_or_directory_is_an_error),
		cmocka_unit_test(test_config_flags_override_file_and_replace_lists),
		cmocka_unit_test(test_config_sources_errors_name_the_culprit),
		cmocka_unit_test(test_config_print_round_trips_through_the_loader),
		cmocka_unit_test(test_config_reload_keeps_running_on_error),
		cmocka_unit_test(test_config_docs_and_man_page_list_every_option),
		cmocka_unit_test(test_config_help_file_and_man_page_agree_with_the_tables),
		cmocka_unit_test(test_inventory_man_page_names_every_option_of_its_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
