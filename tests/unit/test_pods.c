// SPDX-License-Identifier: Apache-2.0
/* test_pods.c - node-local pod identity from fixture /var/log/pods trees. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/pods.h"

#define FIXTURE "tests/fixtures/attrib/hostroot"
#define UA "11111111-2222-3333-4444-555555555555"
#define UB "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
#define UC "0123456789abcdef0123456789abcdef"
#define CA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CB "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CC "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

static struct pods *new_pods(const struct pods_opts *o)
{
	struct pods *p = NULL;

	assert_int_equal(pods_new(&p, o), 0);
	assert_non_null(p);
	return p;
}

static bool has_container(const struct pod_ident *pi, const char *name)
{
	for (size_t i = 0; i < pi->ncontainers; i++)
		if (!strcmp(pi->containers[i], name))
			return true;
	return false;
}

static void test_pods_lookup_gives_namespace_name_and_containers(void **state)
{
	struct pods_opts o = { .host_root = FIXTURE };
	struct pods *p = new_pods(&o);
	struct pod_ident pi;
	struct pods_stats st;

	assert_non_null(p);
	assert_int_equal(pods_lookup(p, UA, &pi), 0);
	assert_string_equal(pi.ns, "default");
	assert_string_equal(pi.name, "web-1");
	assert_int_equal(pi.ncontainers, 2);
	assert_true(has_container(&pi, "nginx"));
	assert_true(has_container(&pi, "sidecar"));
	assert_int_equal(pods_lookup(p, UB, &pi), 0);
	assert_string_equal(pi.ns, "kube-system");
	assert_string_equal(pi.name, "coredns-6d4b");
	assert_int_equal(pods_lookup(p, UC, &pi), 0);	/* static pod uid */
	assert_string_equal(pi.name, "etcd-node1");
	assert_int_equal(pods_lookup(p, "99999999-0000-0000-0000-000000000000", &pi), -ENOENT);
	assert_int_equal(pods_lookup(p, "", &pi), -ENOENT);
	pods_stats(p, &st);
	assert_int_equal(st.pods, 3);
	assert_true(st.skipped >= 2);	/* no-underscores-here, a_b_c_d */
	pods_free(p);
}

static void test_pods_container_id_maps_to_name_and_pod(void **state)
{
	struct pods_opts o = { .host_root = FIXTURE "/" };
	struct pods *p = new_pods(&o);
	char name[64], uid[64];

	assert_int_equal(pods_container(p, CA, name, sizeof(name), uid, sizeof(uid)), 0);
	assert_string_equal(name, "nginx");
	assert_string_equal(uid, UA);
	assert_int_equal(pods_container(p, CB, name, sizeof(name), NULL, 0), 0);
	assert_string_equal(name, "sidecar");
	assert_int_equal(pods_container(p, CC, name, sizeof(name), uid, sizeof(uid)), 0);
	assert_string_equal(name, "coredns");
	assert_string_equal(uid, UB);
	assert_int_equal(pods_container(p, "dead", name, sizeof(name), NULL, 0), -ENOENT);
	pods_free(p);
}

static void test_pods_missing_tree_is_empty_not_an_error(void **state)
{
	struct pods_opts o = { .host_root = "/nonexistent-host-root" };
	struct pods *p = new_pods(&o);
	struct pod_ident pi;

	assert_int_equal(pods_refresh(p), 0);
	assert_int_equal(pods_lookup(p, UA, &pi), -ENOENT);
	pods_free(p);
}

static void mkpod(const char *root, const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/var/log/pods/%s", root, dir);
	assert_int_equal(mkdir(p, 0755), 0);
}

