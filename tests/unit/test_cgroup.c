// SPDX-License-Identifier: Apache-2.0
/* test_cgroup.c - cgroup path layouts and the cgroup id cache on real cgroup2 dirs. */
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

#include "user/cgroup.h"

#define UID "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
#define UID_ "0f1e2d3c_4b5a_6978_8796_a5b4c3d2e1f0"
#define CID "4c3b2a1908f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5c4b3a29180f7e6d5"

struct layout {
	const char *path;
	int ret;
	enum cgroup_kind kind;
	const char *container_id;	/* NULL: "" */
	const char *pod_uid;
	const char *runtime;
	const char *qos;
};

static const struct layout accepted[] = {
	/* systemd driver, each runtime and QoS class */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope",
	  0, CG_CONTAINER, CID, UID, "containerd", "besteffort" },
	{ "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/crio-" CID ".scope",
	  0, CG_CONTAINER, CID, UID, "cri-o", "burstable" },
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_ ".slice/docker-" CID ".scope",
	  0, CG_CONTAINER, CID, UID, "docker", "burstable" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope",
	  0, CG_CONTAINER, CID, UID, "containerd", "guaranteed" },
	/* a container's own sub-cgroup (systemd inside the container) */
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-" CID ".scope/init.scope",
	  0, CG_CONTAINER, CID, UID, "containerd", "guaranteed" },
	/* kind-style nesting under kubelet.slice */
	{ "/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-pod" UID_ ".slice/cri-containerd-" CID ".scope",
	  0, CG_CONTAINER, CID, UID, "containerd", "besteffort" },
	/* cgroupfs driver */
	{ "/kubepods/besteffort/pod" UID "/" CID, 0, CG_CONTAINER, CID, UID, "", "besteffort" },
	{ "/kubepods/burstable/pod" UID "/" CID, 0, CG_CONTAINER, CID, UID, "", "burstable" },
	{ "/kubepods/pod" UID "/" CID, 0, CG_CONTAINER, CID, UID, "", "guaranteed" },
	{ "/kubepods/besteffort/pod" UID "/crio-" CID, 0, CG_CONTAINER, CID, UID, "cri-o", "besteffort" },
	{ "/kubepods/besteffort/pod" UID "/cri-containerd-" CID, 0, CG_CONTAINER, CID, UID, "containerd", "besteffort" },
	/* static pods have 32-hex uids */
	{ "/kubepods/burstable/pod0123456789abcdef0123456789abcdef/" CID, 0, CG_CONTAINER, CID,
	  "0123456789abcdef0123456789abcdef", "", "burstable" },
	/* pod-level cgroups, and cri-o's monitor which lives at pod level */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_ ".slice",
	  0, CG_POD, NULL, UID, "", "besteffort" },
	{ "/kubepods/pod" UID, 0, CG_POD, NULL, UID, "", "guaranteed" },
	{ "/kubepods.slice/kubepods-pod" UID_ ".slice/crio-conmon-" CID ".scope",
	  0, CG_POD, NULL, UID, "", "guaranteed" },
	/* host processes */
	{ "/", 0, CG_HOST, "host", NULL, "", "" },
	{ "", 0, CG_HOST, "host", NULL, "", "" },
	{ "/system.slice/containerd.service", 0, CG_HOST, "host", NULL, "", "" },
	{ "/user.slice/user-0.slice/session-3.scope", 0, CG_HOST, "host", NULL, "", "" },
	{ "//system.slice///kubelet.service/", 0, CG_HOST, "host", NULL, "", "" },
	/* a container without a pod */
	{ "/system.slice/docker-" CID ".scope", 0, CG_CONTAINER, CID, NULL, "docker", "" },
};

static const char *const malformed[] = {
	"/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podNOTAUID.slice/cri-containerd-" CID ".scope",
	"/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-XYZ.scope",
	"/kubepods.slice/kubepods-pod" UID_ ".slice/something-else.scope",
	"/kubepods.slice/kubepods-pod" UID_ ".slice/cri-containerd-.scope",
	"/kubepods.slice/kubepods-pod.slice",
	"/kubepods/besteffort/pod/" CID,
	"/kubepods/besteffort/pod" UID "/short",
	"/kubepods/besteffort/pod" UID "/../../system.slice",
	"/kubepods/besteffort/notapod/" CID,
	"/kubepods/besteffort/pod" UID "/" CID "Z",
	"/kubepods/pod" UID "\xff/" CID,
	"/kubepods/pod" UID "\n/" CID,
	"/kubepods.slice/kubepods-pod" UID_ "_extra_chars_here.slice",
	"/kubepods/besteffort/pod" UID "/" CID CID CID,	/* id longer than 128 */
};

