// SPDX-License-Identifier: Apache-2.0
/*
 * test_inventory.c - `credwatch inventory` on a jump-host fixture: every
 * credential with its kind, entry, owner and verdict; findings as the agent
 * writes them (type, severity, id); --fail-on; nothing of a credential's
 * contents in any output (every fixture file holds a CWMARKER); hostile
 * names escaped on a terminal; a broken catalog is exit 2.
 */
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
#include <cjson/cJSON.h>

#include "user/inventory.h"
#include "tests/unit/unit_srcdir.h"

#define NOW	1800000000ULL

static char root[PATH_MAX], catdir[PATH_MAX];

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

/* A credential (CWMARKER content) at host path hp with mode. */
static void cred(const char *hp, mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s%s", root, hp);
	mkparents(path);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "CWMARKER-%08x%08x\n", (unsigned)rand(), (unsigned)rand());
	fclose(f);
	assert_int_equal(chmod(path, mode), 0);
}

static void public_file(const char *hp, const char *text)
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

static void find_catalog(void)
{
	char src[PATH_MAX];

	unit_srcdir(src, sizeof(src));
	snprintf(catdir, sizeof(catdir), "%s/catalog", src);
}

static int setup(void **state)
{
	(void)state;
	find_catalog();
	snprintf(root, sizeof(root), "/tmp/cw-test-inventory.XXXXXX");
	assert_non_null(mkdtemp(root));
	public_file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
		    "alice:x:1000:1000::/home/alice:/bin/bash\n"
		    "bob:x:1001:1001::/home/bob:/bin/bash\n");
	/* alice: kubeconfigs under several names, a key anyone can read, a registry login */
	cred("/home/alice/.kube/config", 0600);
	cred("/home/alice/.kube/prod.yaml", 0600);
	cred("/home/alice/.kube/staging.conf", 0640);
	cred("/home/alice/.ssh/id_rsa", 0644);
	public_file("/home/alice/.ssh/id_rsa.pub", "ssh-rsa AAAA public\n");
	public_file("/home/alice/.ssh/known_hosts", "host ssh-ed25519 AAAA\n");
	cred("/home/alice/.docker/config.json", 0644);
	/* bob: a kubeconfig and cloud keys */
	cred("/home/bob/.kube/config", 0600);
	cred("/home/bob/.aws/credentials", 0600);
	/* the node: ssh host key, kubelet */
	cred("/etc/ssh/ssh_host_ed25519_key", 0600);
	cred("/var/lib/kubelet/kubeconfig", 0600);
	if (geteuid() == 0) {
		char p[PATH_MAX];

		snprintf(p, sizeof(p), "%s/home/alice", root);
		assert_int_equal(chown(p, 1000, 1000), 0);
		snprintf(p, sizeof(p), "%s/home/bob", root);
		assert_int_equal(chown(p, 1001, 1001), 0);
		/* bob's file in alice's home */
		cred("/home/alice/.kube/from-bob.yaml", 0600);
		snprintf(p, sizeof(p), "%s/home/alice/.kube/from-bob.yaml", root);
		assert_int_equal(chown(p, 1001, 1001), 0);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

/* Run the inventory; its output in *text (caller frees). */
static int run(bool json, int fail_on, const char *catalog, char **text)
{
	const char *cats[1] = { catalog ? catalog : catdir };
	struct inventory_opts o = { .host_root = root, .catalog = cats, .ncatalog = 1,
				    .node_name = "jump-1", .cluster_name = "prod", .json = json,
				    .fail_on = fail_on, .now_s = NOW };
	size_t len = 0;
	int ret;

	*text = NULL;
	o.out = open_memstream(text, &len);
	assert_non_null(o.out);
	ret = inventory_run(&o);
	fclose(o.out);
	assert_non_null(*text);
	return ret;
}

static const cJSON *cred_at(const cJSON *doc, const char *path)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(doc, "credentials"))
		if (!strcmp(cJSON_GetObjectItem(c, "path")->valuestring, path))
			return c;
	return NULL;
}

