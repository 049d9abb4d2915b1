// SPDX-License-Identifier: Apache-2.0
/* test_ndjson.c - --events lines back into records. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "user/fields.h"
#include "user/json.h"
#include "user/ndjson.h"

static void render(const struct cw_record *rec, struct jbuf *jb)
{
	jbuf_reset(jb);
	jbuf_obj_begin(jb);
	jbuf_record_fields(jb, rec);
	jbuf_obj_end(jb);
}

static void test_ndjson_round_trips_every_field(void **state)
{
	struct cw_record a, b;
	struct jbuf ja, jb;
	int idx;

	record_reset(&a);
	a.time_ns = 1763858601123456789ull;	/* needs all 64 bits */
	field_set_str(&a, CW_F_EVT_TYPE, 0, "openat2");
	field_set_u64(&a, CW_F_EVT_RES, 0, (uint64_t)-13);
	field_set_u64(&a, CW_F_PROC_PID, 0, 18446744073709551615ull);
	field_set_str(&a, CW_F_PROC_NAME, 0, "we\"ird\\name");
	field_set_str(&a, CW_F_PROC_CMDLINE, 0, "sh -c 'x\ny'\t\x01");
	field_set_str(&a, CW_F_PROC_ANAME, 3, "init");
	field_set_u64(&a, CW_F_PROC_APID, 5, 1);
	field_set_u64(&a, CW_F_PROC_IS_EXEC_SESSION, 0, 1);
	field_set_u64(&a, CW_F_CRED_SAME_POD, 0, 0);
	field_set_str(&a, CW_F_K8S_POD_NAME, 0, "pod-\xc3\xa9");
	jbuf_init(&ja);
	jbuf_init(&jb);
	render(&a, &ja);
	assert_int_equal(record_from_json(ja.buf, &b), 0);
	render(&b, &jb);
	assert_string_equal(ja.buf, jb.buf);
	assert_int_equal(b.time_ns, 1763858601123456789ull);
	assert_int_equal(b.res, -13);
	assert_int_equal(b.is_exec_session, CW_TRUE);
	assert_int_equal(b.same_pod, CW_FALSE);
	assert_int_equal(field_lookup("proc.aname[3]", &idx), CW_F_PROC_ANAME);
	assert_string_equal(b.aname[3], "init");
	jbuf_free(&ja);
	jbuf_free(&jb);
}

static void test_ndjson_rejects_bad_lines(void **state)
{
	static const char *const bad[] = {
		"", "{", "[1,2]", "\"x\"", "{\"proc.nope\":1}", "{\"proc.pid\":\"12\"}",
		"{\"proc.name\":12}", "{\"proc.pid\":-1}", "{\"proc.pid\":1.5}",
		"{\"cred.same_pod\":1}", "{\"proc.pid\":true}", "{\"proc.name\":{\"a\":1}}",
		"{\"proc.aname[9]\":\"x\"}", "{\"evt.type\":\"read\"}",
	};
	struct cw_record rec;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (record_from_json(bad[i], &rec) != -EINVAL)
			fail_msg("accepted: %s", bad[i]);
}

static void test_ndjson_null_and_missing_leave_fields_unset(void **state)
{
	struct cw_record rec;
	struct cw_value v;

	assert_int_equal(record_from_json("{\"proc.name\":null,\"k8s.ns.name\":\"a\\\"b\","
					  "\"proc.pid\":7}", &rec), 0);
	field_get(&rec, CW_F_PROC_NAME, 0, &v);
	assert_false(v.is_set);
	field_get(&rec, CW_F_CRED_SAME_POD, 0, &v);
	assert_false(v.is_set);
	assert_string_equal(rec.ns_name, "a\"b");
	assert_int_equal(rec.pid, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ndjson_round_trips_every_field),
		cmocka_unit_test(test_ndjson_rejects_bad_lines),
		cmocka_unit_test(test_ndjson_null_and_missing_leave_fields_unset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
