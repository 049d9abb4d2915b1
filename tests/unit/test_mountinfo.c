// SPDX-License-Identifier: Apache-2.0
/* test_mountinfo.c - mountinfo lines, escapes, hostile volume paths, set reads and diffs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/mountinfo.h"

#define PODS "/host/var/lib/kubelet/pods"

static bool want(const char *plugin)
{
	return !strcmp(plugin, "kubernetes.io~projected") || !strcmp(plugin, "kubernetes.io~secret");
}

static void test_mountinfo_unescape_decodes_the_kernels_octal_escapes(void **state)
{
	char out[64];

	assert_int_equal(mountinfo_unescape("a\\040b\\011c\\012d\\134e", 21, out, sizeof(out)), 9);
	assert_string_equal(out, "a b\tc\nd\\e");
	assert_int_equal(mountinfo_unescape("plain", 5, out, sizeof(out)), 5);
	assert_string_equal(out, "plain");
	assert_int_equal(mountinfo_unescape("", 0, out, sizeof(out)), 0);
	assert_string_equal(out, "");
	/* refused: short, non-octal, NUL, over the buffer */
	assert_int_equal(mountinfo_unescape("a\\04", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("a\\", 2, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("\\089", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("\\000", 4, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("a\0b", 3, out, sizeof(out)), -EINVAL);
	assert_int_equal(mountinfo_unescape("abcd", 4, out, 4), -ENAMETOOLONG);
	assert_int_equal(mountinfo_unescape("abc", 3, out, 4), 3);
	assert_int_equal(mountinfo_unescape("", 0, out, 0), -ENAMETOOLONG);
}

static void test_mountinfo_parse_line_takes_id_and_mount_point(void **state)
{
	static const char ok[] = "1234 27 0:88 / /host/var/lib/kubelet/pods/u/volumes/kubernetes.io~secret/a\\040b "
				 "rw,relatime shared:5 - tmpfs tmpfs rw,size=1024k";
	char mp[PATH_MAX];
	uint32_t id = 0;

	assert_int_equal(mountinfo_parse_line(ok, strlen(ok), &id, mp, sizeof(mp)), 0);
	assert_int_equal(id, 1234);
	assert_string_equal(mp, PODS "/u/volumes/kubernetes.io~secret/a b");
	assert_int_equal(mountinfo_parse_line("4294967295 1 0:1 / /x rw - t s o", 32, &id, mp,
					      sizeof(mp)), 0);
	assert_int_equal(id, UINT32_MAX);
	/* refused */
	static const char *const bad[] = {
		"",
		"4294967296 1 0:1 / /x rw - t s o",	/* id over 32 bits */
		"12345678901 1 0:1 / /x rw - t s o",
		"-1 1 0:1 / /x rw - t s o",
		"x1 1 0:1 / /x rw - t s o",
		"1 1 0:1 / /x",				/* nothing after the mount point */
		"1 1 0:1 /",
		"1  1 0:1 / /x rw - t s o",		/* empty field */
		"1 1 0:1 / /x\\0 rw - t s o",		/* bad escape */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mountinfo_parse_line(bad[i], strlen(bad[i]), &id, mp, sizeof(mp)),
				 -EINVAL);
	assert_int_equal(mountinfo_parse_line("1 1 0:1 / /longer rw", 20, &id, mp, 4), -ENAMETOOLONG);
}

static void test_mountinfo_volume_rel_accepts_only_volume_dirs(void **state)
{
	static const struct {
		const char *mp;
		const char *rel;	/* NULL: not a volume */
	} cases[] = {
		{ PODS "/u1/volumes/kubernetes.io~projected/kube-api-access-x",
		  "u1/volumes/kubernetes.io~projected/kube-api-access-x" },
		{ PODS "/u1/volumes/kubernetes.io~secret/db", "u1/volumes/kubernetes.io~secret/db" },
		{ PODS "/u1/volumes/kubernetes.io~secret/a b\nc", "u1/volumes/kubernetes.io~secret/a b\nc" },
		{ PODS "/u1/volumes/kubernetes.io~empty-dir/cache", NULL },	/* plugin not wanted */
		{ PODS "/u1/volumes/kubernetes.io~csi/v/mount", NULL },		/* five names */
		{ PODS "/u1/volumes/kubernetes.io~secret", NULL },		/* three */
		{ PODS "/u1/volumes/kubernetes.io~secret/", NULL },		/* empty name */
		{ PODS "/u1/volumes/kubernetes.io~secret/db/", NULL },
		{ PODS "/u1/volumes/kubernetes.io~secret//db", NULL },
		{ PODS "/u1/volume-subpaths/kubernetes.io~secret/db", NULL },
		{ PODS "/../volumes/kubernetes.io~secret/db", NULL },
		{ PODS "/u1/volumes/kubernetes.io~secret/..", NULL },
		{ PODS "/u1/volumes/kubernetes.io~secret/..data", NULL },
		{ PODS "/.u1/volumes/kubernetes.io~secret/db", NULL },
		{ PODS "2/u1/volumes/kubernetes.io~secret/db", NULL },		/* a sibling */
		{ PODS, NULL },
		{ "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~secret/db", NULL },
		{ PODS "/0123456789012345678901234567890123456789012345678901234567890123"
		  "/volumes/kubernetes.io~secret/db",
		  "0123456789012345678901234567890123456789012345678901234567890123"
		  "/volumes/kubernetes.io~secret/db" },				/* 64: a uid */
		{ PODS "/01234567890123456789012345678901234567890123456789012345678901234"
		  "/volumes/kubernetes.io~secret/db", NULL },			/* 65: not */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *rel = mountinfo_volume_rel(cases[i].mp, PODS, want);

		if (!cases[i].rel)
			assert_null(rel);
		else
			assert_string_equal(rel, cases[i].rel);
	}
	assert_true(mountinfo_is_above(PODS, PODS));
	assert_true(mountinfo_is_above("/host/var", PODS));
	assert_true(mountinfo_is_above("/", PODS));
	assert_false(mountinfo_is_above("/host/va", PODS));
	assert_false(mountinfo_is_above(PODS "/u1", PODS));
}

static int write_file(char *path, const char *content)
{
	int fd;

	strcpy(path, "/tmp/cw-test-mountinfo.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	return fd;
}

static void test_kvol_set_read_keeps_volumes_sorted_and_survives_long_lines(void **state)
{
	char path[64], *content, *p;
	struct kvol_set s = { 0 };
	size_t size = 256 * 1024;
	int fd;

	content = calloc(1, size);
	assert_non_null(content);
	p = content;
	p += sprintf(p, "30 1 0:1 / " PODS "/b/volumes/kubernetes.io~secret/s rw - tmpfs t rw\n");
	p += sprintf(p, "20 1 0:1 / / rw - ext4 /dev/sda rw\n");
	p += sprintf(p, "21 20 0:2 / /proc rw - proc proc rw\n");
	/* a line longer than the read buffer: dropped, not the lines after it */
	p += sprintf(p, "22 20 0:3 / /huge rw - overlay overlay lowerdir=");
	memset(p, 'x', 100000);
	p += 100000;
	*p++ = '\n';
	p += sprintf(p, "garbage line\n");
	p += sprintf(p, "10 1 0:1 / " PODS "/a/volumes/kubernetes.io~projected/kube-api-access-1 rw - tmpfs t rw\n");
	p += sprintf(p, "11 1 0:1 / " PODS "/a/volumes/kubernetes.io~empty-dir/e rw - tmpfs t rw\n");
	p += sprintf(p, "12 1 0:1 / /host/var/lib/kubelet rw shared:1 - ext4 /dev/sda rw\n");
	p += sprintf(p, "40 1 0:1 / " PODS "/c/volumes/kubernetes.io~secret/no-newline-at-end rw - tmpfs t rw");
	fd = write_file(path, content);

	assert_int_equal(kvol_set_read(&s, fd, PODS, want), 0);
	assert_int_equal(s.n, 5);
	assert_int_equal(s.v[0].mnt_id, 10);
	assert_string_equal(kvol_rel(&s, &s.v[0]), "a/volumes/kubernetes.io~projected/kube-api-access-1");
	assert_int_equal(s.v[1].mnt_id, 12);
	assert_string_equal(kvol_rel(&s, &s.v[1]), "");		/* above the pods dir */
	assert_int_equal(s.v[2].mnt_id, 20);				/* "/" */
	assert_string_equal(kvol_rel(&s, &s.v[2]), "");
	assert_int_equal(s.v[3].mnt_id, 30);
	assert_int_equal(s.v[4].mnt_id, 40);
	assert_string_equal(kvol_rel(&s, &s.v[4]), "c/volumes/kubernetes.io~secret/no-newline-at-end");
	assert_int_equal(s.lines, 8);
	assert_int_equal(s.bad_lines, 2);

	/* read again: the same set, not appended */
	assert_int_equal(kvol_set_read(&s, fd, PODS, want), 0);
	assert_int_equal(s.n, 5);
	kvol_set_free(&s);
	close(fd);
	unlink(path);
	free(content);
}

struct changes {
	char seen[8][128];
	int n;
};

static void record(void *ctx, const char *rel)
{
	struct changes *c = ctx;

	assert_true(c->n < 8);
	snprintf(c->seen[c->n++], sizeof(c->seen[0]), "%s", rel);
}

static void read_set(struct kvol_set *s, const char *content)
{
	char path[64];
	int fd = write_file(path, content);

	assert_int_equal(kvol_set_read(s, fd, PODS, want), 0);
	close(fd);
	unlink(path);
}

static void test_kvol_set_read_of_an_empty_table(void **state)
{
	struct kvol_set s = { 0 }, t = { 0 };
	struct changes *none = NULL;

	read_set(&s, "");	/* found by fuzz-mountinfo: qsort(NULL, 0) */
	assert_int_equal(s.n, 0);
	assert_int_equal(s.lines, 0);
	read_set(&t, "\n\n");
	assert_int_equal(t.n, 0);
	assert_int_equal(t.bad_lines, 2);
	assert_int_equal(kvol_set_diff(&s, &t, record, none), 0);
	kvol_set_free(&s);
	kvol_set_free(&t);
}

static void test_kvol_set_diff_reports_mounts_that_came_went_or_moved(void **state)
{
	struct kvol_set a = { 0 }, b = { 0 };
	struct changes c = { 0 };

	read_set(&a, "5 1 0:1 / " PODS "/p/volumes/kubernetes.io~secret/keep rw - tmpfs t rw\n"
		     "6 1 0:1 / " PODS "/p/volumes/kubernetes.io~secret/gone rw - tmpfs t rw\n"
		     "7 1 0:1 / " PODS "/q/volumes/kubernetes.io~secret/moved rw - tmpfs t rw\n");
	read_set(&b, "9 1 0:1 / " PODS "/r/volumes/kubernetes.io~secret/new rw - tmpfs t rw\n"
		     "7 1 0:1 / " PODS "/s/volumes/kubernetes.io~secret/moved rw - tmpfs t rw\n"
		     "5 1 0:1 / " PODS "/p/volumes/kubernetes.io~secret/keep rw - tmpfs t rw\n");
	assert_int_equal(kvol_set_diff(&a, &b, record, &c), 4);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.seen[0], "p/volumes/kubernetes.io~secret/gone");
	assert_string_equal(c.seen[1], "q/volumes/kubernetes.io~secret/moved");
	assert_string_equal(c.seen[2], "s/volumes/kubernetes.io~secret/moved");
	assert_string_equal(c.seen[3], "r/volumes/kubernetes.io~secret/new");
	c.n = 0;
	assert_int_equal(kvol_set_diff(&b, &b, record, &c), 0);
	kvol_set_free(&a);
	kvol_set_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mountinfo_unescape_decodes_the_kernels_octal_escapes),
		cmocka_unit_test(test_mountinfo_parse_line_takes_id_and_mount_point),
		cmocka_unit_test(test_mountinfo_volume_rel_accepts_only_volume_dirs),
		cmocka_unit_test(test_kvol_set_read_keeps_volumes_sorted_and_survives_long_lines),
		cmocka_unit_test(test_kvol_set_read_of_an_empty_table),
		cmocka_unit_test(test_kvol_set_diff_reports_mounts_that_came_went_or_moved),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
