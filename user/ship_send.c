// SPDX-License-Identifier: Apache-2.0
/*
 * ship_send.c - one batch to the backend: the request in either format,
 * HTTP POST with the bearer token, retries with backoff and full jitter
 * (Retry-After honoured), dead letters for refused records, acks to the
 * spool after a 2xx. Runs on the sender thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "ship_int.h"
#include "shipfmt.h"

/* (Re-)read the token when the file changed: a rotated Secret is a new inode. */
int ship_token_refresh(struct token *t, bool first)
{
	int err = http_token_refresh(&t->file);

	if (err == 1 && !first)
		log_info("ship: %s: token reloaded", t->file.path);
	if (err >= 0) {
		t->warned = false;
		return 0;
	}
	if (err == -ENOMEM)
		return err;
	if (first || !t->warned)
		log_warn("ship: --backend-token-file %s: %s%s", t->file.path,
			 err == -EINVAL ? "empty or not a single printable token" : strerror(-err),
			 first ? "" : ": keeping the previous token");
	t->warned = true;
	return err;
}

/* --- dead letters ------------------------------------------------------- */

/* One line per refused record, with the reply that refused it. */
static int dead_letter(struct ship *s, const struct batch *b, size_t from, size_t to,
		       long status, const char *reply, size_t reply_len)
{
	char path[4096], t[64];
	struct jbuf jb;
	size_t i;
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/" DEADLETTER, spool_dir(s->spool));
	/* bounded: the previous file is kept once as .1 */
	if (spool_file_rotate(s->spool, DEADLETTER, s->o.spool.max_bytes / 4) == 1)
		log_warn("ship: %s: over %" PRIu64 " bytes, moved to %s.1 (replacing it)",
			 path, s->o.spool.max_bytes / 4, path);
	/* as the spool's own files: no symlink, FIFO or planted hard link */
	fd = spool_file_open(s->spool, DEADLETTER, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd < 0) {
		err = fd;
		log_error("ship: %s: cannot dead-letter %zu records there", path, to - from);
		return err;
	}
	jbuf_init(&jb);
	shipfmt_time_now(t, sizeof(t));
	for (i = from; i < to; i++) {
		jbuf_obj_begin(&jb);
		jbuf_kv_str(&jb, "time", t);
		jbuf_kv_str(&jb, "backend", s->url_safe);
		jbuf_kv_s64(&jb, "status", status);
		jbuf_key(&jb, "reply");
		jbuf_strn(&jb, reply, reply_len);
		jbuf_kv_str(&jb, "kind", spool_kind_name(b->items[i].kind));
		jbuf_key(&jb, "record");
		jbuf_strn(&jb, b->raw + b->items[i].off, b->items[i].len);
		jbuf_obj_end(&jb);
		jbuf_raw(&jb, "\n", 1);
	}
	if (jb.oom)
		err = -ENOMEM;
	else if (write(fd, jb.buf, jb.len) != (ssize_t)jb.len || fdatasync(fd))
		err = errno ? -errno : -EIO;
	if (err)
		log_error("ship: %s: write: %s", path, strerror(-err));
	jbuf_free(&jb);
	close(fd);
	return err;
}

/* --- HTTP --------------------------------------------------------------- */

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct ship *s = ctx;
	size_t len = size * n, room = REPLY_MAX - s->reply_len;

	if (room) {
		memcpy(s->reply + s->reply_len, p, len < room ? len : room);
		s->reply_len += len < room ? len : room;
		s->reply[s->reply_len] = '\0';
	}
	return len;
}

/* Retry-After: delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct ship *s = ctx;
	size_t len = size * n;
	char v[128];
	long ms;

	if (len > 12 && len < 12 + sizeof(v) && !strncasecmp(p, "Retry-After:", 12)) {
		memcpy(v, p + 12, len - 12);
		v[len - 12] = '\0';
		v[strcspn(v, "\r\n")] = '\0';
		ms = shipfmt_retry_after_ms(v, time(NULL), RETRY_AFTER_MAX_MS);
		if (ms >= 0)
			s->retry_after_ms = ms;
	}
	return len;
}

/* Abort a transfer that would run past the drain deadline at exit. */
static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct ship *s = ctx;
	int stop;

	(void)a; (void)b; (void)c; (void)d;
	pthread_mutex_lock(&s->mu);
	stop = s->closing && clock_ms(CLOCK_MONOTONIC) >= s->deadline_ms;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

static const char *tls_hint(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
		return " (server certificate not trusted: check --backend-ca)";
	case CURLE_SSL_CACERT_BADFILE:
		return " (check --backend-ca)";
	case CURLE_SSL_CERTPROBLEM:
		return " (check --backend-cert / --backend-key)";
	case CURLE_SSL_CONNECT_ERROR:
		return " (TLS handshake failed)";
	default:
		return "";
	}
}

