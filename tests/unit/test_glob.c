// SPDX-License-Identifier: Apache-2.0
/*
 * test_glob.c - the glob/iglob matcher agrees with fnmatch(3) (what Falco
 * calls) on a table of patterns and names, and stays linear on patterns
 * built to make a backtracking matcher explode ("*a*a*a*a*b" against a
 * 4 KiB name of 'a's: a recursive matcher tries ~4096^5 splits).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/glob.h"

static const char *const patterns[] = {
	"", "*", "**", "?", "a", "a*", "*a", "*a*", "a?c", "/proc/*/environ", "/etc/*",
	"*../*../*", "*.ssh/*", "[abc]", "[!abc]", "[^abc]", "[a-c]x", "[]a]", "[!]a]", "[a-]",
	"[[:digit:]]*", "[[:upper:]][[:lower:]]", "\\*", "\\?x", "a\\", "[", "[a", "x[y", "*[",
	"*[*", "*\\[*", "/home/*/.ssh/*", "*/tmp/*.sh", "?*?", "*?*?*", "[a-z][0-9]*",
	"*[!/]", "*.[ch]", "[\\]]", "[\\!a]",
};

static const char *const names[] = {
	"", "a", "b", "abc", "aXc", "abcd", "/proc/1/environ", "/proc/self/task/2/environ",
	"/etc/shadow", "/etc/", "x/../../etc", "../a/../b", "/root/.ssh/id_rsa", "]", "-",
	"5abc", "Ab", "aB", "*", "?x", "a\\", "[", "[a", "x[y", "/home/alice/.ssh/authorized_keys",
	"/home/a/b/.ssh/k", "/var/tmp/run.sh", "main.c", "x.h", "z9", "!", "/",
};

static void test_glob_agrees_with_fnmatch(void **state)
{
	for (size_t p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
		for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
			for (int icase = 0; icase < 2; icase++) {
				bool want = fnmatch(patterns[p], names[n], icase ? FNM_CASEFOLD : 0) == 0;

				if (glob_match(patterns[p], names[n], icase, NULL) != want)
					fail_msg("'%s' vs '%s' (icase %d): want %d", patterns[p],
						 names[n], icase, want);
			}
		}
	}
}

static void test_glob_is_linear_on_hostile_patterns(void **state)
{
	static const char *const hostile[] = {
		"*a*a*a*a*b", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a*a*a*a*a*a*a*a*b",
		"*?*?*?*?*?*?*?*?b", "*[a]*[a]*[a]*[a]*[!a]", "*a?*a?*a?*a?*c", "*aa*aa*aa*ab",
		"*a*a*a*a*c*b",
	};
	static char name[4097];
	size_t steps;

	memset(name, 'a', 4096);
	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		for (size_t len = 64; len <= 4096; len *= 4) {
			size_t bound = (strlen(hostile[i]) + 1) * (len + 1);

			name[len] = '\0';
			assert_false(glob_match(hostile[i], name, false, &steps));
			if (steps > bound)
				fail_msg("'%s' on %zu bytes: %zu steps, more than %zu", hostile[i],
					 len, steps, bound);
			assert_false(glob_match(hostile[i], name, true, &steps));
			assert_true(steps <= bound);
			name[len] = 'a';
		}
	}
	/* a match at the very end still costs at most the same */
	memset(name, 'a', 4096);
	name[4095] = 'b';
	name[4096] = '\0';
	assert_true(glob_match("*a*a*a*a*b", name, false, &steps));
	assert_true(steps <= 11 * 4097);
}

/*
 * The same attack, judged from outside the matcher: in a child limited to
 * 20 s of CPU (linear matching takes microseconds; a backtracking one would
 * take longer than the age of the universe), every hostile match returns.
 */
static void test_glob_hostile_matches_return_under_a_cpu_limit(void **state)
{
	struct rlimit lim = { 20, 20 };
	static char name[4097];
	int status;
	pid_t pid;

	memset(name, 'a', 4096);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setrlimit(RLIMIT_CPU, &lim))
			_exit(2);
		_exit(glob_match("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name, false, NULL) ||
		      glob_match("*?*?*?*?*?*?*?*?*?*?b", name, true, NULL) ? 1 : 0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob_agrees_with_fnmatch),
		cmocka_unit_test(test_glob_is_linear_on_hostile_patterns),
		cmocka_unit_test(test_glob_hostile_matches_return_under_a_cpu_limit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
