// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_rules_load.c - libFuzzer harness for the rules file loader: YAML
 * parsing, list/macro/rule/exception handling and condition compilation
 * (user/rules.c, user/cond.c, user/template.c). Each input is one rules
 * file; when it loads, every rule is evaluated against fixed records and
 * its output and output fields are rendered, as the agent does per event.
 */
#include "tests/fuzz/fuzz_common.h"
#include "user/json.h"
#include "user/rules.h"

struct ctx {
	struct jbuf jb;
	int matches;
};

static void on_match(void *arg, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct ctx *c = arg;

	c->matches++;
	jbuf_reset(&c->jb);
	jbuf_obj_begin(&c->jb);
	jbuf_kv_str(&c->jb, "rule", rule_name(rule));
	jbuf_kv_str(&c->jb, "priority", priority_name(rule_priority(rule)));
	jbuf_key(&c->jb, "output");
	rule_output(rule, rec, &c->jb);
	jbuf_key(&c->jb, "output_fields");
	jbuf_obj_begin(&c->jb);
	rule_output_fields(rule, rec, &c->jb);
	jbuf_obj_end(&c->jb);
	jbuf_key(&c->jb, "tags");
	jbuf_arr_begin(&c->jb);
	for (int i = 0; i < rule_ntags(rule); i++) {
		jbuf_elem(&c->jb);
		jbuf_str(&c->jb, rule_tag(rule, i));
	}
	jbuf_arr_end(&c->jb);
	jbuf_obj_end(&c->jb);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cw_record rec[FUZZ_NRECS];
	static FILE *devnull;
	struct rules_diag diag = { 0 };
	struct ctx c = { .matches = 0 };
	const char *files[1];
	struct rules *r = NULL;
	char path[64];
	int fd;

	if (!devnull) {
		devnull = fopen("/dev/null", "w");
		fuzz_records(rec);
	}
	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	files[0] = path;
	if (rules_load(&r, files, 1, &diag)) {
		if (r)
			__builtin_trap();
		if (diag.count < 0 || diag.count > RULES_DIAG_MAX)
			__builtin_trap();
		rules_diag_print(&diag, devnull);
		goto cleanup;
	}
	jbuf_init(&c.jb);
	for (int all = 0; all < 2; all++) {
		rules_set_match_all(r, all);
		for (int i = 0; i < FUZZ_NRECS; i++)
			rules_eval(r, &rec[i], on_match, &c);
	}
	jbuf_free(&c.jb);
cleanup:
	rules_free(r);
	close(fd);
	return 0;
}
