// SPDX-License-Identifier: Apache-2.0
/*
 * test_catalog.c - the credential catalog: its grammar (accept/reject table,
 * FILE:LINE errors), merging files (a user's entry picked up, a shipped one
 * switched off), matching semantics (ignores, "**", users, follow policies,
 * owners, bounds, CSI driver, static pod manifest flags), and the shipped
 * catalog on one fixture tree per node type (tests/fixtures/catalog/, .tree):
 * every listed credential found with its kind and entry, nothing else.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/creds.h"
#include "user/discovery/catalog.h"
#include "user/discovery/safepath.h"
#include "user/sensor.h"
#include "user/watch.h"
#include "tests/unit/unit_srcdir.h"

static char root[PATH_MAX];	/* a fresh host root per test */
static char srcdir[PATH_MAX];	/* the source tree */

static void find_srcdir(void)
{
	unit_srcdir(srcdir, sizeof(srcdir));
}

static void mkparents(const char *path)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", path);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		mkdir(p, 0755);
		*s = '/';
	}
}

/* A file below the host root (host path hp) holding text. */
static void put(const char *hp, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, hp);
	mkparents(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void mkdir_host(const char *hp)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s/x", root, hp);
	mkparents(path);
}

static void link_host(const char *target, const char *hp)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", root, hp);
	mkparents(path);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

/* A catalog file in the temp dir (not under the host root). */
static void write_file(const char *name, const char *text, char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s.%s", root, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	find_srcdir();
	snprintf(root, sizeof(root), "/tmp/cw-test-catalog.XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX * 2 + 32];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'.*.yaml", root, root);
	return system(cmd) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------ the grammar */

static int load_text(const char *text, struct catalog **c, struct catalog_diag *d)
{
	char path[PATH_MAX];
	const char *files[1] = { path };
	struct catalog_opts o = { files, 1, d };

	write_file("t.yaml", text, path, sizeof(path));
	memset(d, 0, sizeof(*d));
	return catalog_new(c, &o);
}

static void test_catalog_rejects_bad_entries_with_file_and_line(void **state)
{
	static const struct { const char *yaml, *want; } bad[] = {
		{ "- entry: a\n  kind: kubeconfig\n  pathz: [/x]\n", ":3: unknown key 'pathz'" },
		{ "- entry: a\n  kind: password\n  paths: [/x]\n", ":2: kind: one of" },
		{ "- entry: a\n  kind: ssh\n  owner: user\n  paths: [~/.ssh/id_x]\n", ":3: owner: one of" },
		{ "- entry: a\n  kind: ssh\n  paths: [etc/x]\n", ":1: entry 'a': path 'etc/x' must be an absolute" },
		{ "- entry: a\n  kind: ssh\n  owner: home\n  paths: [/root/.ssh/id_x]\n", "must start with ~/" },
		{ "- entry: a\n  kind: ssh\n  paths: [/etc/../x]\n", "has a . or .. component" },
		{ "- entry: a\n  kind: ssh\n  paths: [/etc/a**/x]\n", "** must be a whole component" },
		{ "- entry: a\n  kind: ssh\n  paths: [/etc//x]\n", "empty component" },
		{ "- entry: a\n  kind: ssh\n  paths: [/x]\n- entry: a\n  kind: ssh\n  paths: [/y]\n",
		  ":4: entry 'a' is defined twice in this file (first at line 1)" },
		{ "- entry: a\n  paths: [/x]\n", ":1: entry 'a': needs kind" },
		{ "- entry: a\n  kind: ssh\n", "needs paths or from-flag" },
		{ "- entry: Bad_Name\n  kind: ssh\n  paths: [/x]\n", ":1: entry: a name" },
		{ "- entry: a\n  enabled: false\n", "enabled alone switches an entry of an earlier" },
		{ "- entry: a\n  kind: ssh\n  paths: [/x\n", "YAML syntax" },
		{ "entry: a\nkind: ssh\n", ":1: a catalog file is a sequence" },
		{ "- entry: a\n  kind: secret\n  csi-driver: x.y\n  paths: [/x]\n", "csi-driver is for owner pod" },
		{ "- entry: a\n  kind: secret\n  owner: pod\n  csi-driver: x.y\n  paths: [volumes/x/*]\n",
		  "paths start with volumes/kubernetes.io~csi/" },
		{ "- entry: a\n  kind: etcd\n  from-flag: {manifest: /m.yaml, flag: data-dir}\n",
		  ":3: from-flag.flag: a flag name" },
		{ "- entry: a\n  kind: ssh\n  max: 0\n  paths: [/x]\n", ":3: max: a number from 1 to 65536" },
		{ "- entry: a\n  kind: ssh\n  depth: 17\n  paths: [/x]\n", ":3: depth: a number from 0 to 16" },
		{ "- entry: a\n  kind: ssh\n  follow: home\n  paths: [/x]\n", "follow home is for owner home" },
		{ "- entry: a\n  kind: ssh\n  users: [x]\n  paths: [/x]\n", "users is for owner home" },
		{ "- entry: a\n  kind: ssh\n  severity: urgent\n  paths: [/x]\n", ":3: severity: one of" },
		{ "- entry: a\n  kind: ssh\n  kind: pki\n  paths: [/x]\n", ":3: key 'kind' given twice" },
		{ "- entry: a\n  kind: ssh\n  paths: [/x]\n  finding: leaked\n", ":4: finding:" },
	};
	struct catalog_diag d;
	struct catalog *c;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		bool found = false;

		assert_int_equal(load_text(bad[i].yaml, &c, &d), -EINVAL);
		assert_null(c);
		assert_true(d.count > 0);
		for (int k = 0; k < d.count; k++)
			found |= strstr(d.items[k], bad[i].want) && strstr(d.items[k], "t.yaml");
		if (!found)
			fail_msg("case %zu: no error containing '%s' (first: %s)", i, bad[i].want,
				 d.items[0]);
	}
}

