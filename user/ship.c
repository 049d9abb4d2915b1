// SPDX-License-Identifier: Apache-2.0
/* ship.c - the sender thread: batching, HTTP POST, retries, dead letters, acks. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>

#include "json.h"
#include "log.h"
#include "ship.h"
#include "shipfmt.h"

#ifndef CW_VERSION
#define CW_VERSION "0"
#endif

#define REPLY_MAX         1024		/* server reply kept for a dead letter */
#define TOKEN_MAX         16384
#define RETRY_AFTER_MAX_MS (15 * 60 * 1000)	/* never let one header stall us longer */
#define LOG_EVERY_MS      30000		/* repeat a persisting failure this often */
#define DEADLETTER        "deadletter.ndjson"

struct item {
	enum spool_kind kind;
	size_t off, len;		/* payload in batch.raw */
	struct spool_pos next;		/* spool position after this record */
};

struct batch {
	char *raw;			/* the payloads, back to back */
	size_t raw_len, raw_cap;
	struct item *items;
	size_t n, cap;
	bool oom;
};

enum outcome { OUT_OK, OUT_RETRY, OUT_DEAD, OUT_STOP };

struct token {
	char *path;
	char *value;			/* never logged */
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	bool warned;
};

struct ship {
	struct ship_opts o;
	char *url, *url_safe, *hostname;
	struct spool *spool;
	struct token token;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char reply[REPLY_MAX + 1];
	size_t reply_len;
	long retry_after_ms;		/* -1 when the reply had none */
	uint64_t rng;

	pthread_t thread;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool closing;
	uint64_t deadline_ms;		/* drain deadline once closing */
	uint64_t unsent_n, unsent_bytes, first_unsent_ms;

	uint64_t fail_streak, last_fail_log_ms;
	struct ship_stats st;		/* under mu */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ship_opts_default(struct ship_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = SHIP_FORMAT_CREDWATCH;
	o->connect_timeout_ms = 5000;
	o->timeout_ms = 10000;
	o->batch_max = 500;
	o->batch_bytes = 1 << 20;
	o->flush_ms = 1000;
	o->retry_base_ms = 500;
	o->retry_max_ms = 60000;
	spool_opts_default(&o->spool);
}

int ship_format_parse(const char *s, enum ship_format *out)
{
	if (!strcmp(s, "credwatch"))
		*out = SHIP_FORMAT_CREDWATCH;
	else if (!strcmp(s, "falcosidekick"))
		*out = SHIP_FORMAT_FALCOSIDEKICK;
	else
		return -EINVAL;
	return 0;
}

/* (Re-)read the token when the file changed: a rotated Secret is a new inode. */
static int token_refresh(struct token *t, bool first)
{
	char buf[TOKEN_MAX + 1], *v, *b;
	struct stat st;
	ssize_t n;
	size_t len, i;
	int fd, err;

	if (!t->path)
		return 0;
	if (stat(t->path, &st)) {
		err = -errno;
		goto fail;
	}
	if (!first && st.st_dev == t->dev && st.st_ino == t->ino && st.st_size == t->size &&
	    st.st_mtim.tv_sec == t->mtime.tv_sec && st.st_mtim.tv_nsec == t->mtime.tv_nsec)
		return 0;
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto fail;
	}
	n = read(fd, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		close(fd);
		goto fail;
	}
	close(fd);
	if (n > TOKEN_MAX) {
		err = -EFBIG;
		goto fail;
	}
	buf[n] = '\0';
	b = buf;
	len = n;
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
		if (b[i] <= 0x20 || b[i] >= 0x7f)
			break;
	if (len == 0 || i < len) {
		err = -EINVAL;
		goto fail;
	}
	v = strdup(b);
	explicit_bzero(buf, sizeof(buf));
	if (!v)
		return -ENOMEM;
	if (t->value) {
		explicit_bzero(t->value, strlen(t->value));
		free(t->value);
	}
	t->value = v;
	t->dev = st.st_dev;
	t->ino = st.st_ino;
	t->size = st.st_size;
	t->mtime = st.st_mtim;
	if (!first)
		log_info("ship: %s: token reloaded", t->path);
	t->warned = false;
	return 0;
fail:
	explicit_bzero(buf, sizeof(buf));
	if (first || !t->warned)
		log_warn("ship: --backend-token-file %s: %s%s", t->path,
			 err == -EINVAL ? "empty or not a single printable token" : strerror(-err),
			 first ? "" : ": keeping the previous token");
	t->warned = true;
	return err;
}

