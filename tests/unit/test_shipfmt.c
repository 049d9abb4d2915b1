// SPDX-License-Identifier: Apache-2.0
/* test_shipfmt.c - backend wire formats: NDJSON kind, Falco shape, gzip, keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <cjson/cJSON.h>

#include "user/shipfmt.h"

static cJSON *parse_line(const struct jbuf *jb)
{
	cJSON *o;

	assert_true(jb->len > 0);
	assert_int_equal(jb->buf[jb->len - 1], '\n');
	assert_null(memchr(jb->buf, '\n', jb->len - 1));
	o = cJSON_Parse(jb->buf);
	assert_non_null(o);
	return o;
}

static void test_shipfmt_inserts_kind_first(void **state)
{
	const char *in = "{\"uuid\":\"u1\",\"rule\":\"r\"}\n";
	struct jbuf jb;
	cJSON *o;

	jbuf_init(&jb);
	assert_int_equal(shipfmt_ndjson_line(&jb, SPOOL_FINDING, in, strlen(in)), 0);
	assert_string_equal(jb.buf, "{\"kind\":\"finding\",\"uuid\":\"u1\",\"rule\":\"r\"}\n");
	jbuf_reset(&jb);
	assert_int_equal(shipfmt_ndjson_line(&jb, SPOOL_SUMMARY, " { } ", 5), 0);
	o = parse_line(&jb);
	assert_string_equal(cJSON_GetObjectItem(o, "kind")->valuestring, "alert");
	cJSON_Delete(o);
	jbuf_free(&jb);
}

static void test_shipfmt_keeps_existing_kind(void **state)
{
	const char *in = "{\"kind\":\"custom\",\"uuid\":\"u1\"}";
	struct jbuf jb;

	jbuf_init(&jb);
	assert_int_equal(shipfmt_ndjson_line(&jb, SPOOL_ALERT, in, strlen(in)), 0);
	assert_string_equal(jb.buf, "{\"kind\":\"custom\",\"uuid\":\"u1\"}\n");
	jbuf_free(&jb);
}

static void test_shipfmt_rejects_non_objects(void **state)
{
	static const char *const bad[] = { "[1,2]", "\"s\"", "{\"a\":", "42", "{} {}" };
	struct jbuf jb;
	size_t i;

	jbuf_init(&jb);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(shipfmt_ndjson_line(&jb, SPOOL_ALERT, bad[i], strlen(bad[i])),
				 -EINVAL);
		assert_int_equal(shipfmt_falco(&jb, SPOOL_ALERT, bad[i], strlen(bad[i]), "h"),
				 -EINVAL);
	}
	jbuf_free(&jb);
}

static void test_shipfmt_passes_complete_alert_unchanged(void **state)
{
	const char *in = "{\"time\":\"2026-01-02T03:04:05.1Z\",\"rule\":\"r\",\"priority\":"
			 "\"Warning\",\"output\":\"o\",\"output_fields\":{\"fd.ino\":"
			 "18446744073709551615},\"source\":\"credwatch\",\"tags\":[\"t\"],"
			 "\"hostname\":\"h\",\"uuid\":\"u\"}";
	struct jbuf jb;

	jbuf_init(&jb);
	assert_int_equal(shipfmt_falco(&jb, SPOOL_ALERT, in, strlen(in), "x"), 0);
	/* byte for byte: a 64-bit inode must not go through a double */
	assert_string_equal(jb.buf, in);
	jbuf_free(&jb);
}