/* A failing backend logs once, then every LOG_EVERY_MS; config faults as errors. */
static void log_failure(struct ship *s, const char *what, bool is_config)
{
	uint64_t now = clock_ms(CLOCK_MONOTONIC);

	s->fail_streak++;
	if (s->fail_streak == 1 || now - s->last_fail_log_ms >= LOG_EVERY_MS) {
		log_at(is_config ? CW_LOG_ERROR : CW_LOG_WARN,
		       "ship: %s: %s: will retry (%" PRIu64 " failed attempts in a row)",
		       s->url_safe, what, s->fail_streak);
		s->last_fail_log_ms = now;
	}
}

/* POST body once; classify the reply. */
static enum outcome post(struct ship *s, const void *body, size_t len, bool gzip,
			 const char *idem_key, size_t records)
{
	struct curl_slist *h = NULL;
	char what[CURL_ERROR_SIZE + 128];
	long status = 0, timeout_ms = s->o.timeout_ms;
	enum outcome out;
	CURLcode rc;

	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		uint64_t now = clock_ms(CLOCK_MONOTONIC);

		if (now >= s->deadline_ms) {
			pthread_mutex_unlock(&s->mu);
			return OUT_STOP;
		}
		if (s->deadline_ms - now < (uint64_t)timeout_ms)
			timeout_ms = s->deadline_ms - now;	/* >= 1 here */
	}
	s->st.requests++;
	s->st.sent += records;
	pthread_mutex_unlock(&s->mu);

	ship_token_refresh(&s->token, false);
	h = curl_slist_append(h, gzip ? "Content-Type: application/x-ndjson" :
				      "Content-Type: application/json");
	if (gzip)
		h = curl_slist_append(h, "Content-Encoding: gzip");
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "User-Agent: credwatch/" CW_VERSION);
	if (idem_key) {
		char kh[64 + SHIPFMT_KEY_LEN];

		snprintf(kh, sizeof(kh), "Idempotency-Key: %s", idem_key);
		h = curl_slist_append(h, kh);
	}
	h = http_bearer(h, s->token.file.value);
	s->reply_len = 0;
	s->reply[0] = '\0';
	s->errbuf[0] = '\0';
	s->retry_after_ms = -1;
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	rc = curl_easy_perform(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(h);	/* the token's copy is freed here; curl wipes nothing */
	if (rc == CURLE_OK)
		curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);

	if (rc != CURLE_OK) {
		if (rc == CURLE_ABORTED_BY_CALLBACK)
			return OUT_STOP;
		snprintf(what, sizeof(what), "%s%s", s->errbuf[0] ? s->errbuf :
			 curl_easy_strerror(rc), tls_hint(rc));
		log_failure(s, what, *tls_hint(rc) != '\0');
		out = OUT_RETRY;
	} else if (status >= 200 && status < 300) {
		if (s->fail_streak)
			log_info("ship: %s: delivering again after %" PRIu64 " failed attempts",
				 s->url_safe, s->fail_streak);
		s->fail_streak = 0;
		out = OUT_OK;
	} else if (status == 408 || status == 429 || status >= 500 || status < 400) {
		/* 3xx is a misconfigured URL: keep the records and say so, never drop */
		snprintf(what, sizeof(what), "HTTP %ld%s", status,
			 status < 400 ? " (redirects are not followed: fix --backend)" : "");
		log_failure(s, what, status < 400);
		out = OUT_RETRY;
	} else {
		out = OUT_DEAD;
	}
	pthread_mutex_lock(&s->mu);
	s->st.last_status = status;
	s->st.backend_up = out == OUT_OK;
	if (out == OUT_RETRY)
		s->st.retried++;
	pthread_mutex_unlock(&s->mu);
	return out;
}

static uint64_t rng_next(struct ship *s)
{
	/* xorshift64*: jitter only needs to spread agents apart */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return s->rng * 0x2545f4914f6cdd1dULL;
}

/* Exponential backoff with full jitter, never shorter than Retry-After. */
static uint64_t backoff_ms(struct ship *s, unsigned attempt)
{
	uint64_t cap = s->o.retry_base_ms, d;

	while (attempt-- > 1 && cap < s->o.retry_max_ms)
		cap *= 2;
	if (cap > s->o.retry_max_ms)
		cap = s->o.retry_max_ms;
	d = rng_next(s) % (cap + 1);
	if (s->retry_after_ms >= 0 && (uint64_t)s->retry_after_ms > d)
		d = s->retry_after_ms;
	return d;
}

