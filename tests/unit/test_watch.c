// SPDX-License-Identifier: Apache-2.0
/*
 * test_watch.c - discovery on fixture trees, rotations and pod churn via inotify,
 * mount table changes (a fake mountinfo file) and the periodic re-check.
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

#include "user/creds.h"
#include "user/discovery/catalog.h"
#include "user/watch.h"
#include "tests/unit/unit_srcdir.h"

struct sink_log {
	int adds, dels;
	bool fail_adds;
};

static int log_add(void *ctx, const struct cred_entry *c)
{
	struct sink_log *l = ctx;

	(void)c;
	if (l->fail_adds)
		return -E2BIG;
	l->adds++;
	return 0;
}

static void log_del(void *ctx, const struct cred_entry *c)
{
	struct sink_log *l = ctx;

	(void)c;
	l->dels++;
}

static char root[PATH_MAX];
static struct catalog *cat;	/* the shipped catalog, from the source tree */

/* The source tree's catalog/: the binary is build/tests/ or build/sanitize/tests/. */
static void load_shipped_catalog(void)
{
	char src[PATH_MAX], dir[PATH_MAX + 16];
	const char *files[1] = { dir };
	struct catalog_diag diag = { 0 };
	struct catalog_opts o = { files, 1, &diag };

	unit_srcdir(src, sizeof(src));
	snprintf(dir, sizeof(dir), "%s/catalog", src);
	if (catalog_new(&cat, &o))
		catalog_diag_print(&diag, stderr);
	assert_non_null(cat);
}

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

static void put(const char *rel, const char *content, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
	chmod(path, mode);
}

static void link_rel(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

#define POD "/var/lib/kubelet/pods/0000-aaaa"
#define VOL POD "/volumes/kubernetes.io~projected/kube-api-access-x"
#define SEC POD "/volumes/kubernetes.io~secret/legacy-sa"

/* the kubelet atomic-writer layout */
static void atomic_volume(const char *vol, const char *ts, const char *const *keys, int n)
{
	char rel[PATH_MAX], target[PATH_MAX];

	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", vol, ts);
		mkdirs(rel);
		snprintf(rel, sizeof(rel), "%s/%s/%s", vol, ts, keys[i]);
		put(rel, "CWMARKER", 0644);
	}
	snprintf(rel, sizeof(rel), "%s/..data", vol);
	link_rel(ts, rel);
	for (int i = 0; i < n; i++) {
		snprintf(rel, sizeof(rel), "%s/%s", vol, keys[i]);
		snprintf(target, sizeof(target), "..data/%s", keys[i]);
		link_rel(target, rel);
	}
}