static int check_readable(const char *flag, const char *path)
{
	if (path && access(path, R_OK)) {
		int err = -errno;

		log_error("ship: %s %s: %s", flag, path, strerror(-err));
		return err;
	}
	return 0;
}

static int validate(const struct ship_opts *o)
{
	int err;

	if (!o->url || !*o->url) {
		log_error("ship: --backend: no URL given");
		return -EINVAL;
	}
	if (strncasecmp(o->url, "https://", 8)) {
		if (strncasecmp(o->url, "http://", 7)) {
			log_error("ship: --backend: only https:// URLs (or http:// with "
				  "--backend-insecure) are supported");
			return -EINVAL;
		}
		if (!o->insecure) {
			log_error("ship: --backend: http:// sends alerts and the token in clear "
				  "text; use https:// or add --backend-insecure");
			return -EINVAL;
		}
	}
	if (!o->cert_file != !o->key_file) {
		log_error("ship: --backend-cert and --backend-key must be given together");
		return -EINVAL;
	}
	if (!o->batch_max || !o->batch_bytes || !o->timeout_ms || !o->connect_timeout_ms ||
	    !o->retry_base_ms || o->retry_max_ms < o->retry_base_ms) {
		log_error("ship: backend batch, timeout and retry settings must be positive "
			  "(retry max >= retry base)");
		return -EINVAL;
	}
	if ((err = check_readable("--backend-ca", o->ca_file)) ||
	    (err = check_readable("--backend-cert", o->cert_file)) ||
	    (err = check_readable("--backend-key", o->key_file)))
		return err;
	return 0;
}

/* --- batches ------------------------------------------------------------ */

static int batch_add(void *ctx, enum spool_kind kind, const char *p, size_t len,
		     const struct spool_pos *next)
{
	struct batch *b = ctx;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		struct item *ni = realloc(b->items, cap * sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		b->items = ni;
		b->cap = cap;
	}
	if (b->raw_len + len > b->raw_cap) {
		size_t cap = b->raw_cap ? b->raw_cap : 65536;
		char *nr;

		while (cap < b->raw_len + len)
			cap *= 2;
		nr = realloc(b->raw, cap);
		if (!nr)
			return -ENOMEM;
		b->raw = nr;
		b->raw_cap = cap;
	}
	memcpy(b->raw + b->raw_len, p, len);
	b->items[b->n++] = (struct item){ kind, b->raw_len, len, *next };
	b->raw_len += len;
	return 0;
}

static void batch_reset(struct batch *b)
{
	b->n = 0;
	b->raw_len = 0;
}

