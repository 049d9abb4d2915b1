/* SPDX-License-Identifier: Apache-2.0 */
/*
 * unit_srcdir.h - the source tree a unit test binary was built from: the
 * first directory above it that holds catalog/ (the binary is
 * build/tests/test_x or build/sanitize/tests/test_x, one level deeper
 * than what user/fileio.c's path_near_binary() looks for).
 */
#ifndef CW_UNIT_SRCDIR_H
#define CW_UNIT_SRCDIR_H

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The source tree into out; fails the running cmocka test when there is none. */
static inline void unit_srcdir(char *out, size_t size)
{
	char exe[PATH_MAX], probe[PATH_MAX + 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	assert_true(n > 0);
	exe[n] = '\0';
	for (int up = 0; up < 4; up++) {
		char *slash = strrchr(exe, '/');

		assert_non_null(slash);
		*slash = '\0';
		snprintf(probe, sizeof(probe), "%s/catalog", exe);
		if (!stat(probe, &st) && S_ISDIR(st.st_mode)) {
			snprintf(out, size, "%s", exe);
			return;
		}
	}
	fail_msg("no catalog/ above the test binary");
}

#endif /* CW_UNIT_SRCDIR_H */