static int setup(void **state)
{
	static const char *const sa_keys[] = { "token", "ca.crt", "namespace" };

	snprintf(root, sizeof(root), "/tmp/cw-test-watch.XXXXXX");
	assert_non_null(mkdtemp(root));
	load_shipped_catalog();
	atomic_volume(VOL, "..2026_01_01_00_00_00.1", sa_keys, 3);
	atomic_volume(SEC, "..2026_01_01_00_00_00.2", sa_keys, 3);
	mkdirs("etc/kubernetes/pki/etcd");
	put("etc/kubernetes/admin.conf", "x", 0644);
	put("etc/kubernetes/pki/etcd/server.key", "x", 0600);
	put("etc/kubernetes/pki/ca.crt", "x", 0644);
	mkdirs("home/alice/.kube");
	put("home/alice/.kube/config", "x", 0600);
	mkdirs("home/bob/.aws");
	put("home/bob/.aws/credentials", "x", 0600);
	mkdirs("opt/app/sub");
	put("opt/app/sub/a.pem", "x", 0600);
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	catalog_free(cat);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static const struct cred_entry *find(struct creds *t, const char *path)
{
	return creds_find_path(t, path);
}

static void test_watch_discovers_every_kind_on_fixture_node(void **state)
{
	char *extra[] = { "/opt/app" };
	struct watch_opts o = { .host_root = root, .extra = { extra, 1, true }, .catalog = cat };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	const struct cred_entry *e;
	struct creds *t;
	struct watch *w;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);

	e = find(t, VOL "/token");
	assert_non_null(e);
	assert_int_equal(e->kind, CW_CRED_SA_TOKEN);
	assert_string_equal(e->pod_uid, "0000-aaaa");
	assert_string_equal(e->volume, "kube-api-access-x");
	assert_false(e->legacy_token);
	assert_null(find(t, VOL "/ca.crt"));		/* public */
	e = find(t, SEC "/token");
	assert_non_null(e);
	assert_true(e->legacy_token);
	assert_int_equal(find(t, SEC "/ca.crt")->kind, CW_CRED_SECRET);
	assert_int_equal(find(t, "/etc/kubernetes/admin.conf")->kind, CW_CRED_KUBECONFIG);
	assert_int_equal(find(t, "/etc/kubernetes/admin.conf")->mode, 0644);
	assert_int_equal(find(t, "/etc/kubernetes/pki/etcd/server.key")->kind, CW_CRED_PKI);
	assert_null(find(t, "/etc/kubernetes/pki/ca.crt"));
	assert_int_equal(find(t, "/home/alice/.kube/config")->kind, CW_CRED_KUBECONFIG);
	assert_int_equal(find(t, "/home/bob/.aws/credentials")->kind, CW_CRED_CLOUD);
	assert_int_equal(find(t, "/opt/app/sub/a.pem")->kind, CW_CRED_CUSTOM);
	/* --list-watched names what found each */
	assert_string_equal(find(t, "/etc/kubernetes/admin.conf")->entry, "kubeadm-admin-kubeconfig");
	assert_string_equal(find(t, "/home/bob/.aws/credentials")->entry, "aws-cli");
	assert_string_equal(find(t, "/home/bob/.aws/credentials")->group, "home:/home/bob");
	assert_string_equal(find(t, VOL "/token")->entry, "kubelet-projected");
	assert_string_equal(find(t, SEC "/token")->entry, "kubelet-secret");
	assert_string_equal(find(t, "/opt/app/sub/a.pem")->entry, "watch");
	assert_int_equal(l.adds, (int)creds_count(t));
	/* token, legacy secret (3 keys), admin.conf, server.key, kube config, aws, a.pem */
	assert_int_equal(creds_count(t), 9);

	/* a rescan with nothing changed changes nothing */
	assert_int_equal(watch_scan_all(w), 0);
	assert_int_equal(l.dels, 0);
	watch_free(w);
	creds_free(t);
}

static void test_watch_follows_rotation_and_pod_deletion(void **state)
{
	static const char *const keys[] = { "token", "ca.crt", "namespace" };
	struct watch_opts o = { .host_root = root };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	char tmp[PATH_MAX], dst[PATH_MAX], cmd[PATH_MAX + 32];
	uint64_t old_ino;
	struct creds *t;
	struct watch *w;
	int n = 0;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	old_ino = find(t, VOL "/token")->ino;

	/* kubelet: new dir, ..data_tmp, rename over ..data */
	for (int i = 0; i < 3; i++) {
		char rel[256];

		snprintf(rel, sizeof(rel), VOL "/..2026_01_01_01_00_00.9/%s", keys[i]);
		mkdirs(VOL "/..2026_01_01_01_00_00.9");
		put(rel, "CWMARKER2", 0644);
	}
	link_rel("..2026_01_01_01_00_00.9", VOL "/..data_tmp");
	snprintf(tmp, sizeof(tmp), "%s" VOL "/..data_tmp", root);
	snprintf(dst, sizeof(dst), "%s" VOL "/..data", root);
	assert_int_equal(rename(tmp, dst), 0);
	for (int i = 0; i < 50 && (n = watch_process(w)) == 0; i++)
		usleep(10000);
	assert_true(n > 0);
	assert_int_not_equal(find(t, VOL "/token")->ino, old_ino);
	assert_int_equal(l.dels, 1);

	/* the pod goes away */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s" POD "'", root);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i < 50 && find(t, VOL "/token"); i++) {
		watch_process(w);
		usleep(10000);
	}
	assert_null(find(t, VOL "/token"));
	assert_null(find(t, SEC "/token"));
	watch_free(w);
	creds_free(t);
}

