// SPDX-License-Identifier: Apache-2.0
/* test_config.c - command-line parsing: accepted forms and one-line errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>

#include "user/config.h"

static int parse(struct config *c, char *err, int argc, char **argv)
{
	config_init(c);
	err[0] = '\0';
	int ret = config_parse_args(c, argc, argv, err, 256);

	if (!ret)
		ret = config_validate(c, err, 256);
	return ret;
}

static void test_config_accepts_design_flags(void **state)
{
	char *argv[] = { "credwatch", "--host-root", "/host", "--watch", "/a", "--watch=/b",
			 "--events", "-", "--duration", "5", "--output-format", "json",
			 "-v", "--cluster-name", "prod" };
	struct config c;
	char err[256];

	assert_int_equal(parse(&c, err, 15, argv), 0);
	assert_string_equal(c.host_root, "/host");
	assert_int_equal(c.watch.n, 2);
	assert_string_equal(c.watch.v[1], "/b");
	assert_string_equal(c.events, "-");
	assert_int_equal(c.duration_s, 5);
	assert_true(c.verbose);
	assert_string_equal(c.cluster_name, "prod");
	config_free(&c);
}

static void test_config_findings_flags_and_defaults(void **state)
{
	char *argv[] = { "credwatch", "--findings", "-", "--findings-window", "2",
			 "--findings-interval", "1", "--state-dir", "/tmp/st" };
	struct config c;
	char err[256];

	assert_int_equal(parse(&c, err, 1, argv), 0);
	assert_null(c.findings);
	assert_int_equal(c.findings_window_s, 86400);
	assert_int_equal(c.findings_interval_s, 300);
	config_free(&c);
	assert_int_equal(parse(&c, err, 9, argv), 0);
	assert_string_equal(c.findings, "-");
	assert_int_equal(c.findings_window_s, 2);
	assert_int_equal(c.findings_interval_s, 1);
	assert_string_equal(c.state_dir, "/tmp/st");
	config_free(&c);
}

static void test_config_rejects_with_one_line_reason(void **state)
{
	static const struct { int argc; char *argv[4]; const char *msg; } bad[] = {
		{ 2, { "credwatch", "--nope" }, "unknown option '--nope'" },
		{ 3, { "credwatch", "--duration", "abc" }, "--duration: 'abc' is not" },
		{ 3, { "credwatch", "--duration", "-1" }, "--duration: '-1' is not" },
		{ 2, { "credwatch", "--events" }, "needs a value" },
		{ 3, { "credwatch", "--output-format", "xml" }, "--output-format: 'xml'" },
		{ 3, { "credwatch", "--ringbuf-bytes", "1000" }, "--ringbuf-bytes: 1000" },
		{ 2, { "credwatch", "stray" }, "unexpected argument 'stray'" },
		{ 2, { "credwatch", "-x" }, "unknown option '-x'" },
		{ 3, { "credwatch", "--findings-window", "0" }, "--findings-window: must be" },
		{ 3, { "credwatch", "--findings-interval", "0" }, "--findings-interval: must be" },
		{ 3, { "credwatch", "--findings-interval", "5m" }, "--findings-interval: '5m' is not" },
		{ 3, { "credwatch", "--state-dir", "" }, "--state-dir: empty path" },
		{ 3, { "credwatch", "--cgroup-budget", "lots" }, "--cgroup-budget: 'lots' is not" },
		{ 3, { "credwatch", "--cgroup-budget", "10:0" }, "--cgroup-budget: '10:0' is not" },
		{ 3, { "credwatch", "--ia32-syscalls", "kprobe" }, "--ia32-syscalls: 'kprobe' is not" },
		{ 3, { "credwatch", "--repeat-window-ms", "3600001" }, "--repeat-window-ms: 3600001" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		char err[256];

		assert_int_equal(parse(&c, err, bad[i].argc, (char **)bad[i].argv), -EINVAL);
		assert_non_null(strstr(err, bad[i].msg));
		assert_null(strchr(err, '\n'));
		config_free(&c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_accepts_design_flags),
		cmocka_unit_test(test_config_findings_flags_and_defaults),
		cmocka_unit_test(test_config_rejects_with_one_line_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
