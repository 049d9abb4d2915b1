// SPDX-License-Identifier: Apache-2.0
/*
 * test_http.c - what the shipper and the Kubernetes client share: the
 * bearer token file (read when it changes, refused when it could inject
 * into a header, the previous token kept) and the Authorization header.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/http.h"

static char dir[64], path[128];

static int setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/cw-test-http.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/token", dir);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return rmdir(dir);
}

/* Write the file anew (a new inode, as a rotated Secret or projected token). */
static void put(const char *text, size_t len)
{
	char tmp[160];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
}

static void test_http_token_read_trimmed_and_only_when_changed(void **state)
{
	struct http_token t = { .path = path };

	put(" \tabc.def-ghi\r\n", 15);
	assert_int_equal(http_token_refresh(&t), 1);
	assert_string_equal(t.value, "abc.def-ghi");
	assert_int_equal(http_token_refresh(&t), 0);	/* unchanged: not read */
	put("second\n", 7);
	assert_int_equal(http_token_refresh(&t), 1);
	assert_string_equal(t.value, "second");
	http_token_clear(&t);
	assert_null(t.value);
	assert_int_equal(http_token_refresh(&t), 1);	/* cleared: read again */
	http_token_clear(&t);
}

/* A token that would break or inject into the header is refused; the old one stays. */
static void test_http_token_refuses_header_breaking_files_and_keeps_previous(void **state)
{
	static const struct { const char *text; size_t len; } bad[] = {
		{ "", 0 }, { " \n", 2 }, { "two words", 9 },
		{ "tok\r\nX-Injected: 1", 19 }, { "tok\x01", 4 }, { "t\xc3\xa9", 3 },
		{ "a\0b", 3 },
	};
	struct http_token t = { .path = path };
	char *big = malloc(HTTP_TOKEN_MAX + 2);

	put("good", 4);
	assert_int_equal(http_token_refresh(&t), 1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i].text, bad[i].len);
		if (http_token_refresh(&t) != -EINVAL)
			fail_msg("bad token #%zu accepted", i);
		assert_string_equal(t.value, "good");
	}
	memset(big, 'a', HTTP_TOKEN_MAX + 1);
	put(big, HTTP_TOKEN_MAX + 1);
	assert_int_equal(http_token_refresh(&t), -EFBIG);
	put(big, HTTP_TOKEN_MAX);	/* exactly the bound is fine */
	assert_int_equal(http_token_refresh(&t), 1);
	assert_int_equal(strlen(t.value), HTTP_TOKEN_MAX);
	unlink(path);
	assert_int_equal(http_token_refresh(&t), -ENOENT);
	assert_int_equal(strlen(t.value), HTTP_TOKEN_MAX);
	http_token_clear(&t);
	free(big);
	t.path = NULL;				/* no file: nothing to do */
	assert_int_equal(http_token_refresh(&t), 0);
}

static void test_http_bearer_header(void **state)
{
	struct curl_slist *h = http_bearer(NULL, "t0k");

	assert_non_null(h);
	assert_string_equal(h->data, "Authorization: Bearer t0k");
	assert_null(h->next);
	assert_ptr_equal(http_bearer(h, ""), h);	/* no token, no header */
	assert_ptr_equal(http_bearer(h, NULL), h);
	curl_slist_free_all(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_token_read_trimmed_and_only_when_changed),
		cmocka_unit_test(test_http_token_refuses_header_breaking_files_and_keeps_previous),
		cmocka_unit_test(test_http_bearer_header),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