static void test_watch_counts_entries_the_kernel_map_refused(void **state)
{
	struct watch_opts o = { .host_root = root };
	struct sink_log l = { .fail_adds = true };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	struct watch_stats st;
	struct creds *t;
	struct watch *w;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	watch_stats(w, &st);
	assert_true(st.add_failures > 0);
	assert_int_equal(creds_count(t), 0);	/* not in the table if not in the map */
	watch_free(w);
	creds_free(t);
}

static void test_watch_classifies_volume_files(void **state)
{
	bool legacy;

	assert_int_equal(watch_classify_volume_file("kubernetes.io~projected", "token", false,
						    &legacy), CW_CRED_SA_TOKEN);
	assert_int_equal(watch_classify_volume_file("kubernetes.io~projected", "ca.crt", false,
						    &legacy), -1);
	assert_int_equal(watch_classify_volume_file("kubernetes.io~projected", "..data", false,
						    &legacy), -1);
	assert_int_equal(watch_classify_volume_file("kubernetes.io~secret", "token", true,
						    &legacy), CW_CRED_SA_TOKEN);
	assert_true(legacy);
	assert_int_equal(watch_classify_volume_file("kubernetes.io~secret", "password", false,
						    &legacy), CW_CRED_SECRET);
	assert_int_equal(watch_classify_volume_file("kubernetes.io~configmap", "x", false,
						    &legacy), -1);
}

static void test_watch_missing_host_root_parts_are_not_errors(void **state)
{
	char *extra[] = { "/does/not/exist" };
	struct watch_opts o = { .host_root = "/nonexistent-cw-root", .extra = { extra, 1, true } };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	struct creds *t;
	struct watch *w;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	assert_int_equal(creds_count(t), 0);
	watch_free(w);
	creds_free(t);
}


/* A volume whose token link dangles: the key's file is created later inside ..<ts>/. */
#define LATE POD "/volumes/kubernetes.io~secret/late"
#define LATE_TS LATE "/..2026_01_01_00_00_00.3"

static void late_volume(void)
{
	mkdirs(LATE_TS);
	link_rel("..2026_01_01_00_00_00.3", LATE "/..data");
	link_rel("..data/password", LATE "/password");
}

/*
 * Write a creation inside ..<ts>/: no event reaches the volume directory's
 * watch, as nothing written inside a new tmpfs reaches the watch on the
 * directory it covers.
 */
static void late_key_appears(void)
{
	put(LATE_TS "/password", "CWMARKER", 0644);
}

static void write_mountinfo(const char *file, const char *vol_rel, bool other)
{
	char pods[PATH_MAX], real[PATH_MAX];
	FILE *f = fopen(file, "w");

	assert_non_null(f);
	snprintf(pods, sizeof(pods), "%s/var/lib/kubelet/pods", root);
	assert_non_null(realpath(pods, real));
	fprintf(f, "20 1 0:1 / / rw - ext4 /dev/sda rw\n");
	fprintf(f, "21 20 0:5 / %s/unrelated rw - tmpfs t rw\n", real);
	if (other)	/* a new mount, not of a volume */
		fprintf(f, "34 21 0:10 / %s/0000-aaaa/volumes/kubernetes.io~empty-dir/e rw - tmpfs "
			"t rw\n", real);
	if (vol_rel)
		fprintf(f, "33 21 0:9 / %s/%s rw,nosuid - tmpfs t rw,size=1024k\n", real, vol_rel);
	fclose(f);
}

/*
 * A mount table change, processed once its re-read is due: the back-off
 * after the last re-read (MOUNT_READ_BACKOFF times what it took) can be
 * longer than this test's next step on a loaded machine.
 */
