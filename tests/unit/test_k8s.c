// SPDX-License-Identifier: Apache-2.0
/* test_k8s.c - kubeconfig loading and list+watch against a fake HTTPS API server. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "user/identity.h"
#include "user/k8s.h"
#include "user/kubeconfig.h"
#include "tests/lib/fake_apiserver.h"

#define UA "11111111-2222-3333-4444-555555555555"
#define UB "22222222-2222-3333-4444-555555555555"
#define UC "33333333-2222-3333-4444-555555555555"
#define UD "44444444-2222-3333-4444-555555555555"
#define CID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/cwk8s.XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(char *d)
{
	char cmd[PATH_MAX];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(d);
}

static void test_k8s_image_repository_strips_tag_and_digest(void **state)
{
	static const char *const cases[][2] = {
		{ "nginx", "nginx" },
		{ "nginx:1.25", "nginx" },
		{ "docker.io/library/nginx:1.25@sha256:abcd", "docker.io/library/nginx" },
		{ "registry.local:5000/team/app", "registry.local:5000/team/app" },
		{ "registry.local:5000/team/app:v2", "registry.local:5000/team/app" },
		{ "app@sha256:00", "app" },
		{ "", "" },
	};
	char out[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		k8s_image_repository(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
	k8s_image_repository("averyveryverylongimagename:tag", out, 5);
	assert_string_equal(out, "aver");	/* cut, still terminated */
}

