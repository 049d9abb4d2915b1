// SPDX-License-Identifier: Apache-2.0
/*
 * test_findings.c - posture findings on fixture credential tables and
 * synthetic records with injected time: every finding type, de-duplication,
 * resolution, restarts over the state file, corrupt state, bounds, and
 * hostile names. Every emitted line is parsed with cJSON.
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
#include <cjson/cJSON.h>

#include "user/creds.h"
#include "user/findings.h"
#include "user/record.h"

#define T0	1700000000ULL	/* injected wall clock */
#define WIN	100
#define UID_A	"aaaaaaaa-0000-4000-8000-00000000000a"
#define UID_B	"bbbbbbbb-0000-4000-8000-00000000000b"
#define UID_C	"cccccccc-0000-4000-8000-00000000000c"

struct fx {
	char dir[PATH_MAX];	/* state dir and host root */
	struct creds *table;
	struct findings *f;
	cJSON *lines[64];
	int n;
	const char *hostile_ns;	/* lookup answers this for UID_C when set */
	bool lookup_fails;
};

/* ---- fixture ---- */

static void emit(void *ctx, const char *line, size_t len)
{
	struct fx *x = ctx;
	cJSON *o;

	assert_int_equal(strlen(line), len);		/* one line, no NUL inside */
	assert_null(memchr(line, '\n', len));
	o = cJSON_ParseWithLength(line, len);
	assert_non_null(o);
	assert_true(x->n < 64);
	x->lines[x->n++] = o;
}

static bool lookup(void *ctx, const char *uid, char *ns, size_t nss, char *name, size_t ns2,
		   char *sa, size_t sas)
{
	struct fx *x = ctx;
	static const struct { const char *uid, *ns, *name, *sa; } pods[] = {
		{ UID_A, "team-a", "web-7d9f", "web-sa" },
		{ UID_B, "team-b", "api-1", "api" },
		{ UID_C, "team-c", "job-x", "" },
	};

	if (x->lookup_fails)
		return false;
	for (size_t i = 0; i < sizeof(pods) / sizeof(pods[0]); i++) {
		if (strcmp(uid, pods[i].uid))
			continue;
		snprintf(ns, nss, "%s", x->hostile_ns && !strcmp(uid, UID_C) ? x->hostile_ns :
			 pods[i].ns);
		snprintf(name, ns2, "%s", pods[i].name);
		snprintf(sa, sas, "%s", pods[i].sa);
		return true;
	}
	return false;
}

static void clear_lines(struct fx *x)
{
	for (int i = 0; i < x->n; i++)
		cJSON_Delete(x->lines[i]);
	x->n = 0;
}

static struct findings_opts opts_for(struct fx *x)
{
	struct findings_opts o = { 0 };

	o.window_s = WIN;
	o.interval_s = 10;
	o.state_dir = x->dir;
	o.host_root = x->dir;
	o.node_name = "node-1";
	o.cluster_name = "prod";
	return o;
}

static int setup(void **state)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct findings_opts o;

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/cw-findings.XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	assert_int_equal(creds_new(&x->table, 0), 0);
	o = opts_for(x);
	assert_int_equal(findings_new(&x->f, &o), 0);
	*state = x;
	return 0;
}

static int teardown(void **state)
{
	struct fx *x = *state;
	char cmd[PATH_MAX + 16];

	clear_lines(x);
	findings_free(x->f);
	creds_free(x->table);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", x->dir);
	assert_int_equal(system(cmd), 0);
	free(x);
	return 0;
}

static void restart(struct fx *x)
{
	struct findings_opts o = opts_for(x);

	assert_int_equal(findings_save(x->f), 0);
	findings_free(x->f);
	assert_int_equal(findings_new(&x->f, &o), 0);
}

static int eval(struct fx *x, uint64_t now)
{
	clear_lines(x);
	return findings_evaluate(x->f, x->table, now, lookup, x, emit, x);
}

static uint32_t add_token(struct fx *x, const char *uid, const char *volume, bool legacy)
{
	char group[80], path[PATH_MAX];
	struct cred_entry c;
	uint32_t id;

	memset(&c, 0, sizeof(c));
	c.kind = CW_CRED_SA_TOKEN;
	c.legacy_token = legacy;
	c.ino = (uint64_t)rand() + 1;
	c.kdev = 42;
	c.mode = 0644;
	snprintf(group, sizeof(group), "pod:%s", uid);
	snprintf(path, sizeof(path), "/var/lib/kubelet/pods/%s/volumes/%s/%s/token", uid,
		 legacy ? "kubernetes.io~secret" : "kubernetes.io~projected", volume);
	c.pod_uid = uid;	/* creds_add copies the strings */
	c.group = group;
	c.volume = volume;
	c.secret_name = legacy ? volume : "";
	c.path = path;
	assert_int_equal(creds_add(x->table, &c, &id), 0);
	return id;
}

/* Make the parent directories of path and an empty file there. */
static void make_file(const char *path, mode_t mode)
{
	char tmp[PATH_MAX * 2];
	int fd;

	snprintf(tmp, sizeof(tmp), "%s", path);
	for (char *p = tmp + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(tmp, 0755);
		*p = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(path, mode), 0);
}

/* A host credential, and a real file with that mode under the host root. */
static uint32_t add_host(struct fx *x, enum cw_cred_kind kind, const char *path, uint32_t mode)
{
	char real[PATH_MAX * 2];
	struct cred_entry c;
	struct stat st;
	uint32_t id;

	memset(&c, 0, sizeof(c));
	snprintf(real, sizeof(real), "%s%s", x->dir, path);
	make_file(real, mode);
	assert_int_equal(stat(real, &st), 0);	/* the table holds the file's identity */
	c.kind = kind;
	c.ino = st.st_ino;
	c.dev = st.st_dev;
	c.kdev = 42;
	c.mode = mode;
	c.group = "host";
	c.path = path;
	assert_int_equal(creds_add(x->table, &c, &id), 0);
	return id;
}

