// SPDX-License-Identifier: Apache-2.0
/* kubeconfig.c - API server address and credentials: kubeconfig or in-cluster. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "http.h"
#include "kubeconfig.h"
#include "log.h"

#define TOKEN_MAX	(64 * 1024)

char *kube_base64_decode(const char *in, size_t *out_len)
{
	size_t n = strlen(in), o = 0;
	unsigned int acc = 0;
	int bits = 0;
	char *out = malloc(n / 4 * 3 + 4);

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		int v;

		if (ch >= 'A' && ch <= 'Z')
			v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z')
			v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9')
			v = ch - '0' + 52;
		else if (ch == '+' || ch == '-')
			v = 62;
		else if (ch == '/' || ch == '_')
			v = 63;
		else if (ch == '=' || ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t')
			continue;
		else {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		acc = (acc << 6) | (unsigned int)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	*out_len = o;
	return out;
}

int kube_config_token(const struct kube_config *c, char *buf, size_t size)
{
	struct http_token t = { .path = c->token_file };
	int err;

	buf[0] = '\0';
	if (!c->token_file) {
		if (c->token)
			snprintf(buf, size, "%s", c->token);
		return 0;
	}
	err = http_token_refresh(&t);	/* the same reading as every request's */
	if (err >= 0)
		snprintf(buf, size, "%s", t.value);
	http_token_clear(&t);
	return err < 0 ? err : 0;
}

void kube_config_free(struct kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->ca.file);
	free(c->ca.data);
	free(c->cert.file);
	free(c->cert.data);
	free(c->key.file);
	free(c->key.data);
	if (c->token)
		explicit_bzero(c->token, strlen(c->token));
	free(c->token);
	free(c->token_file);
	free(c->source);
	free(c);
}

/* Minimal navigation of a loaded libyaml document. */
static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* The item of a named list (clusters, users, contexts) with this name. */
static yaml_node_t *named(yaml_document_t *doc, yaml_node_t *root, const char *list,
			  const char *name, const char *inner)
{
	yaml_node_t *seq = map_get(doc, root, list);

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return NULL;
	for (yaml_node_item_t *i = seq->data.sequence.items.start;
	     i < seq->data.sequence.items.top; i++) {
		yaml_node_t *item = yaml_document_get_node(doc, *i);
		const char *n = scalar(map_get(doc, item, "name"));

		if (n && (!name || !strcmp(n, name)))
			return map_get(doc, item, inner);
	}
	return NULL;
}

static int count_items(yaml_document_t *doc, yaml_node_t *root, const char *list)
{
	yaml_node_t *seq = map_get(doc, root, list);

	if (!seq || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* asprintf that returns NULL on failure (asprintf leaves *strp undefined). */
static char *fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));
static char *fmt(const char *f, ...)
{
	va_list ap;
	char *out;
	int n;

	va_start(ap, f);
	n = vasprintf(&out, f, ap);
	va_end(ap);
	return n < 0 ? NULL : out;
}

/* path relative to the kubeconfig's directory unless absolute. */
static char *resolve(const char *dir, const char *path)
{
	if (path[0] == '/')
		return strdup(path);
	return fmt("%s/%s", dir, path);
}

static int load_pem(const char *file, const char *dir, yaml_node_t *node_file,
		    yaml_node_t *node_data, const char *what, struct kube_pem *pem)
{
	const char *f = scalar(node_file), *d = scalar(node_data);

	if (d && d[0]) {
		pem->data = kube_base64_decode(d, &pem->len);
		if (!pem->data || !pem->len) {
			log_error("kubeconfig: %s: %s-data: not valid base64", file, what);
			return -EINVAL;
		}
	} else if (f && f[0]) {
		pem->file = resolve(dir, f);
		if (!pem->file)
			return -ENOMEM;
		if (access(pem->file, R_OK)) {
			log_error("kubeconfig: %s: %s %s: %s", file, what, pem->file, strerror(errno));
			return -ENOENT;
		}
	}
	return 0;
}