static void test_shipfmt_fills_missing_falco_fields(void **state)
{
	const char *in = "{\"rule\":\"r\",\"priority\":\"critical\",\"time\":\"yesterday\","
			 "\"tags\":[1],\"kind\":\"alert\"}";
	struct jbuf a, b;
	cJSON *o;

	jbuf_init(&a);
	jbuf_init(&b);
	assert_int_equal(shipfmt_falco(&a, SPOOL_ALERT, in, strlen(in), "node-7"), 0);
	o = cJSON_Parse(a.buf);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "output")->valuestring, "r");
	assert_string_equal(cJSON_GetObjectItem(o, "priority")->valuestring, "Critical");
	assert_string_equal(cJSON_GetObjectItem(o, "source")->valuestring, "credwatch");
	assert_string_equal(cJSON_GetObjectItem(o, "hostname")->valuestring, "node-7");
	assert_true(cJSON_IsObject(cJSON_GetObjectItem(o, "output_fields")));
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "tags"), 0)->valuestring,
			    "credwatch");
	assert_int_equal(strlen(cJSON_GetObjectItem(o, "uuid")->valuestring), 36);
	assert_int_equal(cJSON_GetObjectItem(o, "time")->valuestring[10], 'T');
	assert_null(cJSON_GetObjectItem(o, "kind"));
	/* a derived uuid is the same on every retry */
	assert_int_equal(shipfmt_falco(&b, SPOOL_ALERT, in, strlen(in), "node-7"), 0);
	cJSON *p = cJSON_Parse(b.buf);
	assert_string_equal(cJSON_GetObjectItem(o, "uuid")->valuestring,
			    cJSON_GetObjectItem(p, "uuid")->valuestring);
	cJSON_Delete(p);
	cJSON_Delete(o);
	jbuf_free(&a);
	jbuf_free(&b);
}

static void test_shipfmt_wraps_finding_as_alert(void **state)
{
	const char *in = "{\"rule\":\"token world readable\",\"severity\":\"medium\","
			 "\"message\":\"mode 0644\",\"uuid\":\"f1\",\"path\":\"/t\","
			 "\"owners\":[\"a\",\"b\"]}";
	struct jbuf jb;
	cJSON *o, *f;

	jbuf_init(&jb);
	assert_int_equal(shipfmt_falco(&jb, SPOOL_FINDING, in, strlen(in), "h"), 0);
	o = cJSON_Parse(jb.buf);
	assert_non_null(o);
	assert_string_equal(cJSON_GetObjectItem(o, "rule")->valuestring, "token world readable");
	assert_string_equal(cJSON_GetObjectItem(o, "priority")->valuestring, "Warning");
	assert_string_equal(cJSON_GetObjectItem(o, "output")->valuestring, "mode 0644");
	assert_string_equal(cJSON_GetObjectItem(o, "uuid")->valuestring, "f1");
	f = cJSON_GetObjectItem(o, "output_fields");
	assert_string_equal(cJSON_GetObjectItem(f, "path")->valuestring, "/t");
	assert_string_equal(cJSON_GetObjectItem(f, "owners")->valuestring, "[\"a\",\"b\"]");
	assert_null(cJSON_GetObjectItem(f, "rule"));
	assert_string_equal(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "tags"), 1)->valuestring,
			    "finding");
	cJSON_Delete(o);
	jbuf_free(&jb);
}

static void test_shipfmt_gzip_round_trips(void **state)
{
	char in[5000], out[6000];
	unsigned char *gz;
	size_t gzlen, i;
	z_stream zs = { 0 };

	for (i = 0; i < sizeof(in); i++)
		in[i] = "{\"a\":1}\n"[i % 8];
	assert_int_equal(shipfmt_gzip(in, sizeof(in), &gz, &gzlen), 0);
	assert_true(gzlen < sizeof(in));
	assert_int_equal(gz[0], 0x1f);	/* gzip magic, not zlib */
	assert_int_equal(gz[1], 0x8b);
	assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
	zs.next_in = gz;
	zs.avail_in = gzlen;
	zs.next_out = (unsigned char *)out;
	zs.avail_out = sizeof(out);
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.total_out, sizeof(in));
	assert_memory_equal(in, out, sizeof(in));
	inflateEnd(&zs);
	free(gz);
}

static void test_shipfmt_key_is_stable_and_content_bound(void **state)
{
	char k1[SHIPFMT_KEY_LEN + 1], k2[SHIPFMT_KEY_LEN + 1], k3[SHIPFMT_KEY_LEN + 1];
	struct shipfmt_key k;

	shipfmt_key_init(&k);
	shipfmt_key_add(&k, "ab", 2);
	shipfmt_key_add(&k, "c", 1);
	shipfmt_key_final(&k, k1);
	shipfmt_key_init(&k);
	shipfmt_key_add(&k, "ab", 2);
	shipfmt_key_add(&k, "c", 1);
	shipfmt_key_final(&k, k2);
	shipfmt_key_init(&k);
	shipfmt_key_add(&k, "a", 1);
	shipfmt_key_add(&k, "bc", 2);
	shipfmt_key_final(&k, k3);
	assert_string_equal(k1, k2);
	assert_string_not_equal(k1, k3);
	assert_int_equal(strlen(k1), SHIPFMT_KEY_LEN);
}