static void host_chmod(struct fx *x, const char *path, mode_t mode)
{
	char real[PATH_MAX * 2];

	snprintf(real, sizeof(real), "%s%s", x->dir, path);
	assert_int_equal(chmod(real, mode), 0);
}

/* A read of credential id by a process of reader_uid ("" unknown) in image, exe. */
static void read_cred(struct fx *x, uint32_t id, const char *reader_uid, const char *container,
		      const char *image, const char *exe, uint64_t now)
{
	const struct cred_entry *c = creds_get(x->table, id);
	struct cw_record rec;

	assert_non_null(c);
	record_reset(&rec);
	record_strlcpy(rec.cred_path, c->path, sizeof(rec.cred_path));
	record_strlcpy(rec.cred_kind, cred_kind_name(c->kind), sizeof(rec.cred_kind));
	record_strlcpy(rec.owner_pod_uid, c->pod_uid, sizeof(rec.owner_pod_uid));
	record_strlcpy(rec.pod_uid, reader_uid, sizeof(rec.pod_uid));
	record_strlcpy(rec.container_id, container, sizeof(rec.container_id));
	record_strlcpy(rec.container_image, image, sizeof(rec.container_image));
	record_strlcpy(rec.proc_exepath, exe, sizeof(rec.proc_exepath));
	findings_observe(x->f, &rec, now);
}

/* ---- line checks ---- */

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is_null_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsNull(v);
}

static double num_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, a), b);

	assert_true(cJSON_IsNumber(v));
	return v->valuedouble;
}

/* The one line of this type (asserting there is exactly one). */
static const cJSON *only(struct fx *x, const char *type)
{
	const cJSON *found = NULL;

	for (int i = 0; i < x->n; i++) {
		const char *t = str_at(x->lines[i], "type", NULL);

		if (t && !strcmp(t, type)) {
			assert_null(found);
			found = x->lines[i];
		}
	}
	assert_non_null(found);
	return found;
}

static int count(struct fx *x, const char *type)
{
	int n = 0;

	for (int i = 0; i < x->n; i++)
		n += !strcmp(str_at(x->lines[i], "type", NULL), type);
	return n;
}

/* Fields every line has. */
static void check_common(const cJSON *l, const char *type, const char *severity, const char *status)
{
	const char *id = str_at(l, "id", NULL);

	assert_string_equal(str_at(l, "kind", NULL), "finding");
	assert_string_equal(str_at(l, "type", NULL), type);
	assert_string_equal(str_at(l, "severity", NULL), severity);
	assert_string_equal(str_at(l, "status", NULL), status);
	assert_string_equal(str_at(l, "source", NULL), "credwatch");
	assert_string_equal(str_at(l, "node", NULL), "node-1");
	assert_string_equal(str_at(l, "cluster", NULL), "prod");
	assert_non_null(id);
	assert_int_equal(strlen(id), 20);
	assert_memory_equal(id, "cwf-", 4);
	assert_non_null(str_at(l, "first_seen", NULL));
	assert_non_null(str_at(l, "last_seen", NULL));
	assert_int_equal(strlen(str_at(l, "first_seen", NULL)), 20);	/* 2023-11-14T22:13:20Z */
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(l, "resource")));
	assert_true(cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(l, "evidence")));
	if (!strcmp(status, "open")) {
		assert_non_null(str_at(l, "recommendation", "summary"));
	} else {
		assert_true(is_null_at(l, "recommendation", NULL));
		assert_non_null(str_at(l, "evidence", "resolved_because"));
	}
}

static bool contains(const char *hay, const char *needle)
{
	return hay && strstr(hay, needle);
}

/* ---- tests ---- */

static void test_findings_unused_token_reported_after_window(void **state)
{
	struct fx *x = *state;
	const cJSON *l;

	add_token(x, UID_A, "kube-api-access-abcde", false);
	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(eval(x, T0 + WIN - 1), 0);
	assert_int_equal(eval(x, T0 + WIN), 1);
	l = only(x, "unused_sa_token");
	check_common(l, "unused_sa_token", "low", "open");
	assert_string_equal(str_at(l, "resource", "namespace"), "team-a");
	assert_string_equal(str_at(l, "resource", "pod"), "web-7d9f");
	assert_string_equal(str_at(l, "resource", "pod_uid"), UID_A);
	assert_string_equal(str_at(l, "resource", "service_account"), "web-sa");
	assert_string_equal(str_at(l, "resource", "cred_kind"), "sa_token");
	assert_true(contains(str_at(l, "resource", "path"), "kube-api-access-abcde/token"));
	assert_int_equal(num_at(l, "evidence", "opens_by_pod"), 0);
	assert_int_equal(num_at(l, "evidence", "observed_s"), WIN);
	assert_string_equal(str_at(l, "evidence", "mounted_since"), "2023-11-14T22:13:20Z");
	assert_true(contains(str_at(l, "recommendation", "yaml"),
			     "spec:\n  automountServiceAccountToken: false\n"));
	assert_true(contains(str_at(l, "recommendation", "yaml"),
			     "kind: ServiceAccount\nmetadata:\n  name: web-sa\n  namespace: team-a\n"));
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "kubectl -n team-a patch serviceaccount web-sa -p "
			    "'{\"automountServiceAccountToken\":false}'");
}

static void test_findings_token_read_by_its_pod_is_not_unused(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	uint32_t b = add_token(x, UID_B, "kube-api-access-b", false);

	assert_int_equal(eval(x, T0), 0);
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/app/web", T0 + 5);
	/* attribution could not tell the pod: counted as a use, never a false "unused" */
	read_cred(x, b, "", "", "", "/usr/bin/cat", T0 + 6);
	assert_int_equal(eval(x, T0 + WIN * 3), 0);
}

