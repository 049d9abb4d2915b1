// SPDX-License-Identifier: Apache-2.0
/* test_nodeagents.c - the node-agent inventory: which files it registers, by inode. */
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

#include "user/nodeagents.h"
#include "user/sensor.h"

static char root[PATH_MAX];

static void put(const char *rel, mode_t mode)
{
	char p[PATH_MAX + 64];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", root, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs("#!/bin/true\n", f);
	fclose(f);
	assert_int_equal(chmod(p, mode), 0);
}

static void dir(const char *rel, mode_t mode)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(chmod(p, mode), 0);
}

static void st(const char *rel, struct stat *out)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s%s", root, rel);
	assert_int_equal(stat(p, out), 0);
}

static int setup(void **state)
{
	(void)state;
	snprintf(root, sizeof(root), "/tmp/cw-nodeagents.XXXXXX");
	assert_non_null(mkdtemp(root));
	dir("/usr", 0755);
	dir("/usr/bin", 0755);
	dir("/opt", 0755);
	dir("/opt/drop", 0777);			/* anyone may put files here */
	put("/usr/bin/kubelet", 0755);
	put("/usr/bin/crio", 0775);		/* group-writable: refused */
	put("/opt/drop/kube-proxy", 0755);	/* a world-writable directory: refused */
	/* an absolute symlink resolves inside the root, not on this machine */
	{
		char p[PATH_MAX + 64];

		snprintf(p, sizeof(p), "%s/usr/bin/k", root);
		assert_int_equal(symlink("/usr/bin/kubelet", p), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) ? -1 : 0;
}

static void test_nodeagents_registers_only_trusted_files_by_inode(void **state)
{
	char *paths[] = { "/usr/bin/kubelet", "/usr/bin/crio", "/opt/drop/kube-proxy",
			  "/usr/bin/absent", "/usr/bin/k", "relative/kubelet" };
	struct node_agents *na = NULL;
	const struct node_agent *e;
	struct stat kubelet, crio;

	(void)state;
	assert_int_equal(node_agents_new(&na, &(struct node_agents_opts){
		.host_root = root, .paths = paths, .n_paths = 6 }), 0);
	st("/usr/bin/kubelet", &kubelet);
	st("/usr/bin/crio", &crio);
	if (geteuid() != 0) {	/* nothing here is root's: nothing is trusted */
		assert_int_equal(node_agents_count(na), 0);
		node_agents_free(na);
		return;
	}
	/* kubelet, also through the symlink: one entry per inode */
	assert_int_equal(node_agents_count(na), 1);
	e = node_agents_find(na, kubelet.st_ino, dev_to_kernel(kubelet.st_dev));
	assert_non_null(e);
	assert_string_equal(e->name, "kubelet");
	assert_string_equal(e->source, "config");
	/* the same inode number on another device is another file */
	assert_null(node_agents_find(na, kubelet.st_ino, dev_to_kernel(kubelet.st_dev) + 1));
	assert_null(node_agents_find(na, crio.st_ino, dev_to_kernel(crio.st_dev)));
	assert_null(node_agents_find(na, 0, 0));

	/* a rescan sees a binary replaced in place: a new inode, the old one gone */
	{
		char p[PATH_MAX + 64], q[PATH_MAX + 64];
		struct stat now;

		snprintf(p, sizeof(p), "%s/usr/bin/kubelet.new", root);
		snprintf(q, sizeof(q), "%s/usr/bin/kubelet", root);
		put("/usr/bin/kubelet.new", 0755);
		assert_int_equal(rename(p, q), 0);
		st("/usr/bin/kubelet", &now);
		assert_int_equal(node_agents_scan(na), 1);
		assert_null(node_agents_find(na, kubelet.st_ino, dev_to_kernel(kubelet.st_dev)));
		assert_non_null(node_agents_find(na, now.st_ino, dev_to_kernel(now.st_dev)));
	}
	node_agents_free(na);
}

static void test_nodeagents_defaults_name_the_node_agents(void **state)
{
	const char *const *v;
	size_t n;
	int kubelet = 0, shim = 0;

	(void)state;
	v = node_agents_default_names(&n);
	for (size_t i = 0; i < n; i++) {
		kubelet |= !strcmp(v[i], "kubelet");
		shim |= !strcmp(v[i], "containerd-shim-runc-v2");
	}
	assert_true(kubelet && shim);
	assert_null(v[n]);
	v = node_agents_default_paths(&n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i][0], '/');
	node_agents_free(NULL);
	assert_int_equal(node_agents_count(NULL), 0);
	assert_null(node_agents_get(NULL, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nodeagents_registers_only_trusted_files_by_inode,
						setup, teardown),
		cmocka_unit_test(test_nodeagents_defaults_name_the_node_agents),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