static int process_mounts_changed(struct watch *w)
{
	watch_mounts_changed(w);
	for (int i = 0; i < 30000 && watch_timeout_ms(w, 1000) > 0; i++)
		usleep(1000);
	return watch_process(w);
}

static void test_watch_rescans_a_pod_when_a_volume_is_mounted(void **state)
{
	char mi[PATH_MAX];
	struct watch_opts o = { .host_root = root, .mountinfo = mi };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	struct watch_stats st;
	struct creds *t;
	struct watch *w;

	snprintf(mi, sizeof(mi), "%s/mountinfo", root);
	write_mountinfo(mi, NULL, false);
	late_volume();
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	assert_null(find(t, LATE "/password"));

	late_key_appears();
	for (int i = 0; i < 5; i++)
		watch_process(w);
	assert_null(find(t, LATE "/password"));		/* the directory's watch heard nothing */

	/* a mount elsewhere: nothing to rescan */
	write_mountinfo(mi, NULL, true);
	assert_int_equal(process_mounts_changed(w), 0);
	assert_null(find(t, LATE "/password"));

	/* the volume's mount: its pod is rescanned at once */
	write_mountinfo(mi, "0000-aaaa/volumes/kubernetes.io~secret/late", true);
	assert_int_equal(process_mounts_changed(w), 1);
	assert_non_null(find(t, LATE "/password"));
	watch_stats(w, &st);
	assert_int_equal(st.volume_mounts, 1);
	assert_int_equal(st.late_finds, 0);

	/* and when it goes */
	write_mountinfo(mi, NULL, true);
	assert_int_equal(process_mounts_changed(w), 1);
	watch_stats(w, &st);
	assert_int_equal(st.volume_mounts, 0);
	watch_free(w);
	creds_free(t);
}

static void test_watch_recheck_counts_what_the_live_path_missed(void **state)
{
	struct watch_opts o = { .host_root = root, .recheck_ms = 1 };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	struct watch_stats st = { 0 };
	struct creds *t;
	struct watch *w;
	char path[PATH_MAX];

	late_volume();
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	/* everything in step: the re-check finds nothing late */
	for (int i = 0; i < 20; i++) {
		watch_process(w);
		usleep(2000);
	}
	watch_stats(w, &st);
	assert_true(st.rechecked_pods > 0 && st.recheck_cycles > 0);
	assert_int_equal(st.late_finds + st.late_removals, 0);

	/* missed by inotify: found late, once */
	late_key_appears();
	for (int i = 0; i < 200 && !find(t, LATE "/password"); i++) {
		watch_process(w);
		usleep(2000);
	}
	assert_non_null(find(t, LATE "/password"));
	for (int i = 0; i < 20; i++) {
		watch_process(w);
		usleep(2000);
	}
	watch_stats(w, &st);
	assert_int_equal(st.late_finds, 1);

	/* gone without an event: removed late, once */
	snprintf(path, sizeof(path), "%s" LATE_TS "/password", root);
	assert_int_equal(unlink(path), 0);
	for (int i = 0; i < 200 && find(t, LATE "/password"); i++) {
		watch_process(w);
		usleep(2000);
	}
	assert_null(find(t, LATE "/password"));
	watch_stats(w, &st);
	assert_int_equal(st.late_removals, 1);
	assert_int_equal(st.late_finds, 1);
	watch_free(w);
	creds_free(t);
}

static void test_watch_pod_churn_leaves_no_watch_behind(void **state)
{
	static const char *const keys[] = { "token", "ca.crt", "namespace" };
	struct watch_opts o = { .host_root = root };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	struct watch_stats st;
	uint64_t base;
	struct creds *t;
	struct watch *w;
	char cmd[PATH_MAX + 32];

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	watch_stats(w, &st);
	base = st.inotify_watches;
	assert_true(base > 0);
	for (int round = 0; round < 3; round++) {
		atomic_volume("/var/lib/kubelet/pods/churn/volumes/kubernetes.io~projected/k",
			      "..2026_01_01_00_00_00.7", keys, 3);
		for (int i = 0; i < 100 && !find(t, "/var/lib/kubelet/pods/churn/volumes/"
						 "kubernetes.io~projected/k/token"); i++) {
			watch_process(w);
			usleep(5000);
		}
		assert_non_null(find(t, "/var/lib/kubelet/pods/churn/volumes/"
				     "kubernetes.io~projected/k/token"));
		watch_stats(w, &st);
		assert_true(st.inotify_watches > base);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s/var/lib/kubelet/pods/churn'", root);
		assert_int_equal(system(cmd), 0);
		for (int i = 0; i < 100 && st.inotify_watches != base; i++) {
			watch_process(w);
			watch_stats(w, &st);
			usleep(5000);
		}
		assert_int_equal(st.inotify_watches, base);
	}
	watch_free(w);
	creds_free(t);
}

