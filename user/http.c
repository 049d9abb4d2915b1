// SPDX-License-Identifier: Apache-2.0
/* http.c - libcurl handle set-up with TLS, bearer tokens from a file re-read on change. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http.h"

static void set_pem(CURL *c, const struct http_pem *p, CURLoption file_opt, CURLoption blob_opt,
		    CURLoption type_opt)
{
	if (p->file)
		curl_easy_setopt(c, file_opt, p->file);
	if (p->data) {
		struct curl_blob b = { (void *)p->data, p->len, CURL_BLOB_COPY };

		curl_easy_setopt(c, blob_opt, &b);
		if (type_opt)
			curl_easy_setopt(c, type_opt, "PEM");
	}
}

void http_setup(CURL *c, const struct http_opts *o)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);	/* threads: no SIGALRM for DNS timeouts */
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, o->protocols ? o->protocols : "https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, o->connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, o->skip_verify ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, o->skip_verify ? 0L : 2L);
	set_pem(c, &o->ca, CURLOPT_CAINFO, CURLOPT_CAINFO_BLOB, 0);
	set_pem(c, &o->cert, CURLOPT_SSLCERT, CURLOPT_SSLCERT_BLOB, CURLOPT_SSLCERTTYPE);
	set_pem(c, &o->key, CURLOPT_SSLKEY, CURLOPT_SSLKEY_BLOB, CURLOPT_SSLKEYTYPE);
	if (o->abort_cb) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, o->abort_cb);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, o->abort_ctx);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
}

struct curl_slist *http_bearer(struct curl_slist *h, const char *token)
{
	char *auth = NULL;
	int n;

	if (!token || !token[0])
		return h;
	n = asprintf(&auth, "Authorization: Bearer %s", token);
	if (n < 0)
		return h;
	h = curl_slist_append(h, auth);
	explicit_bzero(auth, (size_t)n);
	free(auth);
	return h;
}

static bool unchanged(const struct http_token *t, const struct stat *st)
{
	return t->value && st->st_dev == t->dev && st->st_ino == t->ino &&
	       st->st_size == t->size && st->st_mtim.tv_sec == t->mtime.tv_sec &&
	       st->st_mtim.tv_nsec == t->mtime.tv_nsec;
}

/* One printable token in buf[0..n) (buf holds n + 1): trimmed in place; its length, or -EINVAL. */
static ssize_t trim_token(char *buf, size_t n, char **start)
{
	char *b = buf;
	size_t len = n, i;

	buf[n] = '\0';	/* buf has room for it */

	while (len && (b[len - 1] == '\n' || b[len - 1] == '\r' || b[len - 1] == ' ' ||
		       b[len - 1] == '\t'))
		len--;
	while (len && (*b == ' ' || *b == '\t')) {
		b++;
		len--;
	}
	b[len] = '\0';
	/* a byte outside visible ASCII would break or inject into the header */
	for (i = 0; i < len; i++)
		if ((unsigned char)b[i] <= 0x20 || (unsigned char)b[i] >= 0x7f)
			break;
	if (len == 0 || i < len)
		return -EINVAL;
	*start = b;
	return (ssize_t)len;
}

int http_token_refresh(struct http_token *t)
{
	char buf[HTTP_TOKEN_MAX + 1], *b = NULL, *v;
	struct stat st;
	ssize_t n;
	int fd, err;

	if (!t->path)
		return 0;
	if (stat(t->path, &st))
		return -errno;
	if (unchanged(t, &st))
		return 0;
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	err = n < 0 ? -errno : 0;
	close(fd);
	if (n > HTTP_TOKEN_MAX)
		err = -EFBIG;
	else if (n >= 0 && trim_token(buf, (size_t)n, &b) < 0)
		err = -EINVAL;
	v = err ? NULL : strdup(b);
	explicit_bzero(buf, sizeof(buf));
	if (err)
		return err;
	if (!v)
		return -ENOMEM;
	http_token_clear(t);
	t->value = v;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->mtime = st.st_mtim;
	return 1;
}

void http_token_clear(struct http_token *t)
{
	if (t->value) {
		explicit_bzero(t->value, strlen(t->value));
		free(t->value);
	}
	t->value = NULL;
}