static void test_pods_miss_rescans_at_most_at_the_rate_limit(void **state)
{
	char tmp[] = "/tmp/cwpods.XXXXXX", p[PATH_MAX];
	struct pods_opts slow = { .host_root = tmp, .min_refresh_ms = 3600000, .refresh_ms = 3600000 };
	struct pods_opts fast = { .host_root = tmp, .min_refresh_ms = 1, .refresh_ms = 3600000 };
	struct pods *ps, *pf;
	struct pod_ident pi;

	assert_non_null(mkdtemp(tmp));
	snprintf(p, sizeof(p), "mkdir -p %s/var/log/pods", tmp);
	assert_int_equal(system(p), 0);
	ps = new_pods(&slow);
	pf = new_pods(&fast);
	assert_int_equal(pods_lookup(ps, UA, &pi), -ENOENT);
	assert_int_equal(pods_lookup(pf, UA, &pi), -ENOENT);
	mkpod(tmp, "team-a_api-0_" UA);
	usleep(5000);
	/* The slow index scanned moments ago: a miss does not rescan yet. */
	assert_int_equal(pods_lookup(ps, UA, &pi), -ENOENT);
	assert_int_equal(pods_lookup(pf, UA, &pi), 0);
	assert_string_equal(pi.ns, "team-a");
	assert_int_equal(pods_refresh(ps), 0);
	assert_int_equal(pods_lookup(ps, UA, &pi), 0);
	assert_string_equal(pi.name, "api-0");
	pods_free(ps);
	pods_free(pf);
	snprintf(p, sizeof(p), "rm -rf %s", tmp);
	assert_int_equal(system(p), 0);
}

static void test_pods_index_is_bounded(void **state)
{
	char tmp[] = "/tmp/cwpods.XXXXXX", p[PATH_MAX], dir[128];
	struct pods_opts o = { .host_root = tmp, .max_pods = 5 };
	struct pods_stats st;
	struct pods *ps;

	assert_non_null(mkdtemp(tmp));
	snprintf(p, sizeof(p), "mkdir -p %s/var/log/pods", tmp);
	assert_int_equal(system(p), 0);
	for (int i = 0; i < 20; i++) {
		snprintf(dir, sizeof(dir), "ns_pod-%d_00000000-0000-0000-0000-%012d", i, i);
		mkpod(tmp, dir);
	}
	ps = new_pods(&o);
	assert_int_equal(pods_refresh(ps), 0);
	pods_stats(ps, &st);
	assert_int_equal(st.pods, 5);
	assert_int_equal(st.skipped, 15);
	pods_free(ps);
	snprintf(p, sizeof(p), "rm -rf %s", tmp);
	assert_int_equal(system(p), 0);
}

static void test_pods_hostile_names_are_skipped(void **state)
{
	char tmp[] = "/tmp/cwpods.XXXXXX", p[PATH_MAX], big[250];
	struct pods_opts o = { .host_root = tmp };
	struct pods_stats st;
	struct pod_ident pi;
	struct pods *ps;

	assert_non_null(mkdtemp(tmp));
	snprintf(p, sizeof(p), "mkdir -p %s/var/log/pods %s/var/log/containers", tmp, tmp);
	assert_int_equal(system(p), 0);
	mkpod(tmp, "ns_pod\x01x_" UA);
	mkpod(tmp, "_pod_" UB);
	mkpod(tmp, "ns__" UC);
	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	memcpy(big, "ns_", 3);
	big[200] = '_';
	mkpod(tmp, big);	/* pod name fits, uid far too long */
	snprintf(p, sizeof(p), "%s/var/log/containers/a_b_c-%s.log", tmp, CA);
	assert_int_equal(symlink("/var/log/pods/x/c/0.log", p), 0);	/* no uid in target */
	snprintf(p, sizeof(p), "%s/var/log/containers/a_b_c-XYZ.log", tmp);
	assert_int_equal(symlink("/var/log/pods/ns_a_" UA "/c/0.log", p), 0);
	ps = new_pods(&o);
	assert_int_equal(pods_refresh(ps), 0);
	pods_stats(ps, &st);
	assert_int_equal(st.pods, 0);
	assert_int_equal(st.containers, 0);
	assert_int_equal(pods_lookup(ps, UA, &pi), -ENOENT);
	pods_free(ps);
	snprintf(p, sizeof(p), "rm -rf %s", tmp);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pods_lookup_gives_namespace_name_and_containers),
		cmocka_unit_test(test_pods_container_id_maps_to_name_and_pod),
		cmocka_unit_test(test_pods_missing_tree_is_empty_not_an_error),
		cmocka_unit_test(test_pods_miss_rescans_at_most_at_the_rate_limit),
		cmocka_unit_test(test_pods_index_is_bounded),
		cmocka_unit_test(test_pods_hostile_names_are_skipped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
