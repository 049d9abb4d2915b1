// SPDX-License-Identifier: Apache-2.0
/*
 * test_safepath.c - resolution below a host root: absolute and climbing
 * links stay inside it, symlinks are followed only by policy, objects are
 * opened O_PATH (a FIFO is stat()ed, never opened), small public reads are
 * bounded.
 */
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
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/discovery/safepath.h"

static char root[PATH_MAX];

static void mkdirs(const char *rel)
{
	char path[PATH_MAX], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

static void put(const char *rel, const char *content)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void link_rel(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/cw-test-safepath.XXXXXX");
	assert_non_null(mkdtemp(root));
	mkdirs("home/alice/.kube");
	mkdirs("home/alice/real");
	mkdirs("etc");
	mkdirs("data/kubelet/pki");
	mkdirs("vol/..2026_01_01_00_00_00.1");
	put("etc/ld.so.cache", "host file");
	put("home/alice/real/config", "CWMARKER-alice");
	put("data/kubelet/pki/kubelet-client-2026.pem", "CWMARKER-pem");
	put("vol/..2026_01_01_00_00_00.1/token", "CWMARKER-token");
	link_rel("..2026_01_01_00_00_00.1", "vol/..data");
	link_rel("..data/token", "vol/token");
	link_rel("../../../etc/passwd-elsewhere", "vol/climb");
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd);
}

static struct safepath *open_root(void)
{
	struct safepath_opts o = { .root = root };
	struct safepath *sp;

	assert_int_equal(safepath_new(&sp, &o), 0);
	return sp;
}

static int try_open(struct safepath *sp, const char *path, const char *trusted,
		    enum safepath_follow follow, struct safepath_res *res)
{
	struct safepath_policy pol = { .trusted = trusted, .follow = follow };

	return safepath_stat(sp, path, &pol, res);
}

static void test_safepath_absolute_link_stays_in_the_root(void **state)
{
	struct safepath *sp = open_root();
	struct safepath_res res;

	(void)state;
	/* /var/lib/kubelet -> /data/kubelet: root's own layout, in the trusted part */
	mkdirs("var/lib");
	link_rel("/data/kubelet", "var/lib/kubelet");
	assert_int_equal(try_open(sp, "/var/lib/kubelet/pki/kubelet-client-2026.pem",
				  "/var/lib/kubelet/pki", SAFEPATH_FOLLOW_NONE, &res), 0);
	assert_string_equal(res.resolved, "/data/kubelet/pki/kubelet-client-2026.pem");
	/* an absolute link to /etc/ld.so.cache is the host root's etc, never the real /etc */
	link_rel("/etc/ld.so.cache", "home/alice/.kube/config");
	assert_int_equal(try_open(sp, "/home/alice/.kube/config", "/home/alice",
				  SAFEPATH_FOLLOW_WITHIN, &res), -EXDEV);
	assert_string_equal(res.resolved, "/etc/ld.so.cache");
	assert_string_equal(res.link, "/home/alice/.kube/config");
	assert_string_equal(res.target, "/etc/ld.so.cache");
	/* climbing far above the root ends at the root */
	link_rel("../../../../../../../../../../etc/ld.so.cache", "home/alice/.kube/config");
	assert_int_equal(try_open(sp, "/home/alice/.kube/config", "", SAFEPATH_FOLLOW_WITHIN, &res),
			 0);
	assert_string_equal(res.resolved, "/etc/ld.so.cache");
	safepath_free(sp);
}

static void test_safepath_follows_links_only_by_policy(void **state)
{
	struct safepath *sp = open_root();
	struct safepath_res res;

	(void)state;
	/* a user's link inside their own home */
	link_rel("../real/config", "home/alice/.kube/config");
	assert_int_equal(try_open(sp, "/home/alice/.kube/config", "/home/alice",
				  SAFEPATH_FOLLOW_WITHIN, &res), 0);
	assert_string_equal(res.resolved, "/home/alice/real/config");
	assert_int_equal(res.links, 1);
	/* the same link under follow none */
	assert_int_equal(try_open(sp, "/home/alice/.kube/config", "/home/alice",
				  SAFEPATH_FOLLOW_NONE, &res), -ELOOP);
	assert_string_equal(res.link, "/home/alice/.kube/config");
	/* within a narrower directory than the trusted part */
	{
		struct safepath_policy pol = { .trusted = "/home/alice", .within = "/home/alice/.kube",
					       .follow = SAFEPATH_FOLLOW_WITHIN };
		assert_int_equal(safepath_stat(sp, "/home/alice/.kube/config", &pol, &res), -EXDEV);
	}
	/* a directory link leading out: ~/.config -> /etc */
	link_rel("/etc", "home/alice/.config");
	assert_int_equal(try_open(sp, "/home/alice/.config/ld.so.cache", "/home/alice",
				  SAFEPATH_FOLLOW_WITHIN, &res), -EXDEV);
	safepath_free(sp);
}