static const char *s_of(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool has_verdict(const cJSON *c, const char *v)
{
	const cJSON *x;

	cJSON_ArrayForEach(x, cJSON_GetObjectItem(c, "verdicts"))
		if (!strcmp(x->valuestring, v))
			return true;
	return false;
}

static void test_inventory_lists_every_credential_with_its_verdict(void **state)
{
	const cJSON *c, *f;
	cJSON *doc;
	char *text;
	int nfind = 0;

	(void)state;
	assert_int_equal(run(true, -1, NULL, &text), 0);
	assert_null(strstr(text, "CWMARKER"));		/* no credential's bytes */
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	assert_string_equal(s_of(doc, "kind"), "inventory");
	assert_string_equal(s_of(doc, "node"), "jump-1");

	c = cred_at(doc, "/home/alice/.kube/config");
	assert_non_null(c);
	assert_string_equal(s_of(c, "kind"), "kubeconfig");
	assert_string_equal(s_of(c, "entry"), "user-kubeconfigs");
	assert_string_equal(s_of(cJSON_GetObjectItem(c, "owner"), "type"), "home");
	assert_string_equal(s_of(c, "mode"), "0600");
	assert_true(cJSON_IsNull(cJSON_GetObjectItem(c, "severity")));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(c, "verdicts")), 0);
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(c, "size")));
	assert_true(cJSON_IsNumber(cJSON_GetObjectItem(c, "age_s")));
	assert_non_null(cred_at(doc, "/home/alice/.kube/prod.yaml"));
	assert_non_null(cred_at(doc, "/home/bob/.kube/config"));
	assert_string_equal(s_of(cred_at(doc, "/home/bob/.aws/credentials"), "kind"), "cloud");

	/* over-readable: a world-readable key is high, a group-readable kubeconfig medium */
	c = cred_at(doc, "/home/alice/.ssh/id_rsa");
	assert_string_equal(s_of(c, "kind"), "ssh");
	assert_true(has_verdict(c, "world_readable"));
	assert_string_equal(s_of(c, "severity"), "high");
	c = cred_at(doc, "/home/alice/.kube/staging.conf");
	assert_true(has_verdict(c, "group_readable"));
	assert_string_equal(s_of(c, "severity"), "medium");
	/* a registry login */
	c = cred_at(doc, "/home/alice/.docker/config.json");
	assert_string_equal(s_of(c, "kind"), "registry");
	assert_true(has_verdict(c, "world_readable"));
	/* public material is not listed */
	assert_null(cred_at(doc, "/home/alice/.ssh/id_rsa.pub"));
	assert_null(cred_at(doc, "/home/alice/.ssh/known_hosts"));
	assert_null(cred_at(doc, "/etc/passwd"));
	if (geteuid() == 0) {
		c = cred_at(doc, "/home/alice/.kube/config");
		assert_string_equal(s_of(cJSON_GetObjectItem(c, "owner"), "user"), "alice");
		c = cred_at(doc, "/home/alice/.kube/from-bob.yaml");
		assert_non_null(c);
		assert_true(has_verdict(c, "owned_by_another_user"));
		assert_false(cJSON_IsTrue(cJSON_GetObjectItem(c, "watched")));
		assert_string_equal(s_of(c, "user"), "bob");
	}
	/* findings are the agent's lines: kind, type, id, evidence, recommendation */
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(doc, "findings")) {
		const char *id = s_of(f, "id");

		assert_string_equal(s_of(f, "kind"), "finding");
		assert_string_equal(s_of(f, "status"), "open");
		assert_string_equal(s_of(f, "cluster"), "prod");
		assert_true(id && !strncmp(id, "cwf-", 4) && strlen(id) == 20);
		assert_non_null(cJSON_GetObjectItem(f, "recommendation"));
		nfind++;
	}
	assert_int_equal(nfind, geteuid() == 0 ? 4 : 3);
	cJSON_Delete(doc);
	free(text);
}

static void test_inventory_fail_on_exits_3_at_or_above(void **state)
{
	char *text;

	(void)state;
	assert_int_equal(run(false, 2, NULL, &text), INVENTORY_EXIT_FINDINGS);	/* high */
	free(text);
	assert_int_equal(run(false, 1, NULL, &text), INVENTORY_EXIT_FINDINGS);	/* medium */
	free(text);
	assert_int_equal(run(false, 3, NULL, &text), 0);	/* nothing critical here */
	free(text);
}

static void test_inventory_text_escapes_hostile_names(void **state)
{
	char *text;

	(void)state;
	cred("/home/bob/.kube/evil\x1b[2J\x07name.yaml", 0600);
	assert_int_equal(run(false, -1, NULL, &text), 0);
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	assert_non_null(strstr(text, "evil\\x1b[2J\\x07name.yaml"));
	assert_null(strstr(text, "CWMARKER"));
	assert_non_null(strstr(text, "credwatch inventory of jump-1"));
	free(text);
}

static void test_inventory_broken_catalog_is_a_usage_error(void **state)
{
	char bad[PATH_MAX], *text;
	FILE *f;

	(void)state;
	snprintf(bad, sizeof(bad), "%s-bad.yaml", root);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("- entry: x\n  kind: nope\n  paths: [/x]\n", f);
	fclose(f);
	assert_int_equal(run(true, -1, bad, &text), 2);
	assert_string_equal(text, "");
	free(text);
	unlink(bad);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inventory_lists_every_credential_with_its_verdict),
		cmocka_unit_test(test_inventory_fail_on_exits_3_at_or_above),
		cmocka_unit_test(test_inventory_text_escapes_hostile_names),
		cmocka_unit_test(test_inventory_broken_catalog_is_a_usage_error),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
