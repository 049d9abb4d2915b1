/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kubeconfig.h - how to reach the Kubernetes API: a kubeconfig file or the
 * in-cluster service account.
 *
 * Kubeconfig subset read (libyaml): current-context (or the only context),
 * contexts[].context.{cluster,user}, clusters[].cluster.{server,
 * certificate-authority, certificate-authority-data, insecure-skip-tls-verify},
 * users[].user.{token, tokenFile, client-certificate(-data),
 * client-key(-data)}. Relative file paths are relative to the kubeconfig's
 * directory. exec and auth-provider users are refused with a clear error.
 *
 * In cluster: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT,
 * <sa_dir>/token (re-read when it changes: bound tokens rotate) and
 * <sa_dir>/ca.crt. The token is never logged.
 */
#ifndef CW_KUBECONFIG_H
#define CW_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define KUBE_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

/* A PEM blob in memory or a file path; at most one is set. */
struct kube_pem {
	char *file;
	char *data;
	size_t len;
};

struct kube_config {
	char *server;		/* https://host:port, no trailing '/' */
	struct kube_pem ca, cert, key;
	char *token;		/* static bearer token */
	char *token_file;	/* re-read when it changes (http.h) */
	bool insecure;		/* insecure-skip-tls-verify: true */
	char *source;		/* file or "in-cluster", for messages */
};

/*
 * kube_config_load_file - parse a kubeconfig. 0, or -EINVAL/-ENOENT with
 * one log_error line naming the file and what is wrong.
 */
int kube_config_load_file(const char *path, struct kube_config **out);

/*
 * kube_config_in_cluster - the pod's service account. -ENOENT (logged at
 * info) when not running in a cluster.
 */
int kube_config_in_cluster(const char *sa_dir, struct kube_config **out);

void kube_config_free(struct kube_config *c);

/*
 * kube_config_token - the bearer token to send now (copied into buf), or
 * "" when the config uses none. 0, or -errno when the token file is gone.
 */
int kube_config_token(const struct kube_config *c, char *buf, size_t size);

/* Decode base64 (whitespace ignored). Returns a malloc'd buffer or NULL. */
char *kube_base64_decode(const char *in, size_t *out_len);

#endif /* CW_KUBECONFIG_H */