static void check_layout(const struct layout *l)
{
	struct cgroup_attr a;
	int ret = cgroup_path_parse(l->path, &a);

	if (ret != l->ret || a.kind != l->kind)
		fail_msg("%s: ret %d kind %s", l->path, ret, cgroup_kind_name(a.kind));
	assert_string_equal(a.container_id, l->container_id ? l->container_id : "");
	assert_string_equal(a.pod_uid, l->pod_uid ? l->pod_uid : "");
	assert_string_equal(a.runtime, l->runtime);
	assert_string_equal(a.qos, l->qos);
}

static void test_cgroup_parse_accepts_every_kubelet_layout(void **state)
{
	for (size_t i = 0; i < sizeof(accepted) / sizeof(accepted[0]); i++)
		check_layout(&accepted[i]);
}

static void test_cgroup_parse_rejects_malformed_as_unknown(void **state)
{
	for (size_t i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		struct cgroup_attr a;
		int ret = cgroup_path_parse(malformed[i], &a);

		if (ret != -EINVAL || a.kind != CG_UNKNOWN)
			fail_msg("accepted malformed %s: ret %d kind %s", malformed[i], ret,
				 cgroup_kind_name(a.kind));
		assert_string_equal(a.container_id, "");
		assert_string_equal(a.pod_uid, "");
	}
}

/* Found by tests/fuzz/cgroup_path: 37..39 characters fit the buffer but are no uid. */
static void test_cgroup_parse_rejects_uid_longer_than_36(void **state)
{
	static const char *const paths[] = {
		"/kubepods/besteffort/pod" UID "-/" CID,
		"/kubepods/pod0f1e2d3c-4b5a--6978-8796-a5b4c3d2e1f0/" CID,
		"/kubepods.slice/kubepods-pod" UID_ "___.slice/cri-containerd-" CID ".scope",
	};
	struct cgroup_attr a;

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(cgroup_path_parse(paths[i], &a), -EINVAL);
		assert_int_equal(a.kind, CG_UNKNOWN);
		assert_string_equal(a.pod_uid, "");
	}
	/* the 36-character form is still accepted */
	assert_int_equal(cgroup_path_parse("/kubepods/pod" UID "/" CID, &a), 0);
	assert_string_equal(a.pod_uid, UID);
}

static void test_cgroup_parse_kubepods_without_pod_is_unknown(void **state)
{
	struct cgroup_attr a;

	assert_int_equal(cgroup_path_parse("/kubepods.slice", &a), -ENOENT);
	assert_int_equal(a.kind, CG_UNKNOWN);
	assert_int_equal(cgroup_path_parse("/kubepods.slice/kubepods-burstable.slice", &a), -ENOENT);
	assert_int_equal(a.kind, CG_UNKNOWN);
	assert_int_equal(cgroup_path_parse("/kubepods/besteffort", &a), -ENOENT);
	assert_int_equal(a.kind, CG_UNKNOWN);
}

/* proc.systemd_unit: system services only; a user's unit of the same name is none. */
static void test_cgroup_parse_system_unit_of_host_processes(void **state)
{
	static const struct { const char *path, *unit; } cases[] = {
		{ "/system.slice/kubelet.service", "kubelet.service" },
		{ "system.slice/containerd.service/sub", "containerd.service" },
		{ "/user.slice/user-1000.slice/user@1000.service/app.slice/kubelet.service", "" },
		{ "/kubelet.service", "" },
		{ "/system.slice/run-r1.scope", "" },
		{ "/system.slice", "" },
		{ "/", "" },
		{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod0a1b2c3d_0000_4000_8000_000000000001.slice", "" },
	};
	struct cgroup_attr a;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cgroup_path_parse(cases[i].path, &a);
		assert_string_equal(a.unit, cases[i].unit);
	}
}