static void test_catalog_accepts_every_form(void **state)
{
	static const char *const good[] = {
		"",
		"# only comments\n",
		"[]\n",
		"- entry: a\n  kind: kubeconfig\n  paths: /etc/x.conf\n",
		"- entry: a\n  kind: kubeconfig\n  paths:\n    - /etc/x.conf\n    - /etc/*.conf\n",
		"- {entry: a, kind: ssh, owner: home, paths: [\"~/.ssh/id_*\"], ignore: [\"*.pub\"]}\n",
		"- entry: a.b_c-1\n  kind: etcd\n  owner: control-plane\n  from-flag:\n"
		"    manifest: /etc/kubernetes/manifests/etcd.yaml\n    flag: --data-dir\n"
		"    paths: [member/snap/db]\n  severity: critical\n  max: 65536\n  depth: 16\n",
		"- entry: a\n  kind: secret\n  owner: pod\n  csi-driver: secrets-store.csi.k8s.io\n"
		"  paths: [volumes/kubernetes.io~csi/*/mount/*]\n",
		"- entry: a\n  kind: kubeconfig\n  owner: home\n  users: [\"*runner*\"]\n"
		"  paths: [~/builds/**/kubeconfig]\n  follow: none\n  finding: ci_workspace_credential\n",
	};
	struct catalog_diag d;
	struct catalog *c;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (load_text(good[i], &c, &d))
			fail_msg("case %zu rejected: %s", i, d.count ? d.items[0] : "?");
		catalog_free(c);
	}
	assert_int_equal(load_text(good[6], &c, &d), 0);
	assert_int_equal(catalog_count(c), 1);
	assert_int_equal(catalog_entry(c, 0)->kind, CW_CRED_ETCD);
	assert_int_equal(catalog_entry(c, 0)->owner, CRED_OWNER_CONTROL_PLANE);
	assert_int_equal(catalog_entry(c, 0)->severity, CATALOG_SEV_CRITICAL);
	assert_string_equal(catalog_entry(c, 0)->flag_name, "--data-dir");
	catalog_free(c);
}