int kube_config_load_file(const char *path, struct kube_config **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *ctx, *cluster, *user;
	struct kube_config *c = NULL;
	const char *cur, *cname, *uname, *server, *s;
	char dir[PATH_MAX], tmp[PATH_MAX];
	bool have_parser = false, have_doc = false;
	FILE *f = NULL;
	int err = -EINVAL;

	*out = NULL;
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		log_error("kubeconfig: %s: open: %s", path, strerror(-err));
		return err;
	}
	snprintf(tmp, sizeof(tmp), "%s", path);
	snprintf(dir, sizeof(dir), "%s", dirname(tmp));
	if (!yaml_parser_initialize(&parser)) {
		err = -ENOMEM;
		goto cleanup;
	}
	have_parser = true;
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		log_error("kubeconfig: %s: line %zu: %s", path, parser.problem_mark.line + 1,
			  parser.problem ? parser.problem : "invalid YAML");
		goto cleanup;
	}
	have_doc = true;
	root = yaml_document_get_root_node(&doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		log_error("kubeconfig: %s: not a kubeconfig (no top-level mapping)", path);
		goto cleanup;
	}
	cur = scalar(map_get(&doc, root, "current-context"));
	if ((!cur || !cur[0]) && count_items(&doc, root, "contexts") != 1) {
		log_error("kubeconfig: %s: no current-context and not exactly one context", path);
		goto cleanup;
	}
	ctx = named(&doc, root, "contexts", cur && cur[0] ? cur : NULL, "context");
	cname = scalar(map_get(&doc, ctx, "cluster"));
	uname = scalar(map_get(&doc, ctx, "user"));
	if (!ctx || !cname) {
		log_error("kubeconfig: %s: context %s not found or has no cluster", path,
			  cur ? cur : "(only)");
		goto cleanup;
	}
	cluster = named(&doc, root, "clusters", cname, "cluster");
	server = scalar(map_get(&doc, cluster, "server"));
	if (!server || strncmp(server, "https://", 8)) {
		log_error("kubeconfig: %s: cluster %s: server must be an https:// URL", path, cname);
		goto cleanup;
	}
	c = calloc(1, sizeof(*c));
	if (!c || !(c->server = strdup(server)) || !(c->source = strdup(path))) {
		err = -ENOMEM;
		goto cleanup;
	}
	while (strlen(c->server) > 8 && c->server[strlen(c->server) - 1] == '/')
		c->server[strlen(c->server) - 1] = '\0';
	s = scalar(map_get(&doc, cluster, "insecure-skip-tls-verify"));
	c->insecure = s && !strcmp(s, "true");
	err = load_pem(path, dir, map_get(&doc, cluster, "certificate-authority"),
		       map_get(&doc, cluster, "certificate-authority-data"),
		       "certificate-authority", &c->ca);
	if (err)
		goto cleanup;
	user = uname ? named(&doc, root, "users", uname, "user") : NULL;
	if (uname && !user) {
		log_error("kubeconfig: %s: user %s not found", path, uname);
		err = -EINVAL;
		goto cleanup;
	}
	if (map_get(&doc, user, "exec") || map_get(&doc, user, "auth-provider")) {
		log_error("kubeconfig: %s: user %s: exec and auth-provider are not supported; "
			  "use a token or a client certificate", path, uname);
		err = -EINVAL;
		goto cleanup;
	}
	s = scalar(map_get(&doc, user, "token"));
	if (s && s[0] && !(c->token = strdup(s))) {
		err = -ENOMEM;
		goto cleanup;
	}
	s = scalar(map_get(&doc, user, "tokenFile"));
	if (s && s[0] && !c->token && !(c->token_file = resolve(dir, s))) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = load_pem(path, dir, map_get(&doc, user, "client-certificate"),
		       map_get(&doc, user, "client-certificate-data"), "client-certificate",
		       &c->cert);
	if (!err)
		err = load_pem(path, dir, map_get(&doc, user, "client-key"),
			       map_get(&doc, user, "client-key-data"), "client-key", &c->key);
	if (err)
		goto cleanup;
	if ((c->cert.file || c->cert.data) != (c->key.file || c->key.data)) {
		log_error("kubeconfig: %s: user %s: client certificate and key go together",
			  path, uname);
		err = -EINVAL;
		goto cleanup;
	}
	if (c->insecure)
		log_warn("kubeconfig: %s: insecure-skip-tls-verify: the API server is not verified",
			 path);
	*out = c;
	c = NULL;
	err = 0;
cleanup:
	kube_config_free(c);
	if (have_doc)
		yaml_document_delete(&doc);
	if (have_parser)
		yaml_parser_delete(&parser);
	fclose(f);
	return err;
}

int kube_config_in_cluster(const char *sa_dir, struct kube_config **out)
{
	const char *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct kube_config *c;
	bool v6;

	*out = NULL;
	if (!sa_dir)
		sa_dir = KUBE_SA_DIR;
	if (!host || !host[0] || !port || !port[0]) {
		log_info("k8s: not in a cluster (KUBERNETES_SERVICE_HOST/PORT unset)");
		return -ENOENT;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	v6 = strchr(host, ':') != NULL;
	c->server = fmt("https://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
	c->token_file = fmt("%s/token", sa_dir);
	c->ca.file = fmt("%s/ca.crt", sa_dir);
	c->source = strdup("in-cluster");
	if (!c->server || !c->token_file || !c->ca.file || !c->source) {
		kube_config_free(c);
		return -ENOMEM;
	}
	if (access(c->token_file, R_OK) || access(c->ca.file, R_OK)) {
		int err = -errno;

		log_warn("k8s: in-cluster: %s: %s", sa_dir, strerror(-err));
		kube_config_free(c);
		return err;
	}
	*out = c;
	return 0;
}