static void test_cgroup_parse_survives_huge_and_random_paths(void **state)
{
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	struct cgroup_attr a;
	unsigned int seed = 12345;

	assert_non_null(big);
	/* One megabyte of "/kubepods/" then a pod uid far too long. */
	memset(big, 'a', n);
	memcpy(big, "/kubepods/pod", 13);
	big[n] = '\0';
	assert_int_equal(cgroup_path_parse(big, &a), -EINVAL);
	assert_int_equal(a.kind, CG_UNKNOWN);
	/* Deeply nested host path. */
	for (size_t i = 0; i < n; i += 2)
		memcpy(big + i, "/x", 2);
	assert_int_equal(cgroup_path_parse(big, &a), 0);
	assert_int_equal(a.kind, CG_HOST);
	/* Random bytes, with the interesting tokens sprinkled in. */
	for (int round = 0; round < 2000; round++) {
		static const char *const tok[] = { "/", "kubepods", ".slice", "-pod", "pod",
			UID, UID_, CID, ".scope", "crio-", "docker-", "cri-containerd-",
			"besteffort", "..", "\xff", "-", "_" };
		size_t len = 0, want = (size_t)(rand_r(&seed) % 400);

		while (len < want) {
			const char *t = tok[rand_r(&seed) % (sizeof(tok) / sizeof(tok[0]))];
			size_t tl = strlen(t);

			if (rand_r(&seed) % 4 == 0) {
				big[len++] = (char)(1 + rand_r(&seed) % 255);
				continue;
			}
			memcpy(big + len, t, tl);
			len += tl;
		}
		big[len] = '\0';
		int ret = cgroup_path_parse(big, &a);

		assert_true(ret == 0 || ret == -EINVAL || ret == -ENOENT);
		assert_true(ret == 0 || a.kind == CG_UNKNOWN);
		assert_true(strlen(a.container_id) < sizeof(a.container_id));
		assert_true(strlen(a.pod_uid) < sizeof(a.pod_uid));
	}
	free(big);
}

/* Real cgroup2 directories, named like kubelet's. */
static char cg_root[PATH_MAX];

static int setup_root(void **state)
{
	return cgroup_root_detect("/", cg_root, sizeof(cg_root)) ? -1 : 0;
}

static uint64_t mkcg(const char *rel)
{
	char p[PATH_MAX * 2];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", cg_root, rel);
	if (mkdir(p, 0755) && errno != EEXIST)
		fail_msg("mkdir %s: %s", p, strerror(errno));
	assert_int_equal(stat(p, &st), 0);
	return st.st_ino;
}

static void rmcg(const char *rel)
{
	char p[PATH_MAX * 2];

	snprintf(p, sizeof(p), "%s/%s", cg_root, rel);
	rmdir(p);
}

#define T_ROOT "cwtest-cg-kubepods.slice"
#define T_QOS T_ROOT "/cwtest-cg-kubepods-burstable.slice"
#define T_POD T_QOS "/cwtest-cg-kubepods-burstable-pod" UID_ ".slice"
#define T_CTR T_POD "/cri-containerd-" CID ".scope"
#define T_HOST "cwtest-host.slice"

static void cache_resolves(bool no_handles)
{
	struct cgroup_cache_opts o = { .root = cg_root, .no_handles = no_handles,
				       .max_entries = 2, .negative_ttl_ms = 60000 };
	struct cgroup_cache_stats st;
	struct cgroup_cache *c;
	struct cgroup_attr a;
	uint64_t ctr, pod, host, gone;

	mkcg(T_ROOT);
	mkcg(T_QOS);
	pod = mkcg(T_POD);
	ctr = mkcg(T_CTR);
	host = mkcg(T_HOST);
	gone = mkcg(T_HOST "/gone");
	rmcg(T_HOST "/gone");

	assert_int_equal(cgroup_cache_new(&c, &o), 0);
	assert_non_null(c);
	assert_int_equal(cgroup_cache_lookup(c, ctr, &a), 0);
	assert_int_equal(a.kind, CG_CONTAINER);
	assert_string_equal(a.container_id, CID);
	assert_string_equal(a.pod_uid, UID);
	assert_string_equal(a.qos, "burstable");
	assert_int_equal(cgroup_cache_lookup(c, ctr, &a), 0);	/* hit */
	assert_int_equal(cgroup_cache_lookup(c, pod, &a), 0);
	assert_int_equal(a.kind, CG_POD);
	assert_int_equal(cgroup_cache_lookup(c, host, &a), 0);	/* evicts ctr */
	assert_int_equal(a.kind, CG_HOST);
	assert_string_equal(a.container_id, "host");
	assert_int_equal(cgroup_cache_lookup(c, gone, &a), -ENOENT);
	assert_int_equal(a.kind, CG_UNKNOWN);
	assert_int_equal(cgroup_cache_lookup(c, gone, &a), -ENOENT);	/* negative hit */
	assert_int_equal(cgroup_cache_lookup(c, ctr, &a), 0);	/* re-resolved */
	assert_string_equal(a.container_id, CID);
	cgroup_cache_stats(c, &st);
	assert_int_equal(st.max_entries, 2);
	assert_true(st.entries <= 2);
	assert_true(st.evictions >= 2);
	assert_int_equal(st.hits, 2);
	assert_int_equal(st.misses, 5);
	assert_int_equal(st.not_found, 1);
	if (no_handles)
		assert_true(st.walks >= 5);
	else
		assert_int_equal(st.handle_resolves, 4);
	cgroup_cache_free(c);

	rmcg(T_CTR);
	rmcg(T_POD);
	rmcg(T_QOS);
	rmcg(T_ROOT);
	rmcg(T_HOST);
}

