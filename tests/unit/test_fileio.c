// SPDX-License-Identifier: Apache-2.0
/*
 * test_fileio.c - small file reads and the durable replacement every
 * state file and the report use (temp, fsync, rename, fsync dir).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/fileio.h"

struct fx {
	char dir[64];
	char path[PATH_MAX];
};

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));

	snprintf(x->dir, sizeof(x->dir), "/tmp/cw-test-fileio.XXXXXX");
	if (!mkdtemp(x->dir))
		return -1;
	snprintf(x->path, sizeof(x->path), "%s/state", x->dir);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	if (system(cmd))
		return -1;
	free(x);
	return 0;
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect_content(const char *path, const char *text)
{
	char buf[256];

	assert_int_equal(read_file_small(path, buf, sizeof(buf)), (ssize_t)strlen(text));
	assert_string_equal(buf, text);
}

static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_fileio_replace_writes_new_content_with_exact_mode(void **state)
{
	struct fx *x = *state;
	struct file_replace r;
	struct stat st;
	mode_t old = umask(077);	/* the mode asked for wins over the umask */

	put(x->path, "old\n");
	assert_int_equal(file_replace_open(&r, AT_FDCWD, x->path, ".tmp", 0640), 0);
	assert_int_equal(write(r.fd, "new\n", 4), 4);
	expect_content(x->path, "old\n");	/* untouched until the commit */
	assert_int_equal(file_replace_commit(&r), 0);
	umask(old);
	expect_content(x->path, "new\n");
	assert_int_equal(stat(x->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(entries(x->dir), 1);	/* no temporary file left */
}

static void test_fileio_replace_through_a_stream_in_a_directory_fd(void **state)
{
	struct fx *x = *state;
	struct file_replace r;
	int dirfd = open(x->dir, O_RDONLY | O_DIRECTORY);

	assert_true(dirfd >= 0);
	assert_int_equal(file_replace_open(&r, dirfd, "state", ".tmp", 0600), 0);
	assert_string_equal(r.tmp, "state.tmp");
	fprintf(file_replace_stream(&r), "line %d\n", 1);
	assert_int_equal(file_replace_commit(&r), 0);
	close(dirfd);
	expect_content(x->path, "line 1\n");
	assert_int_equal(entries(x->dir), 1);
}

/* A planted symlink or hard link at the temporary name is removed, never written through. */
static void test_fileio_replace_never_writes_through_a_planted_link(void **state)
{
	struct fx *x = *state;
	char victim[PATH_MAX + 16], tmp[PATH_MAX + 16], victim2[PATH_MAX + 16];
	struct file_replace r;

	snprintf(victim, sizeof(victim), "%s/victim", x->dir);
	snprintf(victim2, sizeof(victim2), "%s/victim2", x->dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", x->path);
	put(victim, "precious\n");
	assert_int_equal(symlink(victim, tmp), 0);
	assert_int_equal(file_replace_open(&r, AT_FDCWD, x->path, ".tmp", 0600), 0);
	assert_int_equal(write(r.fd, "state\n", 6), 6);
	assert_int_equal(file_replace_commit(&r), 0);
	expect_content(victim, "precious\n");
	expect_content(x->path, "state\n");
	put(victim2, "precious\n");
	assert_int_equal(link(victim2, tmp), 0);
	assert_int_equal(file_replace_open(&r, AT_FDCWD, x->path, ".tmp", 0600), 0);
	assert_int_equal(write(r.fd, "again\n", 6), 6);
	assert_int_equal(file_replace_commit(&r), 0);
	expect_content(victim2, "precious\n");
	expect_content(x->path, "again\n");
}

static void test_fileio_replace_abort_keeps_the_old_file(void **state)
{
	struct fx *x = *state;
	struct file_replace r;

	put(x->path, "old\n");
	assert_int_equal(file_replace_open(&r, AT_FDCWD, x->path, ".tmp", 0600), 0);
	assert_int_equal(write(r.fd, "half", 4), 4);
	file_replace_abort(&r);
	expect_content(x->path, "old\n");
	assert_int_equal(entries(x->dir), 1);
}

/* XXXXXX: two writers side by side get two temporary files. */
static void test_fileio_replace_unique_suffix_for_concurrent_writers(void **state)
{
	struct fx *x = *state;
	struct file_replace a, b;

	assert_int_equal(file_replace_open(&a, AT_FDCWD, x->path, ".tmp-XXXXXX", 0644), 0);
	assert_int_equal(file_replace_open(&b, AT_FDCWD, x->path, ".tmp-XXXXXX", 0644), 0);
	assert_string_not_equal(a.tmp, b.tmp);
	assert_null(strstr(a.tmp, "XXXXXX"));
	assert_int_equal(write(a.fd, "a\n", 2), 2);
	assert_int_equal(write(b.fd, "b\n", 2), 2);
	assert_int_equal(file_replace_commit(&a), 0);
	assert_int_equal(file_replace_commit(&b), 0);
	expect_content(x->path, "b\n");
	assert_int_equal(entries(x->dir), 1);
}

static void test_fileio_replace_reports_the_failed_step(void **state)
{
	struct fx *x = *state;
	char missing[PATH_MAX + 16], target[PATH_MAX + 16];
	struct file_replace r;

	snprintf(missing, sizeof(missing), "%s/no/such/dir/state", x->dir);
	assert_int_equal(file_replace_open(&r, AT_FDCWD, missing, ".tmp", 0600), -ENOENT);
	assert_string_equal(r.op, "create");
	/* rename over a directory fails: the temporary file is removed */
	snprintf(target, sizeof(target), "%s/adir", x->dir);
	assert_int_equal(mkdir(target, 0700), 0);
	assert_int_equal(file_replace_open(&r, AT_FDCWD, target, ".tmp", 0600), 0);
	assert_int_equal(write(r.fd, "x", 1), 1);
	assert_int_equal(file_replace_commit(&r), -EISDIR);
	assert_string_equal(r.op, "rename");
	assert_int_equal(entries(x->dir), 1);	/* only adir */
}

static void test_fileio_read_small_terminates_and_cuts(void **state)
{
	struct fx *x = *state;
	char buf[4];

	put(x->path, "abcdef");
	assert_int_equal(read_file_small(x->path, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(read_file_small("/nonexistent/file", buf, sizeof(buf)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fileio_replace_writes_new_content_with_exact_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_replace_through_a_stream_in_a_directory_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_replace_never_writes_through_a_planted_link, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_replace_abort_keeps_the_old_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_replace_unique_suffix_for_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_replace_reports_the_failed_step, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fileio_read_small_terminates_and_cuts, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
