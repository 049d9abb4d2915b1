// SPDX-License-Identifier: Apache-2.0
/* test_json.c - the JSON writer and terminal escaping on hostile strings. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "user/json.h"
#include "user/fields.h"

static char *roundtrip(const char *s, size_t n)
{
	struct jbuf jb;
	cJSON *doc;
	char *out;

	jbuf_init(&jb);
	jbuf_strn(&jb, s, n);
	doc = cJSON_Parse(jb.buf);
	assert_non_null(doc);
	assert_true(cJSON_IsString(doc));
	out = strdup(doc->valuestring);
	cJSON_Delete(doc);
	jbuf_free(&jb);
	return out;
}

static void test_json_escapes_quotes_backslash_controls(void **state)
{
	char *out = roundtrip("a\"b\\c\nd\x01\x1b[31m", 13);

	assert_string_equal(out, "a\"b\\c\nd\x01\x1b[31m");
	free(out);
}

static void test_json_keeps_valid_utf8(void **state)
{
	char *out = roundtrip("t\xc3\xa9st \xe2\x82\xac \xf0\x9f\x94\x91", 14);

	assert_string_equal(out, "t\xc3\xa9st \xe2\x82\xac \xf0\x9f\x94\x91");
	free(out);
}

static void test_json_marks_invalid_utf8_bytes(void **state)
{
	/* lone continuation, overlong, surrogate, truncated sequence */
	char *out = roundtrip("\x80|\xc0\xaf|\xed\xa0\x80|\xe2\x82", 11);

	assert_string_equal(out, "\\x80|\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82");
	free(out);
}

static void test_json_handles_4096_byte_path(void **state)
{
	char path[4097];
	char *out;

	memset(path, 'a', 4096);
	path[4096] = '\0';
	path[100] = '\n';
	out = roundtrip(path, 4096);
	assert_int_equal(strlen(out), 4096);
	assert_int_equal(out[100], '\n');
	free(out);
}

static void test_json_record_is_valid_object_with_all_fields(void **state)
{
	struct cw_record rec;
	struct jbuf jb;
	cJSON *doc, *f;

	record_reset(&rec);
	rec.pid = 42;
	strcpy(rec.fd_name, "/var/lib/kubelet/pods/x/\"token\"\n");
	strcpy(rec.aname[1], "bash");
	rec.same_pod = CW_FALSE;
	jbuf_init(&jb);
	jbuf_obj_begin(&jb);
	jbuf_record_fields(&jb, &rec);
	jbuf_obj_end(&jb);
	doc = cJSON_Parse(jb.buf);
	assert_non_null(doc);
	f = cJSON_GetObjectItem(doc, "proc.pid");
	assert_int_equal(f->valuedouble, 42);
	f = cJSON_GetObjectItem(doc, "fd.name");
	assert_string_equal(f->valuestring, "/var/lib/kubelet/pods/x/\"token\"\n");
	f = cJSON_GetObjectItem(doc, "proc.aname[1]");
	assert_string_equal(f->valuestring, "bash");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(doc, "k8s.pod.name")));
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(doc, "cred.same_pod")));
	cJSON_Delete(doc);
	jbuf_free(&jb);
}

static void test_text_escape_makes_controls_visible(void **state)
{
	char out[64];

	text_escape("a\x1b[31mb\nc\\d\x80\xc2\x9b", out, sizeof(out));
	assert_string_equal(out, "a\\x1b[31mb\\nc\\\\d\\x80\\x9b");
}

/* C1 controls are valid JSON but terminal controls: written as \u0080..\u009f. */
static void test_json_escapes_c1_controls(void **state)
{
	struct jbuf jb;

	jbuf_init(&jb);
	jbuf_str(&jb, "csi\xc2\x9b" "31m nel\xc2\x85 nbsp\xc2\xa0 \x1b");
	assert_string_equal(jb.buf, "\"csi\\u009b31m nel\\u0085 nbsp\xc2\xa0 \\u001b\"");
	jbuf_free(&jb);
}

static void test_text_escape_marks_cut(void **state)
{
	char out[12];

	text_escape("0123456789abcdef", out, sizeof(out));
	assert_string_equal(out, "01234567...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_escapes_quotes_backslash_controls),
		cmocka_unit_test(test_json_keeps_valid_utf8),
		cmocka_unit_test(test_json_marks_invalid_utf8_bytes),
		cmocka_unit_test(test_json_handles_4096_byte_path),
		cmocka_unit_test(test_json_record_is_valid_object_with_all_fields),
		cmocka_unit_test(test_text_escape_makes_controls_visible),
		cmocka_unit_test(test_json_escapes_c1_controls),
		cmocka_unit_test(test_text_escape_marks_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