static void test_watch_reclassifies_a_token_secret_written_key_by_key(void **state)
{
	static const char *const first[] = { "token" }, *const all[] = { "token", "ca.crt", "namespace" };
	struct watch_opts o = { .host_root = root };
	struct sink_log l = { 0 };
	struct watch_sink sink = { log_add, log_del, &l, NULL };
	const struct cred_entry *e;
	struct creds *t;
	struct watch *w;
	uint64_t ino;

	/* kubelet's writer has linked token, not yet ca.crt and namespace */
	atomic_volume(POD "/volumes/kubernetes.io~secret/sa-tok", "..2026_01_01_00_00_00.5", first, 1);
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	e = find(t, POD "/volumes/kubernetes.io~secret/sa-tok/token");
	assert_non_null(e);
	assert_int_equal(e->kind, CW_CRED_SECRET);
	ino = e->ino;
	l.adds = l.dels = 0;
	atomic_volume(POD "/volumes/kubernetes.io~secret/sa-tok", "..2026_01_01_00_00_00.5", all, 3);
	for (int i = 0; i < 100; i++) {
		e = find(t, POD "/volumes/kubernetes.io~secret/sa-tok/token");
		if (e && e->kind == CW_CRED_SA_TOKEN)
			break;
		watch_process(w);
		usleep(5000);
	}
	assert_int_equal(e->kind, CW_CRED_SA_TOKEN);
	assert_true(e->legacy_token);
	/* the kernel map's kind was updated in place: never unwatched meanwhile */
	assert_int_equal(l.adds, 3);	/* token again, ca.crt, namespace */
	assert_int_equal(l.dels, 0);
	assert_int_equal(e->ino, ino);
	watch_free(w);
	creds_free(t);
}


struct refusals {
	int n[WATCH_REFUSED__COUNT];
	uint64_t files[WATCH_REFUSED__COUNT];
};

static void on_refused(void *ctx, enum watch_refusal r, const struct cred_entry *c, uint64_t count,
		       const char *why)
{
	struct refusals *x = ctx;

	assert_non_null(c->path);
	assert_non_null(why);
	x->n[r]++;
	x->files[r] += count;
}

/*
 * A pod's files are bounded, its token first; the map's last places are
 * for tokens; a new home is found through /home's watch; each refusal is
 * reported once.
 */