static void test_shipfmt_summary_is_a_falco_alert(void **state)
{
	struct jbuf jb, fb;
	cJSON *o;

	jbuf_init(&jb);
	jbuf_init(&fb);
	shipfmt_summary(&jb, 1234, "/var/lib/credwatch/spool", 1 << 20, "node-1");
	o = cJSON_Parse(jb.buf);
	assert_non_null(o);
	assert_non_null(strstr(cJSON_GetObjectItem(o, "output")->valuestring,
			       "credwatch: spool evicted 1234 alerts"));
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "output_fields"),
					     "credwatch.spool.evicted")->valueint, 1234);
	/* complete as it stands: falcosidekick gets it byte for byte */
	assert_int_equal(shipfmt_falco(&fb, SPOOL_SUMMARY, jb.buf, jb.len, "x"), 0);
	assert_string_equal(fb.buf, jb.buf);
	cJSON_Delete(o);
	jbuf_free(&jb);
	jbuf_free(&fb);
}

/* A token in the userinfo or the query string never reaches a log or a dead letter. */
static void test_shipfmt_url_redact_hides_credentials(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "https://audit.example/ingest", "https://audit.example/ingest" },
		{ "https://u:pw@audit.example:8443/x", "https://***@audit.example:8443/x" },
		{ "https://audit.example/x?token=s3cr3t", "https://audit.example/x?token=***" },
		{ "https://a/x?api_key=k&sig=abc&flag", "https://a/x?api_key=***&sig=***&flag" },
		{ "https://u@a/p?x=1#frag=zz", "https://***@a/p?x=***" },
		{ "https://a?token=t", "https://a?token=***" },
		{ "https://a/p@q", "https://a/p@q" },	/* an @ in the path is no userinfo */
		{ "https://a/?", "https://a/?" },
		{ "https://a/?=v&&", "https://a/?=***&&" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *r = shipfmt_url_redact(cases[i].in);

		assert_non_null(r);
		assert_string_equal(r, cases[i].out);
		free(r);
	}
}

/* A hostile Retry-After cannot overflow past the clamp or go negative. */
static void test_shipfmt_retry_after_is_clamped_without_overflow(void **state)
{
	const long max = 900000;
	const time_t now = 1700000000;

	assert_int_equal(shipfmt_retry_after_ms("5", now, max), 5000);
	assert_int_equal(shipfmt_retry_after_ms(" 0", now, max), 0);
	assert_int_equal(shipfmt_retry_after_ms("900", now, max), max);
	assert_int_equal(shipfmt_retry_after_ms("901", now, max), max);
	/* secs * 1000 would overflow: 2^63 / 1000 + 1, and past LONG_MAX */
	assert_int_equal(shipfmt_retry_after_ms("9223372036854776", now, max), max);
	assert_int_equal(shipfmt_retry_after_ms("99999999999999999999999", now, max), max);
	assert_int_equal(shipfmt_retry_after_ms("-1", now, max), -1);
	assert_int_equal(shipfmt_retry_after_ms("soon", now, max), -1);
	assert_int_equal(shipfmt_retry_after_ms("", now, max), -1);
	/* HTTP-dates: past is now, far future is the clamp */
	assert_int_equal(shipfmt_retry_after_ms("Tue, 14 Nov 2023 22:13:30 GMT", now, max), 10000);
	assert_int_equal(shipfmt_retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now, max), 0);
	assert_int_equal(shipfmt_retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", now, max), max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipfmt_inserts_kind_first),
		cmocka_unit_test(test_shipfmt_keeps_existing_kind),
		cmocka_unit_test(test_shipfmt_rejects_non_objects),
		cmocka_unit_test(test_shipfmt_passes_complete_alert_unchanged),
		cmocka_unit_test(test_shipfmt_fills_missing_falco_fields),
		cmocka_unit_test(test_shipfmt_wraps_finding_as_alert),
		cmocka_unit_test(test_shipfmt_gzip_round_trips),
		cmocka_unit_test(test_shipfmt_key_is_stable_and_content_bound),
		cmocka_unit_test(test_shipfmt_summary_is_a_falco_alert),
		cmocka_unit_test(test_shipfmt_url_redact_hides_credentials),
		cmocka_unit_test(test_shipfmt_retry_after_is_clamped_without_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