/* The shipped catalog loads, every entry cites its documentation. */
static void test_catalog_shipped_files_load_and_cite_docs(void **state)
{
	char dir[PATH_MAX], path[PATH_MAX + 64], line[4096];
	const char *files[1] = { dir };
	struct catalog_diag d = { 0 };
	struct catalog_opts o = { files, 1, &d };
	struct catalog *c;
	DIR *dd;
	struct dirent *de;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/catalog", srcdir);
	if (catalog_new(&c, &o)) {
		catalog_diag_print(&d, stderr);
		fail();
	}
	assert_true(catalog_count(c) >= 50);
	assert_int_equal(catalog_nfiles(c), 6);
	catalog_free(c);
	/* a comment with a URL before every entry */
	dd = opendir(dir);
	assert_non_null(dd);
	while ((de = readdir(dd))) {
		bool cited = false;
		FILE *f;

		if (!strstr(de->d_name, ".yaml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f = fopen(path, "r");
		assert_non_null(f);
		while (fgets(line, sizeof(line), f)) {
			if (line[0] == '#' && strstr(line, "https://"))
				cited = true;
			if (!strncmp(line, "- entry: ", 9)) {
				if (!cited)
					fail_msg("%s: %s: no documentation cited above it",
						 de->d_name, line + 9);
			}
			if (line[0] == '\n')
				continue;
		}
		fclose(f);
	}
	closedir(dd);
}

/* A user's catalog file adds an entry and switches a shipped one off, no rebuild. */
static void test_catalog_users_entries_are_picked_up(void **state)
{
	char dir[PATH_MAX], user[PATH_MAX];
	const char *files[2] = { dir, user };
	struct catalog_diag d = { 0 };
	struct catalog_opts o = { files, 2, &d };
	struct catalog *c;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/catalog", srcdir);
	write_file("user.yaml", "# ours\n"
		   "- entry: acme-deploy-key\n  kind: ssh\n  paths: [/opt/acme/deploy.key]\n"
		   "- entry: vault-token\n  enabled: false\n"
		   "- entry: netrc\n  kind: token\n  owner: home\n  paths: [~/.netrc, ~/.netrc-acme]\n",
		   user, sizeof(user));
	assert_int_equal(catalog_new(&c, &o), 0);
	assert_non_null(catalog_find(c, "acme-deploy-key"));
	assert_null(catalog_find(c, "vault-token"));
	assert_int_equal(catalog_find(c, "netrc")->paths.n, 2);	/* replaced in place */
	catalog_free(c);
}

/* ------------------------------------------------------------ matching */

struct hits {
	char paths[64][PATH_MAX];
	enum catalog_refusal why[64];
	uint32_t count[64];
	int n;
	char dirs[16][PATH_MAX];
	int ndirs;
};

static int on_hit(void *ctx, const struct catalog_hit *h)
{
	struct hits *x = ctx;

	if (x->n < 64) {
		snprintf(x->paths[x->n], PATH_MAX, "%s", h->path);
		x->why[x->n] = h->refused;
		x->count[x->n] = h->count;
		x->n++;
	}
	return 0;
}

static void on_dir(void *ctx, const char *dir)
{
	struct hits *x = ctx;

	if (x->ndirs < 16)
		snprintf(x->dirs[x->ndirs++], PATH_MAX, "%s", dir);
}

/* The refusal found for path, or -1 when it was not reported. */
static int hit_of(const struct hits *x, const char *path)
{
	for (int i = 0; i < x->n; i++)
		if (!strcmp(x->paths[i], path))
			return (int)x->why[i];
	return -1;
}

static void scan(const char *yaml, const struct catalog_target *t, struct hits *x)
{
	struct safepath_opts so = { .root = root };
	struct catalog_scan_cbs cbs = { on_hit, on_dir, x };
	struct catalog_diag d;
	struct safepath *sp;
	struct catalog *c;

	memset(x, 0, sizeof(*x));
	if (load_text(yaml, &c, &d))
		fail_msg("%s", d.items[0]);
	assert_int_equal(safepath_new(&sp, &so), 0);
	assert_int_equal(catalog_scan(c, sp, t, &cbs), 0);
	safepath_free(sp);
	catalog_free(c);
}

static void test_catalog_matches_globs_ignores_and_depth(void **state)
{
	struct catalog_target node = { .scope = CATALOG_SCOPE_NODE };
	struct hits x;

	(void)state;
	put("/etc/k/a.conf", "x");
	put("/etc/k/b.conf", "x");
	put("/etc/k/skip.conf", "x");
	put("/etc/k/.hidden.conf", "x");
	put("/etc/k/pki/ca.key", "x");
	put("/etc/k/pki/ca.crt", "x");
	put("/etc/k/pki/etcd/server.key", "x");
	put("/etc/k/pki/etcd/deep/too/far.key", "x");
	scan("- entry: a\n  kind: kubeconfig\n  paths: [/etc/k/*.conf]\n  ignore: [skip.conf]\n"
	     "- entry: b\n  kind: pki\n  paths: [/etc/k/pki/**/*.key]\n  depth: 2\n", &node, &x);
	assert_int_equal(hit_of(&x, "/etc/k/a.conf"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/etc/k/b.conf"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/etc/k/skip.conf"), -1);
	assert_int_equal(hit_of(&x, "/etc/k/.hidden.conf"), -1);	/* * matches no leading . */
	assert_int_equal(hit_of(&x, "/etc/k/pki/ca.key"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/etc/k/pki/etcd/server.key"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/etc/k/pki/etcd/deep/too/far.key"), -1);	/* depth 2 */
	assert_int_equal(hit_of(&x, "/etc/k/pki/ca.crt"), -1);
	assert_int_equal(x.n, 4);
	assert_string_equal(x.dirs[0], "/etc/k");	/* where new files are watched for */
}

static void test_catalog_home_entries_follow_links_inside_the_home_only(void **state)
{
	struct catalog_target home = { .scope = CATALOG_SCOPE_HOME, .base = "/home/alice",
				       .user = "alice", .uid = (uint32_t)geteuid() };
	const char *yaml = "- entry: k\n  kind: kubeconfig\n  owner: home\n"
			   "  paths: [~/.kube/config, ~/.kube/*.yaml, ~/.config/gcloud/**]\n"
			   "  ignore: [~/.kube/cache]\n";
	struct hits x;

	(void)state;
	put("/home/alice/dotfiles/kube.yaml", "x");
	link_host("../dotfiles/kube.yaml", "/home/alice/.kube/config");	/* inside: followed */
	link_host("/etc/ld.so.cache", "/home/alice/.kube/prod.yaml");	/* outside: refused */
	put("/etc/ld.so.cache", "host");
	put("/home/alice/.kube/cache/x.yaml", "x");
	mkdir_host("/usr/share/doc");
	put("/usr/share/doc/a", "x");
	link_host("/usr/share", "/home/alice/.config/gcloud");		/* a directory out */
	scan(yaml, &home, &x);
	assert_int_equal(hit_of(&x, "/home/alice/.kube/config"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/home/alice/.kube/prod.yaml"), CATALOG_REFUSED_OUTSIDE);
	assert_int_equal(hit_of(&x, "/home/alice/.config/gcloud"), CATALOG_REFUSED_OUTSIDE);
	assert_int_equal(hit_of(&x, "/home/alice/.kube/cache/x.yaml"), -1);
	assert_int_equal(hit_of(&x, "/usr/share/doc/a"), -1);
	assert_int_equal(x.n, 3);
	/* follow: none refuses even a link that stays home */
	scan("- entry: k\n  kind: kubeconfig\n  owner: home\n  follow: none\n"
	     "  paths: [~/.kube/config]\n", &home, &x);
	assert_int_equal(hit_of(&x, "/home/alice/.kube/config"), CATALOG_REFUSED_SYMLINK);
}

static void test_catalog_home_files_must_be_the_homes_owners(void **state)
{
	/* the scan's home owner is a uid that owns none of these files */
	struct catalog_target home = { .scope = CATALOG_SCOPE_HOME, .base = "/home/bob",
				       .user = "bob", .uid = 4242 };
	char path[PATH_MAX];
	struct hits x;

	(void)state;
	put("/home/bob/.vault-token", "x");
	snprintf(path, sizeof(path), "%s/home/bob/.vault-token", root);
	if (geteuid() == 0)	/* root's own files are allowed: give it to someone else */
		assert_int_equal(chown(path, 4243, 4243), 0);
	scan("- entry: v\n  kind: token\n  owner: home\n  paths: [~/.vault-token]\n", &home, &x);
	assert_int_equal(hit_of(&x, "/home/bob/.vault-token"), CATALOG_REFUSED_OWNER);
	/* users: limits an entry to some homes */
	scan("- entry: v\n  kind: token\n  owner: home\n  users: [\"*runner*\"]\n"
	     "  paths: [~/.vault-token]\n", &home, &x);
	assert_int_equal(x.n, 0);
}

static void test_catalog_bounds_files_per_entry_and_reports_the_rest(void **state)
{
	struct catalog_target node = { .scope = CATALOG_SCOPE_NODE };
	char name[64];
	struct hits x;
	int ok = 0;

	(void)state;
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "/srv/many/f%02d.key", i);
		put(name, "x");
	}
	scan("- entry: many\n  kind: pki\n  paths: [/srv/many/*.key]\n  max: 10\n", &node, &x);
	for (int i = 0; i < x.n; i++)
		ok += x.why[i] == CATALOG_OK;
	assert_int_equal(ok, 10);
	assert_int_equal(x.why[x.n - 1], CATALOG_REFUSED_BOUND);
	assert_int_equal(x.count[x.n - 1], 30);
}

static void test_catalog_csi_volumes_only_of_the_named_driver(void **state)
{
	struct catalog_target pod = { .scope = CATALOG_SCOPE_POD,
				      .base = "/var/lib/kubelet/pods/p1", .pod_uid = "p1" };
	const char *yaml = "- entry: ss\n  kind: secret\n  owner: pod\n"
			   "  csi-driver: secrets-store.csi.k8s.io\n"
			   "  paths: [volumes/kubernetes.io~csi/*/mount/*]\n";
	struct hits x;

	(void)state;
	put("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/vol_data.json",
	    "{\"driverName\":\"secrets-store.csi.k8s.io\",\"volumeHandle\":\"h\"}");
	put("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/..2026_01_01/pw", "x");
	link_host("..2026_01_01", "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/..data");
	link_host("..data/pw", "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/pw");
	link_host("/etc/ld.so.cache", "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/x");
	put("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/b/vol_data.json",
	    "{\"driverName\":\"ebs.csi.aws.com\"}");
	put("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/b/mount/data", "x");
	put("/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/c/mount/data", "x");	/* no vol_data */
	scan(yaml, &pod, &x);
	assert_int_equal(hit_of(&x, "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/pw"),
			 CATALOG_OK);
	assert_int_equal(hit_of(&x, "/var/lib/kubelet/pods/p1/volumes/kubernetes.io~csi/a/mount/x"),
			 CATALOG_REFUSED_SYMLINK);
	assert_int_equal(x.n, 2);
}

static void test_catalog_flag_paths_come_from_the_manifest(void **state)
{
	struct catalog_target node = { .scope = CATALOG_SCOPE_NODE };
	char src[PATH_MAX], text[8192];
	const char *yaml = "- entry: enc\n  kind: etcd\n  owner: control-plane\n  from-flag:\n"
			   "    manifest: /etc/kubernetes/manifests/kube-apiserver.yaml\n"
			   "    flag: --encryption-provider-config\n"
			   "- entry: tok\n  kind: token\n  owner: control-plane\n  from-flag:\n"
			   "    manifest: /etc/kubernetes/manifests/kube-apiserver.yaml\n"
			   "    flag: --token-auth-file\n"
			   "- entry: nomount\n  kind: token\n  owner: control-plane\n  from-flag:\n"
			   "    manifest: /etc/kubernetes/manifests/kube-apiserver.yaml\n"
			   "    flag: --advertise-address\n";
	struct hits x;
	FILE *f;
	size_t n;

	(void)state;
	snprintf(src, sizeof(src), "%s/tests/fixtures/catalog/files/kube-apiserver.yaml", srcdir);
	f = fopen(src, "r");
	assert_non_null(f);
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	put("/etc/kubernetes/manifests/kube-apiserver.yaml", text);
	put("/srv/kube-secrets/encryption.yaml", "x");
	put("/srv/kube-secrets/tokens.csv", "x");
	scan(yaml, &node, &x);
	assert_int_equal(hit_of(&x, "/srv/kube-secrets/encryption.yaml"), CATALOG_OK);
	assert_int_equal(hit_of(&x, "/srv/kube-secrets/tokens.csv"), CATALOG_OK);
	assert_int_equal(x.n, 2);	/* the address is no path; the manifest is not matched */
	/* a manifest that is a FIFO is never opened */
	snprintf(src, sizeof(src), "%s/etc/kubernetes/manifests/kube-apiserver.yaml", root);
	unlink(src);
	assert_int_equal(mkfifo(src, 0600), 0);
	scan(yaml, &node, &x);
	assert_int_equal(x.n, 0);
}

/* ----------------------------------------------- node types, shipped catalog */

struct expect {
	char path[PATH_MAX];
	char kind[16], entry[64];	/* kind "" : public */
};

/* Build a tree from a .tree file; returns the expectations. */
static int build_tree(const char *tree, struct expect *ex, int max)
{
	char file[PATH_MAX], line[8192];
	int n = 0;
	FILE *f;

	snprintf(file, sizeof(file), "%s/tests/fixtures/catalog/%s", srcdir, tree);
	f = fopen(file, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *words[16], *save = NULL, host[PATH_MAX], marker[64];
		int nw = 0;
		struct stat st;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		for (char *w = strtok_r(line, " ", &save); w && nw < 16; w = strtok_r(NULL, " ", &save))
			words[nw++] = w;
		assert_true(nw >= 2);
		snprintf(host, sizeof(host), "%s%s", root, words[1]);
		if (!strcmp(words[0], "cred") || !strcmp(words[0], "public")) {
			assert_true(n < max);
			snprintf(ex[n].path, sizeof(ex[n].path), "%s", words[1]);
			snprintf(ex[n].kind, sizeof(ex[n].kind), "%s",
				 words[0][0] == 'c' ? words[2] : "");
			snprintf(ex[n].entry, sizeof(ex[n].entry), "%s",
				 words[0][0] == 'c' ? words[3] : "");
			n++;
			if (lstat(host, &st)) {
				snprintf(marker, sizeof(marker), "CWMARKER-%08x\n", (unsigned)rand());
				put(words[1], words[0][0] == 'c' ? marker : "public\n");
			}
		} else if (!strcmp(words[0], "copy")) {
			char src[PATH_MAX], text[65536];
			FILE *s;
			size_t len;

			snprintf(src, sizeof(src), "%s/tests/fixtures/catalog/files/%s", srcdir,
				 words[2]);
			s = fopen(src, "r");
			assert_non_null(s);
			len = fread(text, 1, sizeof(text) - 1, s);
			fclose(s);
			text[len] = '\0';
			put(words[1], text);
			assert_true(n < max);
			snprintf(ex[n].path, sizeof(ex[n].path), "%s", words[1]);
			ex[n].kind[0] = ex[n].entry[0] = '\0';
			n++;
		} else if (!strcmp(words[0], "link")) {
			link_host(words[2], words[1]);
		} else if (!strcmp(words[0], "dir")) {
			mkdir_host(words[1]);
		} else if (!strcmp(words[0], "mode")) {
			assert_int_equal(chmod(host, (mode_t)strtol(words[2], NULL, 8)), 0);
		} else if (!strcmp(words[0], "owner")) {
			if (geteuid() == 0)
				assert_int_equal(chown(host, (uid_t)atoi(words[2]), (gid_t)-1), 0);
		} else if (!strcmp(words[0], "atomic")) {
			char ts[PATH_MAX], rel[PATH_MAX], target[PATH_MAX];

			snprintf(ts, sizeof(ts), "%s/..2026_01_01_00_00_00.123456789", words[1]);
			for (int k = 2; k < nw; k++) {
				snprintf(marker, sizeof(marker), "CWMARKER-%08x\n", (unsigned)rand());
				snprintf(rel, sizeof(rel), "%s/%s", ts, words[k]);
				put(rel, marker);
				snprintf(rel, sizeof(rel), "%s/%s", words[1], words[k]);
				snprintf(target, sizeof(target), "..data/%s", words[k]);
				link_host(target, rel);
			}
			snprintf(rel, sizeof(rel), "%s/..data", words[1]);
			link_host("..2026_01_01_00_00_00.123456789", rel);
		} else {
			fail_msg("%s: unknown line '%s'", tree, words[0]);
		}
	}
	fclose(f);
	return n;
}

static void check_node_type(const char *tree)
{
	static struct expect ex[256];
	char dir[PATH_MAX], cmd[PATH_MAX + 32];
	const char *files[1] = { dir };
	struct catalog_diag d = { 0 };
	struct catalog_opts co = { files, 1, &d };
	struct watch_sink sink = { NULL, NULL, NULL, NULL };
	struct watch_opts wo = { .host_root = root, .once = true };
	const struct cred_entry *c;
	struct catalog *cat;
	struct creds *t;
	struct watch *w;
	int n;

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/*", root);
	assert_int_equal(system(cmd), 0);
	n = build_tree(tree, ex, 256);
	snprintf(dir, sizeof(dir), "%s/catalog", srcdir);
	assert_int_equal(catalog_new(&cat, &co), 0);
	wo.catalog = cat;
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &wo, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	for (int i = 0; i < n; i++) {
		c = creds_find_path(t, ex[i].path);
		if (!ex[i].kind[0]) {
			if (c)
				fail_msg("%s: %s is public but was found by %s", tree, ex[i].path,
					 c->entry);
			continue;
		}
		if (!c) {	/* found by another of its names (a link to it)? one inode, one entry */
			char real[PATH_MAX * 2];
			struct stat st;

			snprintf(real, sizeof(real), "%s%s", root, ex[i].path);
			if (!stat(real, &st))
				c = creds_find_inode(t, st.st_ino, dev_to_kernel(st.st_dev));
		}
		if (!c)
			fail_msg("%s: %s (%s) not found", tree, ex[i].path, ex[i].entry);
		if (strcmp(cred_kind_name(c->kind), ex[i].kind) || strcmp(c->entry, ex[i].entry))
			fail_msg("%s: %s: found as %s by %s, expected %s by %s", tree, ex[i].path,
				 cred_kind_name(c->kind), c->entry, ex[i].kind, ex[i].entry);
	}
	/* and nothing the tree does not list (by inode: a link's name may be the one kept) */
	{
		uint32_t cursor = 0;

		while ((c = creds_next(t, &cursor))) {
			bool listed = false;

			for (int i = 0; i < n && !listed; i++) {
				char real[PATH_MAX * 2];
				struct stat st;

				snprintf(real, sizeof(real), "%s%s", root, ex[i].path);
				listed = ex[i].kind[0] && !stat(real, &st) && st.st_ino == c->ino &&
					 dev_to_kernel(st.st_dev) == c->kdev;
			}
			if (!listed)
				fail_msg("%s: %s found by %s but not listed", tree, c->path, c->entry);
		}
	}
	watch_free(w);
	creds_free(t);
	catalog_free(cat);
}

