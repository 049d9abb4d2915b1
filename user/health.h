/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health.h - the --listen HTTP endpoint: /healthz, /readyz and /metrics.
 *
 * Served by libmicrohttpd from its own thread (poll loop); every answer is computed
 * from a struct metrics (metrics.h), which the agent updates lock-free.
 *
 *   GET /healthz  200 "ok" when eBPF programs are attached and the event
 *                 loop's heartbeat is younger than stale_after_ms;
 *                 503 and one line saying why otherwise.
 *   GET /readyz   200 "ok" once start-up discovery has finished
 *                 (metrics_set_ready) while the event loop keeps up (its
 *                 heartbeat younger than CW_READY_STALE_MS: a loop stuck
 *                 draining a flood is not ready), 503 "not ready: ..." else.
 *   GET /metrics  Prometheus text format 0.0.4.
 *   other paths   404; methods other than GET and HEAD get 405.
 */
#ifndef CW_HEALTH_H
#define CW_HEALTH_H

#include <stdint.h>
#include <sys/socket.h>

#include "metrics.h"
#include "opt.h"

struct health_opts {
	char *listen;		/* --listen ADDR:PORT; NULL: no endpoint */
};

/* --listen (opt.h) */
extern const struct opt_table health_options;

struct health;

/* /healthz fails when the last heartbeat is older than this by default. */
#define CW_HEALTH_STALE_MS	30000
/* /readyz fails sooner: the loop beats every 100 ms even during a flood. */
#define CW_READY_STALE_MS	5000

/*
 * health_parse_listen - parse ADDR:PORT as --listen takes it:
 * "127.0.0.1:8080", "0.0.0.0:8080", "[::1]:8080", "[::]:8080", or ":8080"
 * for every IPv4 address. ADDR must be numeric; PORT is 0-65535 (0 picks a
 * free port). Returns 0 or -EINVAL.
 */
int health_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len);

/*
 * health_open - bind and listen on @addr (ADDR:PORT), start no thread.
 * Same arguments, logging and errors as health_start. The agent opens at
 * start-up, so a bad --listen fails before the BPF programs load, and
 * serves only once its capabilities are dropped: a thread inherits the
 * capabilities of the thread that creates it, and capset() changes only
 * the calling thread.
 */
int health_open(struct health **out, const char *addr, struct metrics *m,
		 uint32_t stale_after_ms);

/* health_serve - start the server thread on an opened endpoint: 0 or -EIO (logged). */
int health_serve(struct health *h);

/*
 * health_start - health_open then health_serve: bind @addr (ADDR:PORT)
 * and serve from a background thread.
 * @m: read on every request; must outlive the server.
 * @stale_after_ms: heartbeat age at which /healthz fails; 0 means
 *                  CW_HEALTH_STALE_MS.
 * Returns 0, or -EINVAL for a bad address, -ENOMEM, -EIO when the server
 * cannot start, the bind/listen -errno such as -EADDRINUSE or -EACCES
 * otherwise; *out NULL on error. Logs one line naming --listen and the
 * reason on each failure but -ENOMEM.
 */
int health_start(struct health **out, const char *addr, struct metrics *m,
		  uint32_t stale_after_ms);

/* The bound port (useful with port 0). */
uint16_t health_port(const struct health *h);

/* Stop serving, close the socket and free. Accepts NULL. */
void health_stop(struct health *h);

#endif /* CW_HEALTH_H */
