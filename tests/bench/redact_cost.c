// SPDX-License-Identifier: Apache-2.0
/*
 * redact_cost - what redaction adds to building a record on the hit path.
 *   redact_cost [ROUNDS] [ITERS]
 * Per round prints one JSON line of on-CPU ns per event_to_record():
 *   real_base     a realistic mix of reader argv (cat of a token, kubectl
 *                 --token=, curl -H Authorization, java -D...password=, a
 *                 700-byte node command line), no redactor
 *   real_first    the same with the default redactor, every argv new to it
 *                 (a counter in the last argument): the full work
 *   real_repeat   the same argv again and again (a process opening tokens in
 *                 a loop): the redactor's memo answers
 *   hostile_base, hostile_first
 *                 1 KiB of "x:" (the slowest input of the redactor's own
 *                 test, at the most argv the kernel sends), new every time
 * and ns per byte of redact_argv() alone over 100 KiB and 800 KiB of the
 * same ("big_100k", "big_800k": equal when the cost is linear).
 * The variants of a row alternate within each round, so drift on a shared
 * machine hits both; tests/bench/run.sh takes medians and ratios.
 * The miss path never gets here: only events of watched inodes are built.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "user/event.h"
#include "user/redact.h"

#define ARGV(s) { s, sizeof(s) }	/* NUL-separated, with the last NUL */

static const struct { const char *args; size_t len; } mix[] = {
	ARGV("cat\0/var/run/secrets/kubernetes.io/serviceaccount/token"),
	ARGV("kubectl\0--token=eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ.c2lnbmF0dXJl\0get\0pods"
	     "\0-n\0kube-system\0-o\0json"),
	ARGV("/usr/bin/python3\0/app/server.py\0--config\0/etc/app/config.yaml\0--log-level=info"
	     "\0--workers=4"),
	ARGV("curl\0-sS\0-H\0Authorization: Bearer abcdef0123456789abcdef\0--cacert"
	     "\0/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"
	     "\0https://kubernetes.default.svc/api/v1/namespaces/default/pods"),
	ARGV("java\0-Xmx512m\0-Dspring.datasource.password=hunter2\0-Dfile.encoding=UTF-8\0-jar"
	     "\0/app/app.jar\0--server.port=8080"),
	ARGV("/bin/sh\0-c\0cat /var/run/secrets/kubernetes.io/serviceaccount/token | base64 -d"),
	ARGV("vault\0agent\0-config=/etc/vault/agent.hcl\0-log-level=warn"),
	{ NULL, 0 },	/* the long node command line, built in main() */
};
#define NMIX (sizeof(mix) / sizeof(mix[0]))

static struct cw_event *events[NMIX + 1];

