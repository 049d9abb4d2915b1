/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fake_apiserver.h - start/stop tests/lib/fake_apiserver.py from a cmocka
 * test and write a kubeconfig for it (CA as certificate-authority-data).
 * Header-only: unit tests are single files.
 */
#ifndef CW_TEST_FAKE_APISERVER_H
#define CW_TEST_FAKE_APISERVER_H

/* Self-contained: the Makefile's test rule may hand this header to the compiler. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fake_api {
	char dir[64];
	char kubeconfig[PATH_MAX];
	pid_t pid;
	int port;
};

static void fake_api_start(struct fake_api *s)
{
	char p[PATH_MAX];
	FILE *f;

	snprintf(s->dir, sizeof(s->dir), "/tmp/cwapi.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		execlp("python3", "python3", "tests/lib/fake_apiserver.py", "--dir", s->dir,
		       "--timeout", "60", (char *)NULL);
		_exit(127);
	}
	snprintf(p, sizeof(p), "%s/port", s->dir);
	for (int i = 0; i < 600 && access(p, R_OK); i++)	/* openssl keygen: up to 30 s */
		usleep(50000);
	f = fopen(p, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &s->port), 1);
	fclose(f);
}

/* Writes <dir>/kubeconfig for the server with this bearer token. */
static const char *fake_api_kubeconfig(struct fake_api *s, const char *token)
{
	char cmd[PATH_MAX], *b64 = NULL;
	size_t n = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "base64 -w0 '%s/ca.crt'", s->dir);
	f = popen(cmd, "r");
	assert_non_null(f);
	assert_true(getline(&b64, &n, f) > 0);
	pclose(f);
	snprintf(s->kubeconfig, sizeof(s->kubeconfig), "%s/kubeconfig", s->dir);
	f = fopen(s->kubeconfig, "w");
	assert_non_null(f);
	fprintf(f, "current-context: t\ncontexts:\n- name: t\n  context: {cluster: c, user: u}\n"
		   "clusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:%d\n"
		   "    certificate-authority-data: %s\n"
		   "users:\n- name: u\n  user: {token: %s}\n", s->port, b64, token);
	fclose(f);
	free(b64);
	return s->kubeconfig;
}

static void fake_api_stop(struct fake_api *s)
{
	char cmd[128];

	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
	assert_int_equal(system(cmd), 0);
}

#endif /* CW_TEST_FAKE_APISERVER_H */