static void test_kubeconfig_reads_files_relative_to_its_dir(void **state)
{
	char *d = tmpdir(), p[PATH_MAX], want[PATH_MAX];
	struct kube_config *c;
	char tok[64];

	snprintf(p, sizeof(p), "%s/ca.crt", d);
	write_file(p, "x");
	snprintf(p, sizeof(p), "%s/tok", d);
	write_file(p, "file-token\n");
	snprintf(p, sizeof(p), "%s/config", d);
	write_file(p,
		   "apiVersion: v1\nkind: Config\ncurrent-context: b\n"
		   "clusters:\n- name: one\n  cluster: {server: 'https://10.0.0.1:6443'}\n"
		   "- name: two\n  cluster:\n    server: https://api.example:443/\n"
		   "    certificate-authority: ca.crt\n"
		   "contexts:\n- name: a\n  context: {cluster: one, user: u1}\n"
		   "- name: b\n  context: {cluster: two, user: u2}\n"
		   "users:\n- name: u1\n  user: {token: wrong}\n"
		   "- name: u2\n  user:\n    tokenFile: tok\n");
	assert_int_equal(kube_config_load_file(p, &c), 0);
	assert_string_equal(c->server, "https://api.example:443");
	snprintf(want, sizeof(want), "%s/ca.crt", d);
	assert_string_equal(c->ca.file, want);
	assert_int_equal(kube_config_token(c, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "file-token");
	assert_false(c->insecure);
	kube_config_free(c);
	rmtree(d);
}

static void test_kubeconfig_decodes_data_fields(void **state)
{
	char *d = tmpdir(), p[PATH_MAX];
	struct kube_config *c;
	char tok[64];

	snprintf(p, sizeof(p), "%s/config", d);
	/* base64 of "CA-PEM", "CERT", "KEY" */
	write_file(p,
		   "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n"
		   "    certificate-authority-data: Q0EtUEVN\n"
		   "contexts:\n- name: only\n  context: {cluster: c, user: u}\n"
		   "users:\n- name: u\n  user:\n    client-certificate-data: Q0VSVA==\n"
		   "    client-key-data: S0VZ\n    token: t0k\n");
	assert_int_equal(kube_config_load_file(p, &c), 0);	/* the only context */
	assert_int_equal(c->ca.len, 6);
	assert_memory_equal(c->ca.data, "CA-PEM", 6);
	assert_memory_equal(c->cert.data, "CERT", 4);
	assert_memory_equal(c->key.data, "KEY", 3);
	assert_int_equal(kube_config_token(c, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "t0k");
	kube_config_free(c);
	rmtree(d);
}

static void test_kubeconfig_rejects_unusable_files(void **state)
{
	static const char *const bad[] = {
		"not: [valid",
		"- a list\n",
		"clusters: []\n",
		"current-context: x\ncontexts:\n- name: y\n  context: {cluster: c}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		"clusters:\n- name: c\n  cluster: {server: 'http://plain:80'}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://a'}\n"
		"users:\n- name: u\n  user:\n    exec: {command: aws}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://a', certificate-authority: /nonexistent/ca}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://a', certificate-authority-data: '!!!'}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://a'}\n"
		"users:\n- name: u\n  user: {client-certificate-data: Q0VSVA==}\n",
		"current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: nobody}\n"
		"clusters:\n- name: c\n  cluster: {server: 'https://a'}\n",
	};
	char *d = tmpdir(), p[PATH_MAX];
	struct kube_config *c;

	snprintf(p, sizeof(p), "%s/config", d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_file(p, bad[i]);
		if (kube_config_load_file(p, &c) == 0)
			fail_msg("accepted bad kubeconfig #%zu", i);
		assert_null(c);
	}
	assert_int_equal(kube_config_load_file("/nonexistent/kubeconfig", &c), -ENOENT);
	rmtree(d);
}

static void test_kubeconfig_in_cluster_uses_env_and_sa_dir(void **state)
{
	char *d = tmpdir(), p[PATH_MAX];
	struct kube_config *c;
	char tok[64];

	unsetenv("KUBERNETES_SERVICE_HOST");
	assert_int_equal(kube_config_in_cluster(d, &c), -ENOENT);
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_not_equal(kube_config_in_cluster(d, &c), 0);	/* no token yet */
	snprintf(p, sizeof(p), "%s/token", d);
	write_file(p, "sa-token-1");
	snprintf(p, sizeof(p), "%s/ca.crt", d);
	write_file(p, "x");
	assert_int_equal(kube_config_in_cluster(d, &c), 0);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_int_equal(kube_config_token(c, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "sa-token-1");
	/* Bound tokens rotate: the file is read again each time. */
	snprintf(p, sizeof(p), "%s/token", d);
	write_file(p, "sa-token-2");
	assert_int_equal(kube_config_token(c, tok, sizeof(tok)), 0);
	assert_string_equal(tok, "sa-token-2");
	kube_config_free(c);
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	rmtree(d);
}

/* A kube_config for the fake server. */
static struct kube_config *server_config(struct fake_api *s, const char *token)
{
	struct kube_config *c;

	assert_int_equal(kube_config_load_file(fake_api_kubeconfig(s, token), &c), 0);
	return c;
}

static bool wait_for(struct k8s *k, const char *uid, bool present)
{
	struct k8s_pod_view v;

	for (int i = 0; i < 400; i++) {	/* up to 20 s; never a timing assertion */
		if ((k8s_lookup(k, uid, NULL, NULL, &v) == 0) == present)
			return true;
		usleep(50000);
	}
	return false;
}

static void test_k8s_enrichment_survives_errors_drops_and_gone(void **state)
{
	struct k8s_opts o = { .node_name = "node-1", .backoff_min_ms = 50, .backoff_max_ms = 200 };
	struct fake_api s;
	struct k8s_pod_view v;
	struct k8s_stats st;
	struct k8s *k;
	char p[PATH_MAX], *line = NULL;
	size_t n = 0;
	int watches = 0;
	bool resumed = false;
	FILE *f;

	fake_api_start(&s);
	o.config = server_config(&s, "test-token");
	assert_int_equal(k8s_new(&k, &o), 0);
	assert_non_null(k);
	assert_int_equal(k8s_start(k), 0);
	/* 503 -> list A -> watch (B added, A modified, drop) -> resume -> 410 -> relist -> D */
	assert_true(wait_for(k, UD, true));
	assert_true(wait_for(k, UB, false));
	assert_int_equal(k8s_lookup(k, UC, NULL, NULL, &v), 0);
	assert_string_equal(v.ns, "team-c");
	assert_int_equal(k8s_lookup(k, UA, CID_A, "db-creds", &v), 0);
	assert_string_equal(v.name, "pod-a");
	assert_string_equal(v.ns, "team-a");
	assert_string_equal(v.sa, "sa-two");
	assert_string_equal(v.container_name, "app");
	assert_string_equal(v.container_image, "registry.local:5000/team/app");
	assert_true(v.container_found && v.container_privileged);
	assert_int_equal(k8s_lookup(k, UA, "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
				     NULL, &v), 0);
	assert_string_equal(v.container_name, "side");	/* no securityContext: not privileged */
	assert_true(v.container_found && !v.container_privileged);
	assert_int_equal(k8s_lookup(k, UA, CID_A, "db-creds", &v), 0);
	assert_true(v.volume_found);
	assert_string_equal(v.secret_name, "db-password");
	assert_int_equal(k8s_lookup(k, UA, "f00d", "kube-api-access-x7k2p", &v), 0);
	assert_string_equal(v.container_name, "");
	assert_false(v.container_found);
	assert_true(v.volume_sa_token);
	assert_string_equal(v.secret_name, "");
	assert_int_equal(k8s_lookup(k, UA, NULL, "no-such-volume", &v), 0);
	assert_false(v.volume_found);
	k8s_stats(k, &st);
	assert_true(st.synced);
	assert_int_equal(st.pods, 3);
	assert_true(st.lists >= 2);
	assert_true(st.gone >= 1);
	assert_true(st.errors >= 2);	/* the 503 and the dropped stream */
	/* the Node object was read once, after the first list */
	{
		struct cluster_identity id;
		bool ready = false;

		for (int i = 0; i < 100 && !(ready = k8s_node_identity(k, &id)); i++)
			usleep(20000);
		assert_true(ready);
		assert_string_equal(id.provider, "aws");
		assert_string_equal(id.region, "eu-west-1");
		assert_string_equal(id.zone, "eu-west-1b");
	}
	/* The watch after the drop resumed from the last version it saw. */
	snprintf(p, sizeof(p), "%s/requests.log", s.dir);
	f = fopen(p, "r");
	assert_non_null(f);
	while (getline(&line, &n, f) > 0) {
		if (!strstr(line, "watch=1"))
			continue;
		if (++watches == 2)
			resumed = strstr(line, "resourceVersion=12&") != NULL;
	}
	free(line);
	fclose(f);
	assert_true(resumed);
	/* Stopping with a watch open returns (the transfer is aborted). */
	k8s_free(k);
	fake_api_stop(&s);
}

static void test_k8s_store_is_bounded_by_max_pods(void **state)
{
	struct k8s_opts o = { .node_name = "node-1", .backoff_min_ms = 20, .backoff_max_ms = 50,
			      .max_pods = 1 };
	struct fake_api s;
	struct k8s_stats st;
	struct k8s *k;

	fake_api_start(&s);
	o.config = server_config(&s, "test-token");
	assert_int_equal(k8s_new(&k, &o), 0);
	assert_non_null(k);
	assert_int_equal(k8s_start(k), 0);
	for (int i = 0; i < 400; i++) {	/* the watch adds B (and the relist has 2) */
		k8s_stats(k, &st);
		if (st.dropped_pods >= 1)
			break;
		usleep(50000);
	}
	assert_true(st.dropped_pods >= 1);
	assert_int_equal(st.pods, 1);
	k8s_free(k);
	fake_api_stop(&s);
}

static void test_k8s_wrong_token_keeps_backing_off_without_pods(void **state)
{
	struct k8s_opts o = { .node_name = "node-1", .backoff_min_ms = 20, .backoff_max_ms = 50 };
	struct fake_api s;
	struct k8s_pod_view v;
	struct k8s_stats st;
	struct k8s *k;

	fake_api_start(&s);
	o.config = server_config(&s, "wrong-token");
	assert_int_equal(k8s_new(&k, &o), 0);
	assert_non_null(k);
	assert_int_equal(k8s_start(k), 0);
	for (int i = 0; i < 400; i++) {
		k8s_stats(k, &st);
		if (st.errors >= 3)
			break;
		usleep(50000);
	}
	assert_true(st.errors >= 3);
	assert_false(st.synced);
	assert_int_equal(k8s_lookup(k, UA, NULL, NULL, &v), -ENOENT);
	k8s_free(k);
	fake_api_stop(&s);
}

static void test_k8s_unreachable_api_backs_off_and_stops_promptly(void **state)
{
	struct k8s_opts o = { .node_name = "node-1", .backoff_min_ms = 10, .backoff_max_ms = 40 };
	char *d = tmpdir(), p[PATH_MAX];
	struct k8s_stats st;
	struct k8s *k;

	snprintf(p, sizeof(p), "%s/config", d);
	write_file(p, "clusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:1'}\n"
		      "contexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		      "users:\n- name: u\n  user: {token: t}\n");
	assert_int_equal(kube_config_load_file(p, &o.config), 0);
	assert_int_equal(k8s_new(&k, &o), 0);
	assert_non_null(k);
	assert_int_equal(k8s_start(k), 0);
	for (int i = 0; i < 400; i++) {
		k8s_stats(k, &st);
		if (st.errors >= 3)
			break;
		usleep(50000);
	}
	assert_true(st.errors >= 3);
	assert_int_equal(st.pods, 0);
	k8s_free(k);
	rmtree(d);
}

static void test_k8s_new_requires_node_and_config(void **state)
{
	struct k8s_opts o = { .node_name = "" };
	struct k8s *k = (struct k8s *)1;

	assert_int_equal(k8s_new(&k, &o), -EINVAL);
	assert_null(k);
	k = (struct k8s *)1;
	assert_int_equal(k8s_new(&k, NULL), -EINVAL);
	assert_null(k);
	k8s_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_k8s_image_repository_strips_tag_and_digest),
		cmocka_unit_test(test_kubeconfig_reads_files_relative_to_its_dir),
		cmocka_unit_test(test_kubeconfig_decodes_data_fields),
		cmocka_unit_test(test_kubeconfig_rejects_unusable_files),
		cmocka_unit_test(test_kubeconfig_in_cluster_uses_env_and_sa_dir),
		cmocka_unit_test(test_k8s_enrichment_survives_errors_drops_and_gone),
		cmocka_unit_test(test_k8s_store_is_bounded_by_max_pods),
		cmocka_unit_test(test_k8s_wrong_token_keeps_backing_off_without_pods),
		cmocka_unit_test(test_k8s_unreachable_api_backs_off_and_stops_promptly),
		cmocka_unit_test(test_k8s_new_requires_node_and_config),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