static double now_ns(void)
{
	struct timespec ts;

	/* on-CPU time: a shared machine's scheduling does not land in it */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static struct cw_event *make_event(const char *args, size_t len)
{
	struct cw_event *e = calloc(1, sizeof(*e));

	if (!e) {
		perror("redact_cost");
		exit(1);
	}
	e->tgid = e->tid = 4242;
	e->syscall = CW_SYS_OPENAT;
	memcpy(e->comm, "reader", 7);
	e->anc[0].tgid = 1;
	memcpy(e->anc[0].comm, "init", 5);
	if (len > CW_ARGS_MAX - 9)
		len = CW_ARGS_MAX - 9;
	memcpy(e->data + CW_ARGS_OFF, args, len);
	memcpy(e->data + CW_ARGS_OFF + len, "00000000", 9);	/* the counter, see stamp() */
	e->args_len = (uint32_t)len + 9;
	strcpy(e->data + CW_PATH_OFF, "/var/run/secrets/kubernetes.io/serviceaccount/token");
	e->path_len = 52;
	return e;
}

/* The last 8 bytes of an event's argv: a counter, so each argv is new. */
static void stamp(struct cw_event *e, unsigned long n)
{
	static const char hex[] = "0123456789abcdef";
	char *p = e->data + CW_ARGS_OFF + e->args_len - 8;

	for (int i = 7; i >= 0; i--, n >>= 4)
		p[i] = hex[n & 15];
}

/*
 * ns per event_to_record over events [from, to), iters times round-robin;
 * fresh: a new argv every time (stamped with a counter that runs on
 * across calls, so no argv is seen twice)
 */
static double build(struct redact *r, size_t from, size_t to, long iters, bool fresh,
		    struct cw_record *rec)
{
	static unsigned long counter;
	double t0 = now_ns();

	for (long i = 0; i < iters; i++) {
		size_t k = from + (size_t)i % (to - from);

		if (fresh)
			stamp(events[k], ++counter);
		event_to_record(events[k], sizeof(*events[k]), NULL, 0, r, rec);
	}
	return (now_ns() - t0) / (double)iters;
}

static double per_byte(struct redact *r, size_t len, int reps)
{
	char *in = malloc(len), *out = malloc(REDACT_OUT_SIZE(len));
	double t0;
	bool cut;

	if (!in || !out) {
		perror("redact_cost");
		exit(1);
	}
	for (size_t i = 0; i < len; i++)
		in[i] = "x:"[i % 2];
	t0 = now_ns();
	for (int i = 0; i < reps; i++)
		redact_argv(r, NULL, in, len, false, out, REDACT_OUT_SIZE(len), &cut);
	t0 = (now_ns() - t0) / reps / (double)len;
	free(in);
	free(out);
	return t0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	long iters = argc > 2 ? atol(argv[2]) : 200000;
	struct cw_record *rec = malloc(sizeof(*rec));
	struct redact *r = NULL;
	char node[CW_ARGS_MAX], hostile[CW_ARGS_MAX], why[256];
	size_t o = 0;

	if (!rec || redact_new(&r)) {	/* either sets errno to ENOMEM */
		perror("redact_cost");
		return 1;
	}
	for (int l = 0; l < REDACT_LIST__MAX; l++) {
		size_t n;
		const char *const *items = redact_defaults(l, &n);

		for (size_t i = 0; i < n; i++)
			if (redact_add(r, l, items[i], why, sizeof(why))) {
				fprintf(stderr, "redact_cost: %s\n", why);
				return 1;
			}
	}
	/* a long, ordinary command line: node with many flags, about 700 bytes */
	o += (size_t)snprintf(node, sizeof(node), "node%c--max-old-space-size=4096%c", 0, 0);
	for (int i = 0; o < 680; i++)
		o += (size_t)snprintf(node + o, sizeof(node) - o, "--feature-%d=enabled%c/srv/app/"
				      "module-%d/index.js%c", i, 0, i, 0);
	for (size_t i = 0; i < NMIX - 1; i++)
		events[i] = make_event(mix[i].args, mix[i].len);
	events[NMIX - 1] = make_event(node, o);
	for (size_t i = 0; i < sizeof(hostile); i++)
		hostile[i] = "x:"[i % 2];
	memcpy(hostile, "mysql", 6);
	events[NMIX] = make_event(hostile, sizeof(hostile));

	build(r, 0, NMIX, iters / 10, true, rec);	/* warm up caches and branch predictors */
	for (int round = 0; round < rounds; round++) {
		double rb, rf, rr, hb, hf, b1, b8;

		/* alternate the order of the variants between rounds */
		if (round % 2) {
			rr = build(r, 0, NMIX, iters, false, rec);
			rf = build(r, 0, NMIX, iters, true, rec);
			rb = build(NULL, 0, NMIX, iters, true, rec);
			hf = build(r, NMIX, NMIX + 1, iters / 4, true, rec);
			hb = build(NULL, NMIX, NMIX + 1, iters / 4, true, rec);
		} else {
			rb = build(NULL, 0, NMIX, iters, true, rec);
			rf = build(r, 0, NMIX, iters, true, rec);
			rr = build(r, 0, NMIX, iters, false, rec);
			hb = build(NULL, NMIX, NMIX + 1, iters / 4, true, rec);
			hf = build(r, NMIX, NMIX + 1, iters / 4, true, rec);
		}
		b1 = per_byte(r, 100 * 1024, 20);
		b8 = per_byte(r, 800 * 1024, 3);
		printf("{\"real_base\": %.1f, \"real_first\": %.1f, \"real_repeat\": %.1f, "
		       "\"hostile_base\": %.1f, \"hostile_first\": %.1f, \"big_100k\": %.2f, "
		       "\"big_800k\": %.2f}\n", rb, rf, rr, hb, hf, b1, b8);
		fflush(stdout);
	}
	for (size_t i = 0; i <= NMIX; i++)
		free(events[i]);
	redact_free(r);
	free(rec);
	return 0;
}