static void batch_free(struct batch *b)
{
	free(b->raw);
	free(b->items);
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
	stop = s->closing && now_ms() >= s->deadline_ms;
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
	uint64_t now = now_ms();

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
	char *auth = NULL, what[CURL_ERROR_SIZE + 128];
	long status = 0, timeout_ms = s->o.timeout_ms;
	enum outcome out;
	CURLcode rc;

	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		uint64_t now = now_ms();

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

	token_refresh(&s->token, false);
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
	if (s->token.value && asprintf(&auth, "Authorization: Bearer %s", s->token.value) > 0)
		h = curl_slist_append(h, auth);
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
	curl_slist_free_all(h);
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
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

/* --- sender ------------------------------------------------------------- */

static void abs_time(struct timespec *ts, uint64_t delta_ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += delta_ms / 1000;
	ts->tv_nsec += (delta_ms % 1000) * 1000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
}

/*
 * Sleep until t (monotonic ms); wakes early when closing makes t unreachable.
 * Syncs the spool on the way so --spool-fsync-ms holds while we wait.
 * Returns false when the sender must stop.
 */
static bool sleep_until(struct ship *s, uint64_t t)
{
	unsigned slice = s->o.spool.fsync_ms ? s->o.spool.fsync_ms : 1000;
	struct timespec ts;
	uint64_t now, until;
	bool ok = true;

	for (;;) {
		spool_sync(s->spool, false);
		pthread_mutex_lock(&s->mu);
		now = now_ms();
		if (s->closing && (now >= s->deadline_ms || t > s->deadline_ms)) {
			ok = false;
			pthread_mutex_unlock(&s->mu);
			break;
		}
		if (now >= t) {
			pthread_mutex_unlock(&s->mu);
			break;
		}
		until = t - now < slice ? t : now + slice;
		abs_time(&ts, until - now);
		pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		pthread_mutex_unlock(&s->mu);
	}
	return ok;
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
		if (!sleep_until(s, now_ms() + backoff_ms(s, ++attempt)))
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

/* Once the backend takes records again, say how many the spool had to drop. */
static void report_evictions(struct ship *s)
{
	uint64_t n = spool_evicted_take(s->spool);
	struct jbuf jb;

	if (!n)
		return;
	jbuf_init(&jb);
	shipfmt_summary(&jb, n, spool_dir(s->spool), s->o.spool.max_bytes, s->hostname);
	if (!jb.oom && spool_append(s->spool, SPOOL_SUMMARY, jb.buf, jb.len) == 0) {
		spool_evicted_done(s->spool, n);
		log_warn("ship: spool evicted %" PRIu64 " records while the backend was "
			 "unreachable: summary alert queued", n);
		pthread_mutex_lock(&s->mu);
		s->st.summaries++;
		s->unsent_n++;
		pthread_mutex_unlock(&s->mu);
	}
	jbuf_free(&jb);
}

/* Wait until a batch is due: full by count or bytes, or the oldest is flush_ms old. */
static bool wait_for_batch(struct ship *s)
{
	unsigned slice = s->o.spool.fsync_ms ? s->o.spool.fsync_ms : 1000;
	struct timespec ts;
	uint64_t now, due;
	bool ready;

	for (;;) {
		spool_sync(s->spool, false);
		pthread_mutex_lock(&s->mu);
		now = now_ms();
		if (s->closing && (now >= s->deadline_ms || !s->unsent_n)) {
			pthread_mutex_unlock(&s->mu);
			return false;
		}
		ready = s->unsent_n && (s->closing || s->unsent_n >= s->o.batch_max ||
					s->unsent_bytes >= s->o.batch_bytes ||
					now >= s->first_unsent_ms + s->o.flush_ms);
		if (ready) {
			pthread_mutex_unlock(&s->mu);
			return true;
		}
		due = s->unsent_n ? s->first_unsent_ms + s->o.flush_ms - now : slice;
		abs_time(&ts, due < slice ? due : slice);
		pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		pthread_mutex_unlock(&s->mu);
	}
}

static void *sender(void *arg)
{
	struct ship *s = arg;
	struct batch b = { 0 };
	enum outcome out;
	int n;

	pthread_setname_np(pthread_self(), "cw-ship");	/* names it in /proc/<pid>/task */
	while (wait_for_batch(s)) {
		/* records are on disk before they leave: the group commit point */
		spool_sync(s->spool, true);
		batch_reset(&b);
		n = spool_read(s->spool, s->o.batch_max, s->o.batch_bytes, batch_add, &b);
		pthread_mutex_lock(&s->mu);
		if (n <= 0) {
			s->unsent_n = s->unsent_bytes = 0;	/* evicted or already sent */
		} else {
			s->unsent_n -= (uint64_t)n < s->unsent_n ? (uint64_t)n : s->unsent_n;
			s->unsent_bytes -= b.raw_len < s->unsent_bytes ? b.raw_len : s->unsent_bytes;
			if (!s->unsent_n)
				s->unsent_bytes = 0;
			s->first_unsent_ms = now_ms() - s->o.flush_ms; /* backlog: send now */
		}
		pthread_mutex_unlock(&s->mu);
		if (n < 0) {
			log_error("ship: spool %s: read: %s", spool_dir(s->spool), strerror(-n));
			sleep_until(s, now_ms() + s->o.retry_base_ms);
		}
		if (n <= 0)
			continue;
		out = s->o.format == SHIP_FORMAT_CREDWATCH ? send_credwatch(s, &b) :
							     send_falcosidekick(s, &b);
		if (out == OUT_STOP)
			break;
		if (out == OUT_OK)
			report_evictions(s);
		/* whatever is not acked stays in the spool and is read again */
		pthread_mutex_lock(&s->mu);
		if (out == OUT_RETRY)
			s->unsent_n += n;
		pthread_mutex_unlock(&s->mu);
		if (out == OUT_RETRY)	/* out of memory: give the allocator a moment */
			sleep_until(s, now_ms() + s->o.retry_base_ms);
	}
	batch_free(&b);
	return NULL;
}

static int curl_setup(struct ship *s)
{
	CURL *c = curl_easy_init();

	if (!c)
		return -ENOMEM;
	s->curl = c;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)s->o.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, s->o.insecure ? "http,https" : "https");
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (s->o.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->o.ca_file);
	if (s->o.cert_file) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, s->o.cert_file);
		curl_easy_setopt(c, CURLOPT_SSLKEY, s->o.key_file);
	}
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	return 0;
}

