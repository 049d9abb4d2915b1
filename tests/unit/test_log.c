// SPDX-License-Identifier: Apache-2.0
/* test_log.c - log lines stay one line with no raw control bytes, whatever the arguments hold. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/log.h"

/* What one log call wrote to stderr. */
static void capture(char *out, size_t size, const char *name, const char *reply)
{
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	log_warn("watch: %s: read: %s", name, reply);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void test_log_escapes_hostile_arguments(void **state)
{
	char out[512];

	/* a file name that forges a second log line and recolours the terminal,
	 * an API error with a C1 CSI and a byte of invalid UTF-8 */
	capture(out, sizeof(out), "/var/lib/x\ncredwatch: info: all clear\x1b[8m",
		"bad\xc2\x9b" "2J\xff");
	assert_string_equal(out, "credwatch: warning: watch: /var/lib/x\\ncredwatch: info: all "
			    "clear\\x1b[8m: read: bad\\x9b2J\\xff\n");
	assert_null(strchr(out, '\x1b'));
	assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);	/* one line */
}

static void test_log_keeps_plain_text_and_utf8(void **state)
{
	char out[512];

	capture(out, sizeof(out), "/home/jos\xc3\xa9/.kube/config", "Permission denied");
	assert_string_equal(out, "credwatch: warning: watch: /home/jos\xc3\xa9/.kube/config: read: "
			    "Permission denied\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_escapes_hostile_arguments),
		cmocka_unit_test(test_log_keeps_plain_text_and_utf8),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
