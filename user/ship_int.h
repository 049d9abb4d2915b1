/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ship_int.h - inside the shipper: the state ship.c (the queue and the
 * sender thread) and ship_send.c (one batch to the backend) share. Not for
 * other modules: their interface is ship.h.
 */
#ifndef CW_SHIP_INT_H
#define CW_SHIP_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <curl/curl.h>

#include "http.h"
#include "ship.h"

#ifndef CW_VERSION
#define CW_VERSION "0"
#endif

#define REPLY_MAX         1024		/* server reply kept for a dead letter */
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
	struct http_token file;		/* --backend-token-file; value never logged */
	bool warned;			/* a failure was logged: say it once */
};

struct ship {
	struct ship_opts o;		/* its strings: NULL, or the ship's copies below */
	enum ship_format format;
	char *url, *url_safe, *hostname, *token_path;
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

/* ship.c: sleep until t (monotonic ms) or until closing makes t unreachable; false: stop. */
bool ship_sleep_until(struct ship *s, uint64_t t);

/* ship_send.c: (re-)read the token file; logs a failure once. */
int ship_token_refresh(struct token *t, bool first);
/* ship_send.c: the curl handle for o's URL, TLS and timeouts. 0 or -ENOMEM. */
int ship_curl_setup(struct ship *s, const struct ship_opts *o);
/*
 * ship_send.c: deliver a batch read from the spool in the configured format,
 * retrying until it is delivered (acked), refused (dead-lettered, acked),
 * or the sender must stop. OUT_RETRY only for out of memory.
 */
enum outcome ship_send_batch(struct ship *s, const struct batch *b);

#endif /* CW_SHIP_INT_H */