static void test_safepath_atomic_writer_links_only(void **state)
{
	struct safepath *sp = open_root();
	struct safepath_res res;

	(void)state;
	assert_int_equal(try_open(sp, "/vol/token", "/vol", SAFEPATH_FOLLOW_ATOMIC_WRITER, &res), 0);
	assert_string_equal(res.resolved, "/vol/..2026_01_01_00_00_00.1/token");
	assert_int_equal(res.links, 2);
	assert_int_equal(try_open(sp, "/vol/climb", "/vol", SAFEPATH_FOLLOW_ATOMIC_WRITER, &res),
			 -ELOOP);
	/* KEY -> ..data/OTHER is not the writer's */
	link_rel("..data/token", "vol/other");
	assert_int_equal(try_open(sp, "/vol/other", "/vol", SAFEPATH_FOLLOW_ATOMIC_WRITER, &res),
			 -ELOOP);
	safepath_free(sp);
}

static void test_safepath_never_opens_for_reading(void **state)
{
	struct safepath *sp = open_root();
	struct safepath_policy pol = { .trusted = "/etc" };
	struct safepath_res res;
	char path[PATH_MAX], buf[64];

	(void)state;
	snprintf(path, sizeof(path), "%s/etc/fifo", root);
	assert_int_equal(mkfifo(path, 0600), 0);
	/* a FIFO is stat()ed as what it is, never opened (it would block) */
	assert_int_equal(safepath_stat(sp, "/etc/fifo", &pol, &res), 0);
	assert_true(S_ISFIFO(res.st.st_mode));
	/* a file below a directory, and a directory */
	assert_int_equal(safepath_stat(sp, "/etc/ld.so.cache", &pol, &res), 0);
	assert_true(S_ISREG(res.st.st_mode));
	assert_int_equal(res.st.st_size, 9);
	assert_int_equal(safepath_stat(sp, "/etc", &pol, &res), 0);
	assert_true(S_ISDIR(res.st.st_mode));
	/* small reads refuse what is not a regular file, and what is too big */
	assert_int_equal(safepath_read_small(sp, "/etc/fifo", &pol, buf, sizeof(buf)), -EINVAL);
	assert_int_equal(safepath_read_small(sp, "/etc/ld.so.cache", &pol, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "host file");
	assert_int_equal(safepath_read_small(sp, "/etc/ld.so.cache", &pol, buf, 5), -EFBIG);
	safepath_free(sp);
}

static void test_safepath_rejects_bad_input(void **state)
{
	struct safepath *sp = open_root();
	struct safepath_res res;
	char deep[PATH_MAX];
	size_t off = 0;

	(void)state;
	assert_int_equal(try_open(sp, "relative/path", "", SAFEPATH_FOLLOW_NONE, &res), -EINVAL);
	assert_int_equal(try_open(sp, "/etc/ld.so.cache", "/home", SAFEPATH_FOLLOW_NONE, &res),
			 -EINVAL);
	assert_int_equal(try_open(sp, "/etc/ld.so.cache/x", "", SAFEPATH_FOLLOW_NONE, &res),
			 -ENOTDIR);
	assert_int_equal(try_open(sp, "/nope/x", "", SAFEPATH_FOLLOW_NONE, &res), -ENOENT);
	/* a loop of links ends, it does not spin */
	link_rel("loop2", "etc/loop1");
	link_rel("loop1", "etc/loop2");
	assert_int_equal(try_open(sp, "/etc/loop1", "/etc", SAFEPATH_FOLLOW_WITHIN, &res), -ELOOP);
	/* more components than the walk keeps */
	while (off + 3 < sizeof(deep) - 8 && off < 2 * SAFEPATH_MAX_DEPTH + 10)
		off += (size_t)snprintf(deep + off, sizeof(deep) - off, "/a");
	mkdirs(deep + 1);
	assert_int_equal(try_open(sp, deep, "", SAFEPATH_FOLLOW_NONE, &res), -ENAMETOOLONG);
	safepath_free(sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safepath_absolute_link_stays_in_the_root),
		cmocka_unit_test(test_safepath_follows_links_only_by_policy),
		cmocka_unit_test(test_safepath_atomic_writer_links_only),
		cmocka_unit_test(test_safepath_never_opens_for_reading),
		cmocka_unit_test(test_safepath_rejects_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