static void test_cgroup_cache_resolves_ids_by_file_handle(void **state)
{
	cache_resolves(false);
}

static void test_cgroup_cache_resolves_ids_by_bounded_walk(void **state)
{
	cache_resolves(true);
}

static void test_cgroup_cache_root_cgroup_is_host(void **state)
{
	struct cgroup_cache_opts o = { .root = cg_root };
	struct cgroup_cache *c = NULL;
	struct cgroup_attr a;
	struct stat st;

	assert_int_equal(cgroup_cache_new(&c, &o), 0);
	assert_non_null(c);
	assert_int_equal(stat(cg_root, &st), 0);
	assert_int_equal(cgroup_cache_lookup(c, st.st_ino, &a), 0);
	assert_int_equal(a.kind, CG_HOST);
	cgroup_cache_free(c);
}

static void test_cgroup_cache_walk_budget_is_bounded(void **state)
{
	struct cgroup_cache_opts o = { .root = cg_root, .no_handles = true, .walk_max_dirs = 1 };
	struct cgroup_cache *c;
	struct cgroup_attr a;
	uint64_t ctr;

	mkcg(T_ROOT);
	mkcg(T_QOS);
	mkcg(T_POD);
	ctr = mkcg(T_CTR);
	assert_int_equal(cgroup_cache_new(&c, &o), 0);
	assert_non_null(c);
	assert_int_not_equal(cgroup_cache_lookup(c, ctr, &a), 0);
	assert_int_equal(a.kind, CG_UNKNOWN);
	cgroup_cache_free(c);
	rmcg(T_CTR);
	rmcg(T_POD);
	rmcg(T_QOS);
	rmcg(T_ROOT);
}

static void test_cgroup_cache_rejects_missing_root(void **state)
{
	struct cgroup_cache_opts o = { .root = "/nonexistent/cgroup" };
	struct cgroup_cache *c = (struct cgroup_cache *)1;

	assert_int_equal(cgroup_cache_new(&c, &o), -ENOENT);
	assert_null(c);
}

static void test_cgroup_root_detect_uses_host_root_mountinfo(void **state)
{
	char tmp[] = "/tmp/cwcg.XXXXXX", p[PATH_MAX], out[PATH_MAX];
	FILE *f;

	assert_non_null(mkdtemp(tmp));
	snprintf(p, sizeof(p), "%s/proc", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc/1", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/sys fs", tmp);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/proc/1/mountinfo", tmp);
	f = fopen(p, "w");
	assert_non_null(f);
	fprintf(f, "25 1 0:22 / /sys rw - sysfs sysfs rw\n"
		   "30 25 0:26 / /sys\\040fs rw,nosuid - cgroup2 cgroup2 rw\n");
	fclose(f);
	assert_int_equal(cgroup_root_detect(tmp, out, sizeof(out)), 0);
	snprintf(p, sizeof(p), "%s/sys fs", tmp);
	assert_string_equal(out, p);
	snprintf(p, sizeof(p), "rm -rf '%s'", tmp);
	assert_int_equal(system(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cgroup_parse_accepts_every_kubelet_layout),
		cmocka_unit_test(test_cgroup_parse_rejects_malformed_as_unknown),
		cmocka_unit_test(test_cgroup_parse_rejects_uid_longer_than_36),
		cmocka_unit_test(test_cgroup_parse_kubepods_without_pod_is_unknown),
		cmocka_unit_test(test_cgroup_parse_system_unit_of_host_processes),
		cmocka_unit_test(test_cgroup_parse_survives_huge_and_random_paths),
		cmocka_unit_test(test_cgroup_cache_resolves_ids_by_file_handle),
		cmocka_unit_test(test_cgroup_cache_resolves_ids_by_bounded_walk),
		cmocka_unit_test(test_cgroup_cache_root_cgroup_is_host),
		cmocka_unit_test(test_cgroup_cache_walk_budget_is_bounded),
		cmocka_unit_test(test_cgroup_cache_rejects_missing_root),
		cmocka_unit_test(test_cgroup_root_detect_uses_host_root_mountinfo),
	};

	return cmocka_run_group_tests(tests, setup_root, NULL);
}