static void test_findings_token_read_only_from_host_is_still_unused(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	const cJSON *l;

	assert_int_equal(eval(x, T0), 0);
	read_cred(x, a, "", "host", "", "/usr/bin/cat", T0 + 5);
	read_cred(x, a, UID_B, "c2", "busybox", "/bin/cat", T0 + 6);
	assert_true(eval(x, T0 + WIN) >= 1);
	l = only(x, "unused_sa_token");
	assert_int_equal(num_at(l, "evidence", "opens_by_others"), 2);
}

static void test_findings_legacy_secret_token(void **state)
{
	struct fx *x = *state;
	const cJSON *l;

	add_token(x, UID_B, "default-token-x7k2p", true);
	assert_int_equal(eval(x, T0), 1);
	l = only(x, "legacy_sa_token");
	check_common(l, "legacy_sa_token", "medium", "open");
	assert_string_equal(str_at(l, "evidence", "token_type"), "kubernetes.io/service-account-token");
	assert_string_equal(str_at(l, "evidence", "secret_name"), "default-token-x7k2p");
	assert_true(contains(str_at(l, "recommendation", "yaml"),
			     "  - name: default-token-x7k2p\n    projected:\n      sources:\n"
			     "      - serviceAccountToken:\n"));
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "kubectl -n team-b delete secret default-token-x7k2p");
	/* unused as well after the window: the advice is to drop the volume, not automount */
	assert_int_equal(eval(x, T0 + WIN), 1);
	l = only(x, "unused_sa_token");
	assert_string_equal(str_at(l, "evidence", "token_source"), "secret");
	assert_true(contains(str_at(l, "recommendation", "yaml"), "  - name: default-token-x7k2p\n"));
	assert_true(is_null_at(l, "recommendation", "command"));
}

static void test_findings_world_readable_kubeconfig_resolves_when_fixed(void **state)
{
	struct fx *x = *state;
	const cJSON *l;
	char id[32];

	add_host(x, CW_CRED_KUBECONFIG, "/root/.kube/config", 0644);
	add_host(x, CW_CRED_PKI, "/etc/kubernetes/pki/sa.key", 0640);
	add_host(x, CW_CRED_CLOUD, "/root/.aws/credentials", 0600);
	assert_int_equal(eval(x, T0), 2);
	for (int i = 0; i < 2; i++) {
		l = x->lines[i];
		if (contains(str_at(l, "resource", "path"), "config")) {
			check_common(l, "exposed_host_credential", "high", "open");
			assert_string_equal(str_at(l, "evidence", "mode"), "0644");
			assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
				cJSON_GetObjectItem(l, "evidence"), "world_readable")));
			assert_string_equal(str_at(l, "recommendation", "command"),
					    "chmod 600 '/root/.kube/config'");
			assert_true(is_null_at(l, "resource", "pod"));
			snprintf(id, sizeof(id), "%s", str_at(l, "id", NULL));
		} else {
			check_common(l, "exposed_host_credential", "medium", "open");
			assert_string_equal(str_at(l, "evidence", "mode"), "0640");
		}
	}
	/* chmod moves no inode: the table still says 0644, the file does not */
	host_chmod(x, "/root/.kube/config", 0600);
	assert_int_equal(eval(x, T0 + 10), 1);
	l = only(x, "exposed_host_credential");
	check_common(l, "exposed_host_credential", "high", "resolved");
	assert_string_equal(str_at(l, "id", NULL), id);
	assert_true(contains(str_at(l, "evidence", "resolved_because"), "no longer group"));
	assert_string_equal(str_at(l, "resource", "path"), "/root/.kube/config");
	assert_int_equal(eval(x, T0 + 20), 0);
}

static void test_findings_admin_conf_on_worker_not_on_control_plane(void **state)
{
	struct fx *x = *state;
	char manifest[PATH_MAX * 2];
	const cJSON *l;

	add_host(x, CW_CRED_KUBECONFIG, "/etc/kubernetes/admin.conf", 0600);
	add_host(x, CW_CRED_KUBECONFIG, "/etc/kubernetes/kubelet.conf", 0600);
	assert_int_equal(eval(x, T0), 1);
	l = only(x, "admin_kubeconfig_on_worker");
	check_common(l, "admin_kubeconfig_on_worker", "critical", "open");
	assert_string_equal(str_at(l, "resource", "path"), "/etc/kubernetes/admin.conf");
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "rm -f '/etc/kubernetes/admin.conf'");
	assert_true(contains(str_at(l, "recommendation", "summary"), "rotate the cluster CA"));
	/* the node turns out to run kube-apiserver: a control plane keeps admin.conf */
	snprintf(manifest, sizeof(manifest), "%s/etc/kubernetes/manifests/kube-apiserver.yaml",
		 x->dir);
	make_file(manifest, 0600);
	assert_int_equal(eval(x, T0 + 10), 1);
	check_common(only(x, "admin_kubeconfig_on_worker"), "admin_kubeconfig_on_worker",
		     "critical", "resolved");
}