/* Send one request until it is delivered, dead-lettered, or we must stop. */
static enum outcome deliver(struct ship *s, const struct batch *b, size_t from, size_t to,
			    const void *body, size_t len, bool gzip, const char *key)
{
	unsigned attempt = 0;
	enum outcome out;

	for (;;) {
		out = post(s, body, len, gzip, key, to - from);
		if (out == OUT_OK || out == OUT_STOP)
			return out;
		if (out == OUT_DEAD) {
			log_error("ship: %s: HTTP %ld refused %zu records: dead-lettered in %s/"
				  DEADLETTER, s->url_safe, s->st.last_status, to - from,
				  spool_dir(s->spool));
			if (dead_letter(s, b, from, to, s->st.last_status, s->reply,
					s->reply_len) == 0) {
				pthread_mutex_lock(&s->mu);
				s->st.dead_lettered += to - from;
				pthread_mutex_unlock(&s->mu);
				return OUT_DEAD;
			}
			/* could not keep them: retrying is the only way not to lose them */
		}
		if (!ship_sleep_until(s, clock_ms(CLOCK_MONOTONIC) + backoff_ms(s, ++attempt)))
			return OUT_STOP;
	}
}

static void ack(struct ship *s, const struct batch *b, size_t upto, size_t delivered)
{
	if (upto == 0)
		return;
	spool_ack(s->spool, &b->items[upto - 1].next);
	pthread_mutex_lock(&s->mu);
	s->st.acked += delivered;
	pthread_mutex_unlock(&s->mu);
}

/* Records that are not JSON objects cannot be sent; keep them as dead letters. */
static void dead_invalid(struct ship *s, const struct batch *b, size_t i)
{
	static const char why[] = "not a JSON object";

	log_error("ship: spool record %" PRIu64 ":%" PRIu64 " is not a JSON object: "
		  "dead-lettered", b->items[i].next.seg, b->items[i].next.off);
	dead_letter(s, b, i, i + 1, 0, why, sizeof(why) - 1);
	pthread_mutex_lock(&s->mu);
	s->st.invalid++;
	s->st.dead_lettered++;
	pthread_mutex_unlock(&s->mu);
}

static enum outcome send_credwatch(struct ship *s, const struct batch *b)
{
	char key[SHIPFMT_KEY_LEN + 1];
	struct shipfmt_key k;
	unsigned char *gz = NULL;
	size_t gzlen = 0, i, valid = 0;
	enum outcome out = OUT_OK;
	struct jbuf jb;

	jbuf_init(&jb);
	shipfmt_key_init(&k);
	for (i = 0; i < b->n; i++) {
		const char *p = b->raw + b->items[i].off;

		if (shipfmt_ndjson_line(&jb, b->items[i].kind, p, b->items[i].len)) {
			dead_invalid(s, b, i);
			continue;
		}
		shipfmt_key_add(&k, p, b->items[i].len);
		valid++;
	}
	if (jb.oom || (valid && shipfmt_gzip(jb.buf, jb.len, &gz, &gzlen))) {
		log_error("ship: out of memory building a batch of %zu records", b->n);
		out = OUT_RETRY;
		goto cleanup;
	}
	if (valid) {
		shipfmt_key_final(&k, key);
		out = deliver(s, b, 0, b->n, gz, gzlen, true, key);
	}
	if (out == OUT_OK || out == OUT_DEAD)
		ack(s, b, b->n, out == OUT_OK ? valid : 0);
cleanup:
	free(gz);
	jbuf_free(&jb);
	return out;
}

static enum outcome send_falcosidekick(struct ship *s, const struct batch *b)
{
	enum outcome out = OUT_OK;
	size_t i, done = 0, delivered = 0;
	struct jbuf jb;

	jbuf_init(&jb);
	for (i = 0; i < b->n; i++) {
		jbuf_reset(&jb);
		if (shipfmt_falco(&jb, b->items[i].kind, b->raw + b->items[i].off,
				  b->items[i].len, s->hostname)) {
			if (jb.oom) {
				out = OUT_RETRY;
				break;
			}
			dead_invalid(s, b, i);
			done = i + 1;
			continue;
		}
		out = deliver(s, b, i, i + 1, jb.buf, jb.len, false, NULL);
		if (out == OUT_STOP)
			break;
		done = i + 1;
		delivered += out == OUT_OK;
	}
	ack(s, b, done, delivered);
	jbuf_free(&jb);
	return out == OUT_DEAD ? OUT_OK : out;
}

/* Certificates are verified for https always; --backend-insecure only allows http://. */
int ship_curl_setup(struct ship *s, const struct ship_opts *o)
{
	CURL *c = curl_easy_init();

	if (!c)
		return -ENOMEM;
	s->curl = c;
	http_setup(c, &(struct http_opts){
		.protocols = o->insecure ? "http,https" : "https",
		.connect_timeout_ms = (long)o->connect_timeout_ms,
		.ca.file = o->ca_file, .cert.file = o->cert_file, .key.file = o->key_file,
		.abort_cb = on_progress, .abort_ctx = s });
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	return 0;
}

enum outcome ship_send_batch(struct ship *s, const struct batch *b)
{
	return s->format == SHIP_FORMAT_CREDWATCH ? send_credwatch(s, b) :
						      send_falcosidekick(s, b);
}
