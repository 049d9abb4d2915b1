// SPDX-License-Identifier: Apache-2.0
/*
 * test_golden.c - the default rules over recorded events produce exactly
 * the expected alerts (tests/fixtures/events/golden.{ndjson,expected},
 * written by tests/fixtures/events/gen.py).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include <cmocka.h>

#include "user/alert.h"
#include "user/ndjson.h"
#include "user/rules.h"

struct hit {
	const struct cw_rule *rule;
	int n;
};

static void on_match(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	struct hit *h = ctx;

	h->rule = rule;
	h->n++;
}

static void test_golden_default_rules_match_expected_alerts(void **state)
{
	const char *files[] = { "rules/credwatch_rules.yaml" };
	FILE *ev = fopen("tests/fixtures/events/golden.ndjson", "r");
	FILE *ex = fopen("tests/fixtures/events/golden.expected", "r");
	struct cw_record rec;
	struct rules_diag d;
	struct rules *r = NULL;
	char *line = NULL, want[512], got[512];
	size_t cap = 0;
	int n = 0, bad = 0, alerts = 0;

	assert_int_equal(rules_load(&r, files, 1, &d), 0);
	assert_non_null(ev);
	assert_non_null(ex);
	assert_non_null(r);
	while (getline(&line, &cap, ev) > 0) {
		struct hit h = { 0 };

		n++;
		assert_non_null(fgets(want, sizeof(want), ex));
		want[strcspn(want, "\n")] = '\0';
		if (record_from_json(line, &rec))
			fail_msg("golden.ndjson:%d: not a record", n);
		rules_eval(r, &rec, on_match, &h);
		if (h.rule) {
			struct alert a;
			struct jbuf jb;
			cJSON *o;

			snprintf(got, sizeof(got), "%s|%s", rule_name(h.rule),
				 priority_name(rule_priority(h.rule)));
			alert_init(&a, h.rule, &rec);
			jbuf_init(&jb);
			alert_render_json(&a, "golden", &jb);
			o = cJSON_Parse(jb.buf);
			if (!o || strstr(cJSON_GetObjectItem(o, "output")->valuestring, "%"))
				fail_msg("golden.ndjson:%d: bad alert %s", n, jb.buf);
			cJSON_Delete(o);
			jbuf_free(&jb);
			alerts++;
		} else {
			snprintf(got, sizeof(got), "-");
		}
		if (strcmp(got, want)) {
			print_error("golden.ndjson:%d: got '%s', want '%s'\n", n, got, want);
			bad++;
		}
	}
	assert_null(fgets(want, sizeof(want), ex));	/* as many lines in both */
	assert_int_equal(bad, 0);
	assert_int_equal(n, 29);
	assert_int_equal(alerts, 19);
	free(line);
	fclose(ev);
	fclose(ex);
	rules_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_default_rules_match_expected_alerts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