static void test_findings_shared_credential_read_by_two_pods(void **state)
{
	struct fx *x = *state;
	uint32_t kc = add_host(x, CW_CRED_KUBECONFIG, "/var/lib/kubelet/kubeconfig", 0600);
	uint32_t ta = add_token(x, UID_A, "kube-api-access-a", false);
	const cJSON *l, *pods;

	assert_int_equal(eval(x, T0), 0);
	read_cred(x, kc, UID_A, "c1", "img-a", "/a", T0 + 1);
	assert_int_equal(eval(x, T0 + 2), 0);		/* one pod is not sharing */
	read_cred(x, kc, UID_B, "c2", "img-b", "/b", T0 + 3);
	read_cred(x, kc, UID_B, "c2", "img-b", "/b", T0 + 4);
	read_cred(x, ta, UID_A, "c1", "img-a", "/a", T0 + 3);
	read_cred(x, ta, UID_B, "c2", "img-b", "/b", T0 + 4);
	assert_int_equal(eval(x, T0 + 5), 2);
	for (int i = 0; i < 2; i++) {
		l = x->lines[i];
		check_common(l, "shared_credential", "high", "open");
		pods = cJSON_GetObjectItem(cJSON_GetObjectItem(l, "evidence"), "reader_pods");
		assert_int_equal(cJSON_GetArraySize(pods), 2);
		if (str_at(l, "resource", "pod_uid")) {
			/* another pod read pod A's token */
			assert_string_equal(str_at(l, "resource", "pod"), "web-7d9f");
			assert_true(cJSON_IsTrue(cJSON_GetObjectItem(
				cJSON_GetObjectItem(l, "evidence"), "owner_reads")));
			assert_string_equal(str_at(l, "recommendation", "command"),
					    "kubectl label namespace team-b "
					    "pod-security.kubernetes.io/enforce=baseline --overwrite");
		} else {
			assert_string_equal(str_at(l, "resource", "path"),
					    "/var/lib/kubelet/kubeconfig");
			assert_true(contains(str_at(l, "recommendation", "yaml"),
					     "# reader: pod team-a/web-7d9f\n"));
			assert_true(contains(str_at(l, "recommendation", "yaml"),
					     "# reader: pod team-b/api-1\n"));
		}
	}
	/* nobody shares it for a whole window: resolved */
	read_cred(x, kc, UID_A, "c1", "img-a", "/a", T0 + WIN);
	assert_int_equal(eval(x, T0 + WIN + 5), 2);
	assert_int_equal(count(x, "shared_credential"), 2);
	check_common(x->lines[0], "shared_credential", "high", "resolved");
	check_common(x->lines[1], "shared_credential", "high", "resolved");
}

static void test_findings_unexpected_reader_after_learning_window(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	const cJSON *l, *ev;
	const char *yaml;
	char id[32];

	assert_int_equal(eval(x, T0), 0);
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/app/web", T0 + 1);
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/usr/bin/curl", T0 + 2);
	assert_int_equal(eval(x, T0 + WIN / 2), 0);
	/* learned readers after the window: nothing */
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/app/web", T0 + WIN + 1);
	assert_int_equal(eval(x, T0 + WIN + 2), 0);
	/* a shell: unexpected */
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/bin/sh", T0 + WIN + 3);
	assert_int_equal(eval(x, T0 + WIN + 4), 1);
	l = only(x, "unexpected_token_reader");
	check_common(l, "unexpected_token_reader", "high", "open");
	snprintf(id, sizeof(id), "%s", str_at(l, "id", NULL));
	ev = cJSON_GetObjectItem(l, "evidence");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "unexpected_readers")), 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(ev,
			    "unexpected_readers"), 0), "proc.exepath")->valuestring, "/bin/sh");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "learned_readers")), 2);
	yaml = str_at(l, "recommendation", "yaml");
	assert_true(contains(yaml, "- rule: Unexpected reader of a service account token\n"));
	assert_true(contains(yaml, "cred.kind = sa_token and cred.owner.ns = \"team-a\" and "
			     "cred.owner.sa = \"web-sa\""));
	assert_true(contains(yaml, "(container.image.repository = \"ghcr.io/acme/web\" and "
			     "proc.exepath = \"/app/web\")"));
	assert_true(contains(yaml, "proc.exepath = \"/usr/bin/curl\")"));
	assert_false(contains(yaml, "/bin/sh"));
	/* same again: de-duplicated; a second new reader: re-sent under the same id */
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/bin/sh", T0 + WIN + 5);
	assert_int_equal(eval(x, T0 + WIN + 6), 0);
	read_cred(x, a, UID_A, "c1", "ghcr.io/acme/web", "/usr/bin/python3", T0 + WIN + 7);
	assert_int_equal(eval(x, T0 + WIN + 8), 1);
	assert_string_equal(str_at(only(x, "unexpected_token_reader"), "id", NULL), id);
	/* no unexpected read for a window: resolved */
	assert_int_equal(eval(x, T0 + 3 * WIN), 1);
	check_common(only(x, "unexpected_token_reader"), "unexpected_token_reader", "high",
		     "resolved");
}

static void test_findings_evaluate_twice_emits_once(void **state)
{
	struct fx *x = *state;

	add_token(x, UID_A, "kube-api-access-a", false);
	add_token(x, UID_B, "default-token-b", true);
	add_host(x, CW_CRED_KUBECONFIG, "/etc/kubernetes/admin.conf", 0644);
	assert_int_equal(eval(x, T0), 3);	/* legacy, exposed, admin on worker */
	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(eval(x, T0 + 1), 0);
	assert_int_equal(eval(x, T0 + WIN), 2);	/* two unused tokens */
	assert_int_equal(count(x, "unused_sa_token"), 2);
	assert_int_equal(eval(x, T0 + WIN + 1), 0);
}