static void ship_free(struct ship *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	spool_close(s->spool);
	if (s->token.value) {
		explicit_bzero(s->token.value, strlen(s->token.value));
		free(s->token.value);
	}
	free(s->token.path);
	free(s->url);
	free(s->url_safe);
	free(s->hostname);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

int ship_new(struct ship **sp, const struct ship_opts *o)
{
	struct spool_stats sst;
	pthread_condattr_t ca;
	char host[256] = "";
	struct ship *s;
	int err;

	*sp = NULL;
	err = validate(o);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	s->o = *o;
	if (!o->hostname || !*o->hostname)
		gethostname(host, sizeof(host) - 1);
	s->url = strdup(o->url);
	s->url_safe = shipfmt_url_redact(o->url);
	s->hostname = strdup(o->hostname && *o->hostname ? o->hostname : host);
	s->token.path = o->token_file ? strdup(o->token_file) : NULL;
	if (!s->url || !s->url_safe || !s->hostname || (o->token_file && !s->token.path)) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* pointers into the caller's options must not outlive ship_new */
	s->o.url = s->url;
	s->o.hostname = s->hostname;
	s->o.token_file = s->token.path;
	s->o.ca_file = s->o.cert_file = s->o.key_file = NULL;
	s->o.spool.dir = NULL;
	if (!s->o.spool.max_bytes)
		s->o.spool.max_bytes = SPOOL_DEFAULT_MAX_BYTES;
	err = token_refresh(&s->token, true);
	if (err)
		goto cleanup;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		err = -ENOMEM;
		goto cleanup;
	}
	s->o.ca_file = o->ca_file;	/* read by curl_setup only */
	s->o.cert_file = o->cert_file;
	s->o.key_file = o->key_file;
	err = curl_setup(s);
	s->o.ca_file = s->o.cert_file = s->o.key_file = NULL;
	if (err)
		goto cleanup;
	err = spool_open(&s->spool, &o->spool);
	if (err)
		goto cleanup;
	while (getrandom(&s->rng, sizeof(s->rng), 0) != sizeof(s->rng))
		;
	s->rng |= 1;
	spool_stats(s->spool, &sst);
	s->unsent_n = sst.pending;	/* replay what the last run left */
	s->unsent_bytes = sst.bytes;
	s->first_unsent_ms = now_ms() - s->o.flush_ms;
	*sp = s;
	return 0;
cleanup:
	ship_free(s);
	return err;
}

int ship_start(struct ship *s)
{
	int err;

	if (s->started)
		return 0;
	err = pthread_create(&s->thread, NULL, sender, s);
	if (err) {
		log_error("ship: cannot start the sender thread: %s", strerror(err));
		return -err;
	}
	s->started = true;
	return 0;
}

int ship_submit(struct ship *s, enum spool_kind kind, const char *json, size_t len)
{
	int err = spool_append(s->spool, kind, json, len);

	pthread_mutex_lock(&s->mu);
	if (err) {
		s->st.submit_errors++;
	} else {
		s->st.submitted++;
		s->unsent_n++;
		s->unsent_bytes += len;
		/* wake the sender to start the flush clock, or because a batch is full */
		if (s->unsent_n == 1) {
			s->first_unsent_ms = now_ms();
			pthread_cond_signal(&s->cond);
		} else if (s->unsent_n == s->o.batch_max || s->unsent_bytes >= s->o.batch_bytes) {
			pthread_cond_signal(&s->cond);
		}
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

void ship_stats(struct ship *s, struct ship_stats *st)
{
	pthread_mutex_lock(&s->mu);
	*st = s->st;
	pthread_mutex_unlock(&s->mu);
	spool_stats(s->spool, &st->spool);
}

int ship_close(struct ship *s, unsigned drain_timeout_ms, struct ship_stats *final)
{
	struct spool_stats sst;
	int err;

	if (!s) {
		if (final)
			memset(final, 0, sizeof(*final));
		return 0;
	}
	if (s->started) {
		pthread_mutex_lock(&s->mu);
		s->closing = true;
		s->deadline_ms = now_ms() + drain_timeout_ms;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	spool_sync(s->spool, true);
	spool_stats(s->spool, &sst);
	if (final)
		ship_stats(s, final);
	err = sst.pending ? -EAGAIN : 0;
	if (sst.pending)
		log_warn("ship: %" PRIu64 " records left in spool %s for the next start",
			 sst.pending, spool_dir(s->spool));
	ship_free(s);
	return err;
}
