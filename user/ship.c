// SPDX-License-Identifier: Apache-2.0
/*
 * ship.c - the shipper's queue and sender thread: options, the spool,
 * submit, batching by count, bytes and age, the drain at exit. What one
 * batch's delivery takes (HTTP, retries, dead letters, acks) is in
 * ship_send.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <unistd.h>

#include "clock.h"
#include "json.h"
#include "log.h"
#include "ship_int.h"
#include "shipfmt.h"

static const struct opt_desc ship_option_list[] = {
	OPT_STR(struct ship_opts, url, "backend", "URL", "off",
		"ship alerts and findings to this https:// audit backend (spooled, at-least-once)"),
	OPT_STR(struct ship_opts, format, "backend-format", "credwatch|falcosidekick", "credwatch",
		"gzip NDJSON batches, or one Falco JSON alert per POST for falcosidekick"),
	OPT_STR(struct ship_opts, token_file, "backend-token-file", "FILE", "none",
		"bearer token, re-read when the file changes; never logged"),
	OPT_STR(struct ship_opts, ca_file, "backend-ca", "FILE", "system CAs",
		"CA bundle to verify the backend"),
	OPT_STR(struct ship_opts, cert_file, "backend-cert", "FILE", "none",
		"client certificate for mTLS"),
	OPT_STR(struct ship_opts, key_file, "backend-key", "FILE", "none", "client key for mTLS"),
	OPT_BOOL(struct ship_opts, insecure, "backend-insecure",
		 "allow an http:// backend (certificates are always verified for https)"),
	OPT_UINT(struct ship_opts, connect_timeout_ms, "backend-connect-timeout-ms", "MS", 5000,
		 "5000", "connect timeout per request"),
	OPT_UINT(struct ship_opts, timeout_ms, "backend-timeout-ms", "MS", 10000, "10000",
		 "total timeout per request"),
	OPT_UINT(struct ship_opts, batch_max, "backend-batch-max", "N", 500, "500",
		 "records per batch"),
	OPT_UINT(struct ship_opts, batch_bytes, "backend-batch-bytes", "BYTES", 1 << 20, "1048576",
		 "uncompressed bytes per batch"),
	OPT_UINT(struct ship_opts, flush_ms, "backend-flush-ms", "MS", 1000, "1000",
		 "send a partial batch after this long"),
	OPT_UINT(struct ship_opts, retry_base_ms, "backend-retry-base-ms", "MS", 500, "500",
		 "first retry delay (exponential backoff with jitter, Retry-After honoured)"),
	OPT_UINT(struct ship_opts, retry_max_ms, "backend-retry-max-ms", "MS", 60000, "60000",
		 "longest retry delay"),
	OPT_UINT(struct ship_opts, drain_ms, "backend-drain-ms", "MS", 5000, "5000",
		 "at exit, how long to keep sending; the rest stays spooled for the next start"),
};

static int ship_opts_check(const void *opts, char *err, size_t err_size)
{
	const struct ship_opts *o = opts;
	enum ship_format f;

	if (o->format && ship_format_parse(o->format, &f)) {
		snprintf(err, err_size, "--backend-format: '%s' is not credwatch or falcosidekick",
			 o->format);
		return -EINVAL;
	}
	return 0;
}

static void ship_opts_init(void *opts)
{
	ship_opts_default(opts);
}

const struct opt_table ship_options = OPT_TABLE(ship_option_list, ship_opts_init,
						ship_opts_check);

void ship_opts_default(struct ship_opts *o)
{
	memset(o, 0, sizeof(*o));
	opt_table_defaults(&ship_options, o);
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
	if (o->format && ship_format_parse(o->format, &(enum ship_format){ 0 })) {
		log_error("ship: --backend-format: '%s' is not credwatch or falcosidekick",
			  o->format);
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

/* --- sender ------------------------------------------------------------- */

/*
 * Sleep until t (monotonic ms); wakes early when closing makes t unreachable.
 * Syncs the spool on the way so --spool-fsync-ms holds while we wait.
 * Returns false when the sender must stop.
 */
bool ship_sleep_until(struct ship *s, uint64_t t)
{
	unsigned slice = s->o.spool.fsync_ms ? s->o.spool.fsync_ms : 1000;
	struct timespec ts;
	uint64_t now, until;
	bool ok = true;

	for (;;) {
		spool_sync(s->spool, false);
		pthread_mutex_lock(&s->mu);
		now = clock_ms(CLOCK_MONOTONIC);
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
		clock_after_ms(&ts, CLOCK_MONOTONIC, until - now);
		pthread_cond_timedwait(&s->cond, &s->mu, &ts);
		pthread_mutex_unlock(&s->mu);
	}
	return ok;
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
		now = clock_ms(CLOCK_MONOTONIC);
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
		clock_after_ms(&ts, CLOCK_MONOTONIC, due < slice ? due : slice);
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
			s->first_unsent_ms = clock_ms(CLOCK_MONOTONIC) - s->o.flush_ms; /* backlog: send now */
		}
		pthread_mutex_unlock(&s->mu);
		if (n < 0) {
			log_error("ship: spool %s: read: %s", spool_dir(s->spool), strerror(-n));
			ship_sleep_until(s, clock_ms(CLOCK_MONOTONIC) + s->o.retry_base_ms);
		}
		if (n <= 0)
			continue;
		out = ship_send_batch(s, &b);
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
			ship_sleep_until(s, clock_ms(CLOCK_MONOTONIC) + s->o.retry_base_ms);
	}
	batch_free(&b);
	return NULL;
}

static void ship_free(struct ship *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	spool_close(s->spool);
	http_token_clear(&s->token.file);
	free(s->token_path);
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
	s->token_path = o->token_file ? strdup(o->token_file) : NULL;
	s->token.file.path = s->token_path;
	if (!s->url || !s->url_safe || !s->hostname || (o->token_file && !s->token_path)) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* pointers into the caller's options must not outlive ship_new */
	s->o.url = s->url;
	s->o.hostname = s->hostname;
	s->o.token_file = s->token_path;
	s->o.format = NULL;
	s->o.ca_file = s->o.cert_file = s->o.key_file = NULL;	/* read by curl_setup only */
	s->o.spool.dir = NULL;
	if (o->format)
		ship_format_parse(o->format, &s->format);	/* checked by validate() */
	if (!s->o.spool.max_bytes)
		s->o.spool.max_bytes = SPOOL_DEFAULT_MAX_BYTES;
	err = ship_token_refresh(&s->token, true);
	if (err)
		goto cleanup;
	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		err = -ENOMEM;
		goto cleanup;
	}
	err = ship_curl_setup(s, o);
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
	s->first_unsent_ms = clock_ms(CLOCK_MONOTONIC) - s->o.flush_ms;
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
			s->first_unsent_ms = clock_ms(CLOCK_MONOTONIC);
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
		s->deadline_ms = clock_ms(CLOCK_MONOTONIC) + drain_timeout_ms;
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