static void test_findings_restart_mid_window_keeps_first_seen(void **state)
{
	struct fx *x = *state;
	char path[PATH_MAX + 32];
	struct stat st;

	add_token(x, UID_A, "kube-api-access-a", false);
	assert_int_equal(eval(x, T0), 0);
	restart(x);
	snprintf(path, sizeof(path), "%s/findings.state", x->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	strcat(path, ".tmp");
	assert_int_equal(stat(path, &st), -1);		/* renamed into place */
	assert_int_equal(eval(x, T0 + WIN / 2), 0);
	restart(x);
	assert_int_equal(eval(x, T0 + WIN), 1);
	assert_string_equal(str_at(only(x, "unused_sa_token"), "evidence", "mounted_since"),
			    "2023-11-14T22:13:20Z");
}

static void test_findings_restart_does_not_resend_and_resolves_from_saved_resource(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	const cJSON *l;
	char id[32];

	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(eval(x, T0 + WIN), 1);
	snprintf(id, sizeof(id), "%s", str_at(only(x, "unused_sa_token"), "id", NULL));
	restart(x);
	assert_int_equal(eval(x, T0 + WIN + 1), 0);	/* open already, said already */
	/* the pod is deleted while attribution no longer knows it */
	assert_int_equal(creds_remove(x->table, a), 0);
	x->lookup_fails = true;
	restart(x);
	assert_int_equal(eval(x, T0 + WIN + 2), 1);
	l = only(x, "unused_sa_token");
	check_common(l, "unused_sa_token", "low", "resolved");
	assert_string_equal(str_at(l, "id", NULL), id);
	assert_string_equal(str_at(l, "resource", "namespace"), "team-a");
	assert_string_equal(str_at(l, "resource", "pod"), "web-7d9f");
	assert_true(contains(str_at(l, "evidence", "resolved_because"), "no longer on the node"));
}

static void test_findings_unused_resolves_when_token_is_read(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);

	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(eval(x, T0 + WIN), 1);
	read_cred(x, a, UID_A, "c1", "img", "/app", T0 + WIN + 1);
	assert_int_equal(eval(x, T0 + WIN + 2), 2);	/* resolved, and a first reader late */
	check_common(only(x, "unused_sa_token"), "unused_sa_token", "low", "resolved");
	assert_true(contains(str_at(only(x, "unused_sa_token"), "evidence", "resolved_because"),
			     "opened by its pod"));
	assert_non_null(cJSON_GetObjectItem(only(x, "unexpected_token_reader"), "evidence"));
}

static void test_findings_learned_readers_survive_restart_by_hash(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	const char *odd = "/app/\xff\xfe-bin\"q";	/* invalid UTF-8 and a quote */

	assert_int_equal(eval(x, T0), 0);
	read_cred(x, a, UID_A, "c1", "img", odd, T0 + 1);
	restart(x);
	read_cred(x, a, UID_A, "c1", "img", odd, T0 + WIN + 1);
	assert_int_equal(eval(x, T0 + WIN + 2), 0);
	read_cred(x, a, UID_A, "c1", "img", "/bin/sh", T0 + WIN + 3);
	assert_int_equal(eval(x, T0 + WIN + 4), 1);
	/* the odd name is kept out of the rule, and said so */
	assert_true(contains(str_at(only(x, "unexpected_token_reader"), "recommendation", "yaml"),
			     "# 1 learned readers omitted"));
}

static void write_file(const char *path, const char *content)
{
	FILE *out = fopen(path, "w");

	assert_non_null(out);
	fputs(content, out);
	fclose(out);
}

static char *read_all(const char *path)
{
	static char buf[4096];
	FILE *in = fopen(path, "r");
	size_t n;

	assert_non_null(in);
	n = fread(buf, 1, sizeof(buf) - 1, in);
	buf[n] = '\0';
	fclose(in);
	return buf;
}

static void test_findings_corrupt_state_is_moved_aside(void **state)
{
	struct fx *x = *state;
	struct findings_opts o = opts_for(x);
	char path[PATH_MAX + 32], bad[PATH_MAX + 40];
	struct stat st;

	snprintf(path, sizeof(path), "%s/findings.state", x->dir);
	snprintf(bad, sizeof(bad), "%s.corrupt", path);
	findings_free(x->f);
	write_file(path, "{\"credwatch_findings_state\":1,\"saved\":1}\n{\"c\":\"zz\n");
	assert_int_equal(findings_new(&x->f, &o), 0);
	assert_string_equal(read_all(bad), "{\"credwatch_findings_state\":1,\"saved\":1}\n"
			    "{\"c\":\"zz\n");
	assert_int_equal(stat(path, &st), -1);
	/* fresh state: the window starts now */
	add_token(x, UID_A, "kube-api-access-a", false);
	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(eval(x, T0 + WIN - 1), 0);
	assert_int_equal(findings_save(x->f), 0);
	assert_int_equal(stat(path, &st), 0);
}

static void test_findings_truncated_state_is_corrupt(void **state)
{
	struct fx *x = *state;
	struct findings_opts o = opts_for(x);
	char path[PATH_MAX + 32], cmd[PATH_MAX * 2];

	add_token(x, UID_A, "kube-api-access-a", false);
	assert_int_equal(eval(x, T0), 0);
	assert_int_equal(findings_save(x->f), 0);
	findings_free(x->f);
	x->f = NULL;
	/* drop the end marker: a torn write must not be half-loaded */
	snprintf(path, sizeof(path), "%s/findings.state", x->dir);
	snprintf(cmd, sizeof(cmd), "sed -i '$d' '%s'", path);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(findings_new(&x->f, &o), 0);
	assert_int_equal(eval(x, T0 + WIN / 2), 0);
	/* first_seen restarted at T0 + WIN/2, so no finding at T0 + WIN */
	assert_int_equal(eval(x, T0 + WIN), 0);
	assert_int_equal(eval(x, T0 + WIN + WIN / 2), 1);
}