static void test_catalog_kubeadm_control_plane(void **state)
{
	(void)state;
	check_node_type("kubeadm-control-plane.tree");
}

static void test_catalog_k3s_server(void **state)
{
	(void)state;
	check_node_type("k3s-server.tree");
}

static void test_catalog_rke2_server(void **state)
{
	(void)state;
	check_node_type("rke2-server.tree");
}

static void test_catalog_openshift_control_plane(void **state)
{
	(void)state;
	check_node_type("openshift-control-plane.tree");
}

static void test_catalog_aks_eks_gke_workers(void **state)
{
	(void)state;
	check_node_type("aks-worker.tree");
	check_node_type("eks-worker.tree");
	check_node_type("gke-worker.tree");
}

static void test_catalog_jump_host(void **state)
{
	(void)state;
	check_node_type("jump-host.tree");
}

static void test_catalog_ci_runner(void **state)
{
	(void)state;
	check_node_type("ci-runner.tree");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_catalog_rejects_bad_entries_with_file_and_line),
		cmocka_unit_test(test_catalog_accepts_every_form),
		cmocka_unit_test(test_catalog_shipped_files_load_and_cite_docs),
		cmocka_unit_test(test_catalog_users_entries_are_picked_up),
		cmocka_unit_test(test_catalog_matches_globs_ignores_and_depth),
		cmocka_unit_test(test_catalog_home_entries_follow_links_inside_the_home_only),
		cmocka_unit_test(test_catalog_home_files_must_be_the_homes_owners),
		cmocka_unit_test(test_catalog_bounds_files_per_entry_and_reports_the_rest),
		cmocka_unit_test(test_catalog_csi_volumes_only_of_the_named_driver),
		cmocka_unit_test(test_catalog_flag_paths_come_from_the_manifest),
		cmocka_unit_test(test_catalog_kubeadm_control_plane),
		cmocka_unit_test(test_catalog_k3s_server),
		cmocka_unit_test(test_catalog_rke2_server),
		cmocka_unit_test(test_catalog_openshift_control_plane),
		cmocka_unit_test(test_catalog_aks_eks_gke_workers),
		cmocka_unit_test(test_catalog_jump_host),
		cmocka_unit_test(test_catalog_ci_runner),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
