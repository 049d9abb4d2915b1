/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - what the agent's two HTTPS clients share: the shipper (ship.c,
 * POSTs to the audit backend) and the Kubernetes client (k8s.c, GETs and
 * watches from the API server).
 *
 *   http_setup()          a libcurl handle as both want it: no signals,
 *                         only the protocols allowed, a connect timeout,
 *                         TLS verified (CA, client certificate and key as
 *                         files or PEM blobs), an abort callback
 *   struct http_token     a bearer token file, re-read only when stat()
 *                         says it changed (a rotated Secret or projected
 *                         token is a new inode, size or mtime), so the
 *                         agent's reads of its own token stay rare
 *   http_bearer()         the Authorization header, wiped after use
 *
 * A token is never logged; its bytes are wiped when replaced or freed.
 */
#ifndef CW_HTTP_H
#define CW_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include <curl/curl.h>

/* Longest token file read (bound service-account tokens are ~1 KiB). */
#define HTTP_TOKEN_MAX	16384

/* A PEM file path or PEM bytes in memory (kubeconfig's *-data); at most one. */
struct http_pem {
	const char *file;
	const void *data;
	size_t len;
};

struct http_opts {
	const char *protocols;		/* "https", or "http,https" when clear text is allowed */
	long connect_timeout_ms;
	struct http_pem ca;		/* none: the system's CAs */
	struct http_pem cert, key;	/* client certificate (mTLS) */
	bool skip_verify;		/* only a kubeconfig's insecure-skip-tls-verify */
	/* called during transfers; returning non-zero aborts (stop, deadline) */
	curl_xferinfo_callback abort_cb;
	void *abort_ctx;
};

/* Configure c for o (the caller sets URL, method, headers, body and callbacks). */
void http_setup(CURL *c, const struct http_opts *o);

/* http_bearer - append "Authorization: Bearer <token>" to h (curl copies it). */
struct curl_slist *http_bearer(struct curl_slist *h, const char *token);

struct http_token {
	const char *path;		/* borrowed; NULL: no token file */
	char *value;			/* the current token, NULL until read; never logged */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/*
 * http_token_refresh - read t->path when it changed since the last read
 * (or was never read): one line, surrounding blanks trimmed, visible ASCII
 * only (anything else would break or inject into the header). Returns 1
 * when a new value was read, 0 when unchanged, or -errno with the previous
 * value kept: -EINVAL for an empty file or not a single printable token,
 * -EFBIG past HTTP_TOKEN_MAX, the stat/open/read error otherwise.
 */
int http_token_refresh(struct http_token *t);

/* Wipe and free the value; the token can be refreshed again. */
void http_token_clear(struct http_token *t);

#endif /* CW_HTTP_H */