static void test_watch_bounds_pods_keeps_room_for_tokens_follows_homes(void **state)
{
	struct watch_opts o = { .host_root = root, .catalog = cat, .max_per_pod = 8,
				.max_watched = 14, .token_reserve = 4 };
	struct refusals r = { 0 };
	struct watch_sink sink = { NULL, NULL, &r, on_refused };
	struct watch_stats st;
	char rel[PATH_MAX];
	struct creds *t;
	struct watch *w;

	(void)state;
	/* a pod whose projected volume has 50 keys and its token, named last */
	for (int i = 0; i < 50; i++) {
		snprintf(rel, sizeof(rel), POD "/volumes/kubernetes.io~projected/bundle/k%02d", i);
		mkdirs(POD "/volumes/kubernetes.io~projected/bundle");
		put(rel, "CWMARKER", 0644);
	}
	put(POD "/volumes/kubernetes.io~projected/bundle/zz-token", "CWMARKER", 0644);
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	/* the pod's bound kept its tokens (VOL's, the bundle's, the legacy Secret's) */
	assert_non_null(find(t, POD "/volumes/kubernetes.io~projected/bundle/zz-token"));
	assert_non_null(find(t, VOL "/token"));
	assert_non_null(find(t, SEC "/token"));
	assert_int_equal(r.n[WATCH_REFUSED_POD_BOUND], 1);
	assert_true(r.files[WATCH_REFUSED_POD_BOUND] >= 40);
	/* 14 places, 4 for tokens: at most 10 of anything else */
	assert_true(creds_count(t) - creds_count_kind(t, CW_CRED_SA_TOKEN) <= 10);
	watch_stats(w, &st);
	assert_true(st.refused[WATCH_REFUSED_RESERVE] > 0);
	/* a rescan reports nothing twice; what is refused now is kept for findings */
	assert_int_equal(watch_scan_all(w), 0);
	assert_int_equal(r.n[WATCH_REFUSED_POD_BOUND], 1);
	{
		int pod_bound = 0, reserve = 0;

		for (size_t i = 0; watch_refused(w, i); i++) {
			const struct watch_refused *x = watch_refused(w, i);

			pod_bound += x->reason == WATCH_REFUSED_POD_BOUND;
			reserve += x->reason == WATCH_REFUSED_RESERVE;
			assert_non_null(x->why);
			assert_non_null(x->cred.path);
		}
		assert_int_equal(pod_bound, 1);
		assert_true(reserve >= 1);
	}
	/* a new user's home is seen through /home's watch, and only it is rescanned */
	mkdirs("home/carol/.ssh");
	put("home/carol/.ssh/id_ed25519", "CWMARKER", 0600);
	for (int i = 0; i < 200 && !find(t, "/home/carol/.ssh/id_ed25519"); i++) {
		watch_process(w);
		usleep(5000);
	}
	/* the map is full but for tokens: the new key is refused, and counted */
	assert_null(find(t, "/home/carol/.ssh/id_ed25519"));
	watch_stats(w, &st);
	assert_true(st.refused[WATCH_REFUSED_RESERVE] > 0);
	/* the bundle goes: its pod's refusal is forgotten at the pod's next rescan */
	{
		char cmd[PATH_MAX + 64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s" POD "/volumes/kubernetes.io~projected/bundle'",
			 root);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(watch_scan_all(w), 0);
		for (size_t i = 0; watch_refused(w, i); i++)
			assert_int_not_equal(watch_refused(w, i)->reason, WATCH_REFUSED_POD_BOUND);
	}
	watch_free(w);
	creds_free(t);
	/* without the bounds the home's key is found live */
	o.max_watched = 0;
	o.max_per_pod = 0;
	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	mkdirs("home/dave/.vault");
	put("home/dave/.vault-token", "CWMARKER", 0600);
	for (int i = 0; i < 400 && !find(t, "/home/dave/.vault-token"); i++) {
		watch_process(w);
		usleep(5000);
	}
	assert_non_null(find(t, "/home/dave/.vault-token"));
	assert_string_equal(find(t, "/home/dave/.vault-token")->group, "home:/home/dave");
	assert_null(watch_refused(w, 0));	/* no bound: nothing refused */
	watch_free(w);
	creds_free(t);
}

/*
 * The kernel map as the agent keeps it (user/sensor_maps.c): an add puts
 * or takes over the key, a removal drops the key only while it still
 * names the removed credential.
 */
struct owned_map {
	struct {
		uint64_t ino;
		uint32_t kdev, id;
	} keys[32];
	int n;
};

static int owned_find(const struct owned_map *m, uint64_t ino, uint32_t kdev)
{
	for (int i = 0; i < m->n; i++)
		if (m->keys[i].ino == ino && m->keys[i].kdev == kdev)
			return i;
	return -1;
}

static int owned_add(void *ctx, const struct cred_entry *c)
{
	struct owned_map *m = ctx;
	int i = owned_find(m, c->ino, c->kdev);

	if (i < 0) {
		assert_true(m->n < 32);
		i = m->n++;
	}
	m->keys[i].ino = c->ino;
	m->keys[i].kdev = c->kdev;
	m->keys[i].id = c->id;
	return 0;
}