static void test_findings_unreadable_state_is_moved_aside(void **state)
{
	struct fx *x = *state;
	struct findings_opts o = opts_for(x);
	char path[PATH_MAX + 32], bad[PATH_MAX + 40];
	struct stat st;

	snprintf(path, sizeof(path), "%s/findings.state", x->dir);
	snprintf(bad, sizeof(bad), "%s.corrupt", path);
	findings_free(x->f);
	assert_int_equal(mkdir(path, 0700), 0);		/* EISDIR on read */
	assert_int_equal(findings_new(&x->f, &o), 0);
	assert_int_equal(stat(bad, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(findings_save(x->f), 0);
}

static void test_findings_state_dir_that_cannot_be_made_fails(void **state)
{
	struct fx *x = *state;
	struct findings_opts o = opts_for(x);
	struct findings *f = (struct findings *)1;
	char file[PATH_MAX + 16], sub[PATH_MAX + 32];

	snprintf(file, sizeof(file), "%s/plain", x->dir);
	write_file(file, "x");
	snprintf(sub, sizeof(sub), "%s/sub", file);
	o.state_dir = sub;
	assert_int_equal(findings_new(&f, &o), -ENOTDIR);
	assert_null(f);
}

static void test_findings_bounds_count_what_is_not_tracked(void **state)
{
	struct fx *x = *state;
	struct findings_opts o = opts_for(x);
	struct findings_stats st;
	uint32_t kc;
	char uid[64];
	const cJSON *l;

	findings_free(x->f);
	o.max_creds = 2;
	o.max_open = 1;
	assert_int_equal(findings_new(&x->f, &o), 0);
	kc = add_host(x, CW_CRED_KUBECONFIG, "/root/.kube/config", 0600);
	add_token(x, UID_A, "kube-api-access-a", false);
	add_token(x, UID_B, "kube-api-access-b", false);
	eval(x, T0);
	findings_get_stats(x->f, &st);
	assert_int_equal(st.creds_tracked, 2);
	assert_int_equal(st.creds_untracked, 1);
	/* ten reader pods, eight kept per credential */
	for (int i = 0; i < 10; i++) {
		snprintf(uid, sizeof(uid), "dddddddd-0000-4000-8000-%012d", i);
		read_cred(x, kc, uid, "c", "img", "/bin/x", T0 + 1);
	}
	eval(x, T0 + 2);
	findings_get_stats(x->f, &st);
	assert_int_equal(st.reader_pods_untracked, 2);
	l = only(x, "shared_credential");
	assert_int_equal(num_at(l, "evidence", "reader_pods_not_tracked"), 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
		cJSON_GetObjectItem(l, "evidence"), "reader_pods")), 8);
	/* two unused tokens may be due, but only one finding may be open */
	eval(x, T0 + WIN);
	findings_get_stats(x->f, &st);
	assert_int_equal(st.findings_open, 1);
	assert_true(st.findings_untracked >= 1);
}

static void test_findings_reader_bounds_keep_room_for_unexpected(void **state)
{
	struct fx *x = *state;
	uint32_t a = add_token(x, UID_A, "kube-api-access-a", false);
	struct findings_stats st;
	const cJSON *ev;
	char exe[64], *text;

	assert_int_equal(eval(x, T0), 0);
	/* 14 programs while learning: 12 are kept, 2 counted */
	for (int i = 0; i < 14; i++) {
		snprintf(exe, sizeof(exe), "/learned/%d", i);
		read_cred(x, a, UID_A, "c1", "img", exe, T0 + 1 + i);
	}
	findings_get_stats(x->f, &st);
	assert_int_equal(st.readers_untracked, 2);
	/* 6 new programs after the window: the 4 free slots, then the oldest is replaced */
	for (int i = 0; i < 6; i++) {
		snprintf(exe, sizeof(exe), "/new/%d", i);
		read_cred(x, a, UID_A, "c1", "img", exe, T0 + WIN + 1 + i);
	}
	assert_int_equal(eval(x, T0 + WIN + 10), 1);
	ev = cJSON_GetObjectItem(only(x, "unexpected_token_reader"), "evidence");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "learned_readers")), 12);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(ev, "unexpected_readers")), 4);
	assert_int_equal(num_at(only(x, "unexpected_token_reader"), "evidence",
				"readers_not_tracked"), 4);
	text = cJSON_PrintUnformatted(ev);
	assert_true(contains(text, "\"/new/5\""));
	assert_false(contains(text, "\"/new/0\""));	/* replaced: read longest ago */
	free(text);
}

static void test_findings_hostile_names_never_reach_commands(void **state)
{
	struct fx *x = *state;
	const cJSON *l;

	x->hostile_ns = "x;$(touch /tmp/pwn)\n";
	add_token(x, UID_C, "default-token-c", true);
	add_host(x, CW_CRED_KUBECONFIG, "/home/o'neil/.kube/config", 0644);
	assert_int_equal(eval(x, T0), 2);
	l = only(x, "legacy_sa_token");
	assert_string_equal(str_at(l, "resource", "namespace"), "x;$(touch /tmp/pwn)\n");
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "kubectl -n <namespace> delete secret default-token-c");
	assert_false(contains(str_at(l, "recommendation", "yaml"), "pwn"));
	l = only(x, "exposed_host_credential");
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "chmod 600 '/home/o'\\''neil/.kube/config'");
}

static void test_findings_records_without_credential_are_counted(void **state)
{
	struct fx *x = *state;
	struct findings_stats st;
	struct cw_record rec;

	record_reset(&rec);
	findings_observe(x->f, &rec, T0);
	findings_get_stats(x->f, &st);
	assert_int_equal(st.records_without_cred, 1);
	assert_int_equal(st.creds_tracked, 0);
}

