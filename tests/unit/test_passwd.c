// SPDX-License-Identifier: Apache-2.0
/* test_passwd.c - uid -> name from hostile passwd files, inside their root. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/passwd.h"

static int parse(const char *text, uint32_t uid, char *name)
{
	return passwd_parse(text, strlen(text), uid, name, PASSWD_NAME_MAX);
}

static void test_passwd_parse_finds_uid_and_skips_garbage(void **state)
{
	const char *text =
		"# comment\n\n::0:0\nbroken\nroot:x:0:0:root:/root:/bin/bash\n"
		"bad name:x:5:5::/:\nctl\x01:x:6:6::/:\nnum:x:07a:1::/:\n"
		"big:x:99999999999:1::/:\nweb:x:1000:1000::/home/web:/bin/sh\n"
		"tail:x:4294967295";	/* no trailing newline, no fourth field */
	char name[PASSWD_NAME_MAX];

	assert_int_equal(parse(text, 0, name), 0);
	assert_string_equal(name, "root");
	assert_int_equal(parse(text, 1000, name), 0);
	assert_string_equal(name, "web");
	assert_int_equal(parse(text, 5, name), -ENOENT);
	assert_int_equal(parse(text, 6, name), -ENOENT);
	assert_int_equal(parse(text, 7, name), -ENOENT);
	assert_int_equal(parse(text, 4294967295u, name), -ENOENT);
	assert_int_equal(parse("", 0, name), -ENOENT);
}

static void test_passwd_parse_first_match_wins_and_long_names_are_refused(void **state)
{
	char text[400], name[PASSWD_NAME_MAX];

	assert_int_equal(parse("a:x:1:1\nb:x:1:1\n", 1, name), 0);
	assert_string_equal(name, "a");
	memset(text, 'n', 200);
	snprintf(text + 200, sizeof(text) - 200, ":x:9:9::/:\n");
	assert_int_equal(parse(text, 9, name), -ENOENT);
	/* Not NUL-terminated input: only len bytes are read. */
	assert_int_equal(passwd_parse("z:x:3:3\nzz:x:4:4\n", 8, 4, name, sizeof(name)), -ENOENT);
}

static void test_passwd_lookup_stays_inside_the_root(void **state)
{
	char d[] = "/tmp/cwpw.XXXXXX", p[PATH_MAX], cmd[PATH_MAX * 2], name[PASSWD_NAME_MAX];
	FILE *f;

	assert_non_null(mkdtemp(d));
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/c1/etc %s/c2/etc %s/c2/real %s/c3/etc", d, d, d, d);
	assert_int_equal(system(cmd), 0);
	snprintf(p, sizeof(p), "%s/c1/etc/passwd", d);
	f = fopen(p, "w");
	fputs("containerroot:x:0:0::/:/bin/sh\n", f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s/c1", d);
	assert_int_equal(passwd_lookup(cmd, 0, name, sizeof(name)), 0);
	assert_string_equal(name, "containerroot");
	/* An absolute symlink resolves inside the container's root, not ours. */
	snprintf(p, sizeof(p), "%s/c2/real/pw", d);
	f = fopen(p, "w");
	fputs("inside:x:0:0::/:/bin/sh\n", f);
	fclose(f);
	snprintf(p, sizeof(p), "%s/c2/etc/passwd", d);
	assert_int_equal(symlink("/real/pw", p), 0);
	snprintf(cmd, sizeof(cmd), "%s/c2", d);
	assert_int_equal(passwd_lookup(cmd, 0, name, sizeof(name)), 0);
	assert_string_equal(name, "inside");
	/* A FIFO would block: refused. */
	snprintf(p, sizeof(p), "%s/c3/etc/passwd", d);
	assert_int_equal(mkfifo(p, 0644), 0);
	snprintf(cmd, sizeof(cmd), "%s/c3", d);
	assert_int_equal(passwd_lookup(cmd, 0, name, sizeof(name)), -EINVAL);
	assert_int_equal(passwd_lookup("/nonexistent-root", 0, name, sizeof(name)), -ENOENT);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", d);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_passwd_parse_finds_uid_and_skips_garbage),
		cmocka_unit_test(test_passwd_parse_first_match_wins_and_long_names_are_refused),
		cmocka_unit_test(test_passwd_lookup_stays_inside_the_root),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
