// SPDX-License-Identifier: Apache-2.0
/*
 * health.c - the --listen endpoint: address parsing, the listening socket
 * and the libmicrohttpd request handler for /healthz, /readyz and /metrics.
 *
 * We bind the socket ourselves and hand it to libmicrohttpd
 * (MHD_OPTION_LISTEN_SOCKET) so that a bind failure is reported with its
 * real errno ("Address already in use"), which MHD does not expose, and so
 * that the agent can bind at start-up but start the server thread only
 * after it has dropped its capabilities (health_open, health_serve).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "health.h"
#include "log.h"

/* Enough for Prometheus, kubelet probes and a curious operator; no more. */
#define HEALTH_MAX_CONNECTIONS	16
#define HEALTH_CONN_TIMEOUT_S	10

struct health {
	struct MHD_Daemon *daemon;
	struct metrics *m;
	uint64_t stale_ns;
	int fd;			/* the bound socket until health_serve hands it over */
	bool ipv6;
	uint16_t port;
	char listen[128];
};

int health_parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE };
	struct addrinfo *res = NULL;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *port, *h;
	size_t hlen;
	char *end;
	unsigned long pnum;

	if (!spec || !*spec)
		return -EINVAL;
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		h = spec + 1;
		hlen = (size_t)(rb - h);
		port = rb + 2;
		hints.ai_family = AF_INET6;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon)
			return -EINVAL;	/* bare IPv6 needs brackets */
		h = spec;
		hlen = (size_t)(colon - spec);
		port = colon + 1;
		hints.ai_family = AF_INET;
	}
	if (hlen >= sizeof(host) || (hlen == 0 && hints.ai_family == AF_INET6))
		return -EINVAL;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	if (hlen == 0)
		strcpy(host, "0.0.0.0");
	/* strtoul alone would take " 80", "+80" and "-1". */
	if (*port < '0' || *port > '9')
		return -EINVAL;
	errno = 0;
	pnum = strtoul(port, &end, 10);
	if (*end || errno || pnum > 65535)
		return -EINVAL;
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return -EINVAL;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	const struct health *h = cls;
	char msg[256];
	size_t n;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("health: %s: %s", h->listen, msg);
}

/* Queue a response that owns body (malloc'd); frees it on failure. */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status,
			     char *body, size_t len, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	/* Probes and scrapes must always see the current state. */
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned status,
				  const char *fmt, ...)
{
	char *body = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&body, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return reply(c, status, body, (size_t)n, "text/plain; charset=utf-8");
}

static enum MHD_Result serve_healthz(struct health *h, struct MHD_Connection *c)
{
	int64_t attached = metrics_get(h->m, CW_M_BPF_PROGRAMS_ATTACHED, 0);
	int64_t age = metrics_heartbeat_age_ns(h->m);

	if (attached <= 0)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ok: no eBPF programs attached\n");
	if (age < 0)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ok: event loop has not started\n");
	if ((uint64_t)age > h->stale_ns)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ok: event loop stalled: last heartbeat %.1f s ago\n",
				  (double)age / 1e9);
	return reply_text(c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result serve_readyz(struct health *h, struct MHD_Connection *c)
{
	int64_t age = metrics_heartbeat_age_ns(h->m);

	if (!metrics_is_ready(h->m))
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ready: start-up discovery not finished\n");
	if (age > (int64_t)CW_READY_STALE_MS * 1000000)
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "not ready: event loop behind: last heartbeat %.1f s ago\n",
				  (double)age / 1e9);
	return reply_text(c, MHD_HTTP_OK, "ok\n");
}

static enum MHD_Result serve_metrics(struct health *h, struct MHD_Connection *c)
{
	char *body;
	size_t len;