static void test_findings_ids_are_stable_and_distinct(void **state)
{
	struct fx *x = *state;
	char first[3][32];

	add_token(x, UID_A, "default-token-a", true);
	add_token(x, UID_B, "default-token-b", true);
	add_host(x, CW_CRED_KUBECONFIG, "/etc/kubernetes/admin.conf", 0644);
	assert_int_equal(eval(x, T0), 4);
	for (int i = 0; i < 3; i++)
		snprintf(first[i], sizeof(first[i]), "%s", str_at(x->lines[i], "id", NULL));
	assert_string_not_equal(first[0], first[1]);
	assert_string_not_equal(first[1], first[2]);
	assert_string_not_equal(first[0], first[2]);
	/* a fresh agent on the same node computes the same ids */
	findings_free(x->f);
	x->f = NULL;
	{
		char cmd[PATH_MAX + 32];
		struct findings_opts o = opts_for(x);

		snprintf(cmd, sizeof(cmd), "rm -f '%s/findings.state'", x->dir);
		assert_int_equal(system(cmd), 0);
		assert_int_equal(findings_new(&x->f, &o), 0);
	}
	assert_int_equal(eval(x, T0 + 5), 4);
	for (int i = 0; i < 3; i++)
		assert_string_equal(str_at(x->lines[i], "id", NULL), first[i]);
}


struct check_got {
	char type[64];
	int sev;
	char id[32];
	int n;
};

static void check_cb(void *ctx, const char *type, int severity, const char *id, const char *line,
		     size_t len)
{
	struct check_got *g = ctx;
	cJSON *o = cJSON_ParseWithLength(line, len);

	assert_non_null(o);	/* the line is the agent's JSON */
	cJSON_Delete(o);
	snprintf(g->type, sizeof(g->type), "%s", type);
	g->sev = severity;
	snprintf(g->id, sizeof(g->id), "%s", id);
	g->n++;
}

/* The catalog's severity, new kinds, a node file a login user owns, CI workspaces. */
static void test_findings_new_kinds_use_the_catalog_severity(void **state)
{
	struct fx *x = *state;
	const struct cred_entry *c;
	char real[PATH_MAX * 2];
	uint32_t id;
	const cJSON *l;

	id = add_host(x, CW_CRED_ETCD, "/var/lib/etcd/member/snap/db", 0644);
	c = creds_get(x->table, id);
	{
		struct cred_entry e = *c;

		e.exposure = 1 + 3;	/* the catalog's critical */
		e.owner = CRED_OWNER_CONTROL_PLANE;
		e.entry = "etcd-data";
		assert_int_equal(creds_update(x->table, id, &e), 0);
	}
	add_host(x, CW_CRED_SSH, "/home/alice/.ssh/id_ed25519", 0640);
	add_host(x, CW_CRED_REGISTRY, "/var/lib/kubelet/config.json", 0600);	/* fine */
	add_host(x, CW_CRED_CUSTOM, "/srv/watched-by-hand", 0644);	/* --watch: not judged */
	assert_int_equal(eval(x, T0), 2);
	for (int i = 0; i < 2; i++) {
		l = x->lines[i];
		if (!strcmp(str_at(l, "resource", "cred_kind"), "etcd")) {
			check_common(l, "exposed_host_credential", "critical", "open");
			assert_string_equal(str_at(l, "evidence", "catalog_entry"), "etcd-data");
		} else {
			check_common(l, "exposed_host_credential", "medium", "open");
			assert_string_equal(str_at(l, "resource", "cred_kind"), "ssh");
		}
	}
	/*
	 * the cluster's credential chowned to a login user is readable by that
	 * user (root can chown); a node file a user owns (their own runtime dir's
	 * registry login) is not judged by its owner
	 */
	if (geteuid() != 0)
		return;
	snprintf(real, sizeof(real), "%s/var/lib/kubelet/config.json", x->dir);
	assert_int_equal(chown(real, 1000, 1000), 0);
	assert_int_equal(eval(x, T0 + 10), 0);
	id = add_host(x, CW_CRED_KUBECONFIG, "/etc/kubernetes/admin.conf", 0600);
	{
		struct cred_entry e = *creds_get(x->table, id);

		e.owner = CRED_OWNER_CONTROL_PLANE;
		assert_int_equal(creds_update(x->table, id, &e), 0);
	}
	snprintf(real, sizeof(real), "%s/etc/kubernetes/admin.conf", x->dir);
	assert_int_equal(chown(real, 1000, 1000), 0);
	assert_int_equal(eval(x, T0 + 20), 2);	/* and admin.conf on a worker */
	l = only(x, "exposed_host_credential");
	check_common(l, "exposed_host_credential", "high", "open");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(l, "evidence"),
						     "owned_by_login_user")));
	assert_true(contains(str_at(l, "recommendation", "command"), "chown root: "));
}

static void test_findings_ci_workspace_and_stateless_check(void **state)
{
	struct fx *x = *state;
	struct cred_entry e;
	const cJSON *l;
	char id[32], seen_id[32] = "";
	uint32_t cid;
	struct findings *st;
	struct findings_opts o = opts_for(x);
	struct check_got got = { 0 };

	cid = add_host(x, CW_CRED_KUBECONFIG, "/home/gitlab-runner/builds/a/kubeconfig", 0600);
	e = *creds_get(x->table, cid);
	e.flags = CRED_F_CI_WORKSPACE;
	e.owner = CRED_OWNER_HOME;
	e.entry = "ci-workspace-kubeconfig";
	assert_int_equal(creds_update(x->table, cid, &e), 0);
	assert_int_equal(eval(x, T0), 1);
	l = only(x, "ci_workspace_credential");
	check_common(l, "ci_workspace_credential", "high", "open");
	assert_string_equal(str_at(l, "recommendation", "command"),
			    "rm -f '/home/gitlab-runner/builds/a/kubeconfig'");
	snprintf(id, sizeof(id), "%s", str_at(l, "id", NULL));

	/* the inventory's check: same type, severity and id, nothing kept or saved */
	o.stateless = true;
	o.state_dir = "/nonexistent/never-made";
	assert_int_equal(findings_new(&st, &o), 0);
	findings_check(st, creds_get(x->table, cid), false, false, T0, NULL, NULL,
		       check_cb, &got);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.type, "ci_workspace_credential");
	assert_int_equal(got.sev, 2);
	assert_string_equal(got.id, id);
	/* a file of another user under a home (e's strings went with the update: take them again) */
	memset(&got, 0, sizeof(got));
	e = *creds_get(x->table, cid);
	e.uid = 1001;
	e.home_uid = 1000;
	e.flags = 0;
	findings_check(st, &e, false, true, T0, NULL, NULL, check_cb, &got);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.type, "foreign_owned_credential");
	assert_int_equal(got.sev, 2);
	snprintf(seen_id, sizeof(seen_id), "%s", got.id);
	assert_string_not_equal(seen_id, id);
	findings_free(st);
	assert_int_equal(access("/nonexistent/never-made", F_OK), -1);
}


