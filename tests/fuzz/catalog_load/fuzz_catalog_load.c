// SPDX-License-Identifier: Apache-2.0
/*
 * fuzz_catalog_load.c - libFuzzer harness for the credential catalog loader
 * and matcher (user/discovery/catalog_load.c and catalog_scan.c, libyaml
 * underneath): catalog files are written by hand, by operators and in the
 * chart's values. Each input is
 * one catalog file. A rejected file must say why (FILE:LINE); a loaded one
 * is matched against a small fixed host tree (links in and out of a home, a
 * manifest, a CSI volume), where every match must name a path inside the
 * tree and its entry.
 */
#include <limits.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz_common.h"
#include "user/discovery/catalog.h"

#define CHECK(x) do { if (!(x)) __builtin_trap(); } while (0)

static char tree[PATH_MAX - 128];

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], *s;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	for (s = strchr(path + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(path, 0755);
		*s = '/';
	}
	f = fopen(path, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void link_in(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	(void)symlink(target, path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	/*
	 * libFuzzer ends without running exit handlers, so the tree cannot
	 * remove itself: under $TMPDIR, which `make fuzz-catalog-load` points
	 * into the build directory and empties before each run.
	 */
	snprintf(tree, sizeof(tree), "%s/cw-fuzz-catalog.XXXXXX",
		 getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(tree))
		abort();
	put("etc/kubernetes/admin.conf", "x");
	put("etc/kubernetes/pki/etcd/ca.key", "x");
	put("etc/kubernetes/manifests/etcd.yaml",
	    "spec:\n  containers:\n  - command: [etcd, --data-dir=/var/lib/etcd]\n"
	    "    volumeMounts: [{name: d, mountPath: /var/lib/etcd}]\n"
	    "  volumes: [{name: d, hostPath: {path: /data/etcd}}]\n");
	put("data/etcd/member/snap/db", "x");
	put("home/alice/.ssh/id_rsa", "x");
	put("home/alice/.ssh/id_rsa.pub", "x");
	put("home/alice/x/a/b/y", "x");
	link_in("/etc/kubernetes/admin.conf", "home/alice/.kube");
	link_in("../..", "home/alice/x/up");
	put("var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/v/vol_data.json",
	    "{\"driverName\":\"d\"}");
	put("var/lib/kubelet/pods/p/volumes/kubernetes.io~csi/v/mount/k", "x");
	return 0;
}

static int on_hit(void *ctx, const struct catalog_hit *h)
{
	(void)ctx;
	CHECK(h->entry && h->entry->name && h->path && h->path[0] == '/');
	CHECK(h->refused < CATALOG_REFUSED__COUNT);
	CHECK(h->refused != CATALOG_OK || (h->st && S_ISREG(h->st->st_mode)));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct catalog_diag diag = { 0 };
	char path[64];
	const char *files[1] = { path };
	struct catalog_opts o = { files, 1, &diag };
	struct safepath_opts so = { .root = tree };
	struct catalog_scan_cbs cbs = { on_hit, NULL, NULL };
	struct catalog_target node = { .scope = CATALOG_SCOPE_NODE };
	struct catalog_target home = { .scope = CATALOG_SCOPE_HOME, .base = "/home/alice",
				       .user = "alice", .uid = 0 };
	struct catalog_target pod = { .scope = CATALOG_SCOPE_POD,
				      .base = "/var/lib/kubelet/pods/p", .pod_uid = "p" };
	struct safepath *sp = NULL;
	struct catalog *c = NULL;
	int fd, r;

	fd = fuzz_memfd(data, size, path, sizeof(path));
	if (fd < 0)
		return 0;
	r = catalog_new(&c, &o);
	if (r) {
		CHECK(!c && diag.count > 0);	/* every rejection says why, with the file */
		for (int i = 0; i < diag.count; i++)
			CHECK(strstr(diag.items[i], path) == diag.items[i]);
		goto cleanup;
	}
	for (int i = 0; i < catalog_count(c); i++) {
		const struct catalog_entry *e = catalog_entry(c, i);

		CHECK(e->name && e->max >= 1 && e->depth >= 0 && e->depth <= CATALOG_DEPTH_LIMIT);
		CHECK(e->paths.n > 0 || e->flag_manifest);
	}
	if (safepath_new(&sp, &so))
		goto cleanup;
	CHECK(catalog_scan(c, sp, &node, &cbs) == 0);
	CHECK(catalog_scan(c, sp, &home, &cbs) == 0);
	CHECK(catalog_scan(c, sp, &pod, &cbs) == 0);
cleanup:
	safepath_free(sp);
	catalog_free(c);
	close(fd);
	return 0;
}