	if (metrics_write(h->m, &body, &len))
		return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "metrics: out of memory\n");
	return reply(c, MHD_HTTP_OK, body, len, CW_METRICS_CONTENT_TYPE);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version,
			      const char *upload_data, size_t *upload_data_size,
			      void **req_cls)
{
	struct health *h = cls;

	(void)version;
	(void)upload_data;
	(void)req_cls;
	/* A GET body is not ours to read: drop it and answer. */
	*upload_data_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED,
				  "method not allowed: use GET\n");
	if (!strcmp(url, "/healthz"))
		return serve_healthz(h, c);
	if (!strcmp(url, "/readyz"))
		return serve_readyz(h, c);
	if (!strcmp(url, "/metrics"))
		return serve_metrics(h, c);
	return reply_text(c, MHD_HTTP_NOT_FOUND,
			  "not found: try /healthz, /readyz or /metrics\n");
}

static int open_listener(struct health *h, const char *addr,
			 const struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int fd, one = 1, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_error("health: --listen %s: socket: %s", addr, strerror(-err));
		return err;
	}
	/* Restarts must not wait out TIME_WAIT of the previous agent. */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, HEALTH_MAX_CONNECTIONS) ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		err = -errno;
		log_error("health: --listen %s: bind: %s", addr, strerror(-err));
		close(fd);
		return err;
	}
	h->port = ntohs(bound.ss_family == AF_INET6
			? ((struct sockaddr_in6 *)&bound)->sin6_port
			: ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

int health_open(struct health **out, const char *addr, struct metrics *m,
		 uint32_t stale_after_ms)
{
	struct sockaddr_storage ss;
	struct health *h = NULL;
	socklen_t len;
	int fd;

	*out = NULL;
	if (health_parse_listen(addr, &ss, &len)) {
		log_error("health: --listen %s: want ADDR:PORT with a numeric address, "
			  "e.g. 127.0.0.1:8080 or [::1]:8080", addr ? addr : "(null)");
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->m = m;
	h->fd = -1;
	h->ipv6 = ss.ss_family == AF_INET6;
	h->stale_ns = (uint64_t)(stale_after_ms ? stale_after_ms : CW_HEALTH_STALE_MS) * 1000000ull;
	snprintf(h->listen, sizeof(h->listen), "%s", addr);

	fd = open_listener(h, addr, &ss, len);
	if (fd < 0) {
		free(h);
		return fd;
	}
	h->fd = fd;
	*out = h;
	return 0;
}

int health_serve(struct health *h)
{
	/* poll(), not select(): the agent holds many fds (BPF maps, programs,
	 * links) and select() breaks on descriptors above FD_SETSIZE. */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
		(MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES ? MHD_USE_POLL : 0);

	if (h->daemon)
		return 0;
	if (h->ipv6)
		flags |= MHD_USE_IPv6;
	h->daemon = MHD_start_daemon(flags, 0, NULL, NULL, handle, h,
				     MHD_OPTION_LISTEN_SOCKET, h->fd,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned)HEALTH_MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HEALTH_CONN_TIMEOUT_S,
				     MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
				     MHD_OPTION_END);
	if (!h->daemon) {
		log_error("health: --listen %s: cannot start the HTTP server", h->listen);
		/* health_stop closes the socket unless libmicrohttpd already did */
		if (fcntl(h->fd, F_GETFD) < 0)
			h->fd = -1;
		return -EIO;
	}
	h->fd = -1;	/* libmicrohttpd owns it now */
	return 0;
}

int health_start(struct health **out, const char *addr, struct metrics *m,
		  uint32_t stale_after_ms)
{
	struct health *h;
	int err;

	*out = NULL;
	err = health_open(&h, addr, m, stale_after_ms);
	if (err)
		return err;
	err = health_serve(h);
	if (err) {
		health_stop(h);
		return err;
	}
	*out = h;
	return 0;
}

uint16_t health_port(const struct health *h)
{
	return h->port;
}

void health_stop(struct health *h)
{
	if (!h)
		return;
	/* MHD_stop_daemon joins the server thread and closes the socket. */
	if (h->daemon)
		MHD_stop_daemon(h->daemon);
	else if (h->fd >= 0)
		close(h->fd);
	free(h);
}

static const struct opt_desc health_option_list[] = {
	OPT_STR(struct health_opts, listen, "listen", "ADDR:PORT", "off",
		"serve /healthz, /readyz and /metrics (Prometheus) on this address"),
};

const struct opt_table health_options = OPT_TABLE(health_option_list, NULL, NULL);