/* What discovery refuses is a finding until it no longer does. */
static void test_findings_refusals_are_findings_until_they_go(void **state)
{
	struct fx *x = *state;
	struct cred_entry link = { .kind = CW_CRED_KUBECONFIG, .path = "/home/mallory/.kube/config",
				   .entry = "user-kubeconfigs", .owner = CRED_OWNER_HOME,
				   .group = "home:/home/mallory", .pod_uid = "" };
	struct cred_entry planted = link;
	struct cred_entry full = { .kind = CW_CRED_SECRET, .path = "/var/lib/kubelet/pods/p/x",
				   .entry = "kubelet-secret", .owner = CRED_OWNER_POD,
				   .group = "pod:p", .pod_uid = "p" };
	/* the same place refused for another reason too: a finding of its own */
	struct findings_refusal r[4] = {
		{ &link, "outside", "a symlink (-> /etc/ld.so.cache) leads out", 1, false, false },
		{ &planted, "owner", "owned by uid 1001", 1, true, false },
		{ &full, "reserve", "the watched map is full", 120, false, true },
		{ &link, "entry_bound", "in home /home/mallory: 2744 more files", 2744, false, false },
	};
	const cJSON *l;
	char id[32], bound_id[32] = "";

	planted.path = "/home/alice/.kube/from-bob.yaml";
	planted.uid = 1001;
	planted.home_uid = 1000;
	findings_set_refusals(x->f, r, 4);
	assert_int_equal(eval(x, T0), 4);
	assert_int_equal(count(x, "discovery_refused"), 3);	/* the link, the full map, the bound */
	for (int i = 0; i < x->n; i++) {
		const cJSON *e = x->lines[i];
		const char *type = str_at(e, "type", NULL);

		if (!strcmp(type, "foreign_owned_credential")) {
			check_common(e, type, "high", "open");
			assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(e, "evidence"),
							     "uid")->valueint, 1001);
		} else if (!strcmp(str_at(e, "evidence", "reason"), "reserve")) {
			check_common(e, type, "high", "open");
			assert_true(contains(str_at(e, "recommendation", "summary"), "--max-watched"));
		} else if (!strcmp(str_at(e, "evidence", "reason"), "entry_bound")) {
			check_common(e, type, "medium", "open");
			snprintf(bound_id, sizeof(bound_id), "%s", str_at(e, "id", NULL));
		} else {
			check_common(e, type, "medium", "open");
			assert_string_equal(str_at(e, "evidence", "reason"), "outside");
			assert_string_equal(str_at(e, "resource", "path"), "/home/mallory/.kube/config");
			snprintf(id, sizeof(id), "%s", str_at(e, "id", NULL));
		}
	}
	assert_true(bound_id[0] && strcmp(bound_id, id));
	/* unchanged: nothing new; a count that moved is no change either */
	r[2].files = 130;
	assert_int_equal(eval(x, T0 + 10), 0);
	/* the link is gone: its finding resolves, the others stay */
	findings_set_refusals(x->f, r + 1, 3);
	assert_int_equal(eval(x, T0 + 20), 1);
	l = x->lines[0];
	check_common(l, "discovery_refused", "medium", "resolved");
	assert_string_equal(str_at(l, "id", NULL), id);
	assert_true(contains(str_at(l, "evidence", "resolved_because"), "no longer refuses"));
	findings_set_refusals(x->f, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_findings_unused_token_reported_after_window),
		T(test_findings_token_read_by_its_pod_is_not_unused),
		T(test_findings_token_read_only_from_host_is_still_unused),
		T(test_findings_legacy_secret_token),
		T(test_findings_world_readable_kubeconfig_resolves_when_fixed),
		T(test_findings_admin_conf_on_worker_not_on_control_plane),
		T(test_findings_shared_credential_read_by_two_pods),
		T(test_findings_unexpected_reader_after_learning_window),
		T(test_findings_evaluate_twice_emits_once),
		T(test_findings_restart_mid_window_keeps_first_seen),
		T(test_findings_restart_does_not_resend_and_resolves_from_saved_resource),
		T(test_findings_unused_resolves_when_token_is_read),
		T(test_findings_learned_readers_survive_restart_by_hash),
		T(test_findings_corrupt_state_is_moved_aside),
		T(test_findings_truncated_state_is_corrupt),
		T(test_findings_unreadable_state_is_moved_aside),
		T(test_findings_state_dir_that_cannot_be_made_fails),
		T(test_findings_bounds_count_what_is_not_tracked),
		T(test_findings_reader_bounds_keep_room_for_unexpected),
		T(test_findings_hostile_names_never_reach_commands),
		T(test_findings_records_without_credential_are_counted),
		T(test_findings_ids_are_stable_and_distinct),
		T(test_findings_new_kinds_use_the_catalog_severity),
		T(test_findings_ci_workspace_and_stateless_check),
		T(test_findings_refusals_are_findings_until_they_go),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