static void owned_del(void *ctx, const struct cred_entry *c)
{
	struct owned_map *m = ctx;
	int i = owned_find(m, c->ino, c->kdev);

	if (i >= 0 && m->keys[i].id == c->id)
		m->keys[i] = m->keys[--m->n];
}

#define POD_B "/var/lib/kubelet/pods/0000-bbbb"
#define VOL_B POD_B "/volumes/kubernetes.io~projected/kube-api-access-y"

/*
 * tmpfs hands a freed device number to the next mount and numbers a fresh
 * filesystem's files from the same start, so under pod churn a new pod's
 * token has the (dev, ino) of a token whose pod was unmounted a moment ago.
 * When the new pod's rescan comes first (both are in one batch of
 * events), the old pod's entry still holds that inode: the new token must
 * take the key over, not be refused as a second path of a watched inode
 * and then lose the key when the old entry goes. Without a mount here:
 * the inode itself moves from pod A's volume to pod B's, then pod A goes.
 */
static void test_watch_new_pod_takes_over_a_recycled_inode(void **state)
{
	struct watch_opts o = { .host_root = root };
	struct owned_map m = { .n = 0 };
	struct watch_sink sink = { owned_add, owned_del, &m, NULL };
	char from[PATH_MAX], to[PATH_MAX], cmd[PATH_MAX + 32];
	const struct cred_entry *a, *b;
	uint64_t ino;
	uint32_t kdev;
	struct creds *t;
	struct watch *w;
	int i;

	assert_int_equal(creds_new(&t, 0), 0);
	assert_int_equal(watch_new(&w, &o, t, &sink), 0);
	assert_int_equal(watch_scan_all(w), 0);
	a = find(t, VOL "/token");
	assert_non_null(a);
	ino = a->ino;
	kdev = a->kdev;
	i = owned_find(&m, ino, kdev);
	assert_true(i >= 0);
	assert_int_equal(m.keys[i].id, a->id);

	/* pod B appears (the pods directory hears it first), holding A's token inode */
	mkdirs(VOL_B);
	snprintf(from, sizeof(from), "%s" VOL "/..2026_01_01_00_00_00.1", root);
	snprintf(to, sizeof(to), "%s" VOL_B "/..2026_01_01_00_00_00.1", root);
	assert_int_equal(rename(from, to), 0);
	link_rel("..2026_01_01_00_00_00.1", VOL_B "/..data");
	link_rel("..data/token", VOL_B "/token");
	/* and pod A goes, before discovery has looked at either */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s" POD "'", root);
	assert_int_equal(system(cmd), 0);

	for (i = 0; i < 100 && (find(t, VOL "/token") || !find(t, VOL_B "/token")); i++) {
		watch_process(w);
		usleep(5000);
	}
	assert_null(find(t, VOL "/token"));
	b = find(t, VOL_B "/token");
	assert_non_null(b);
	assert_int_equal(b->ino, ino);
	/* the kernel's key names B's token: its reads are seen */
	i = owned_find(&m, ino, kdev);
	assert_true(i >= 0);
	assert_int_equal(m.keys[i].id, b->id);
	watch_free(w);
	creds_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_watch_discovers_every_kind_on_fixture_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_follows_rotation_and_pod_deletion, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_counts_entries_the_kernel_map_refused, setup, teardown),
		cmocka_unit_test(test_watch_classifies_volume_files),
		cmocka_unit_test(test_watch_missing_host_root_parts_are_not_errors),
		cmocka_unit_test_setup_teardown(test_watch_rescans_a_pod_when_a_volume_is_mounted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_recheck_counts_what_the_live_path_missed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_pod_churn_leaves_no_watch_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_reclassifies_a_token_secret_written_key_by_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_bounds_pods_keeps_room_for_tokens_follows_homes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_new_pod_takes_over_a_recycled_inode, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
