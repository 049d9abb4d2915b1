// SPDX-License-Identifier: Apache-2.0
/*
 * ship_drive.c - drives user/ship.c for tests/integration/test_ship.sh: submits
 * generated alerts or findings with known uuids, waits for delivery, prints
 * the counters as one JSON line. Exit: 0 all delivered, 3 records left in the
 * spool, 2 ship_new refused the options.
 *
 *   ship_drive --spool DIR --backend URL [--format F] [--ca F] [--cert F --key F]
 *              [--token-file F] [--insecure] [--count N] [--start I]
 *              [--kind alert|finding|bare] [--drain-ms N] [--timeout-ms N]
 *              [--retry-base-ms N] [--retry-max-ms N] [--flush-ms N]
 *              [--batch-max N] [--spool-max-bytes N] [--segment-bytes N]
 *              [--pad N] [--hold] [--rotate-token VALUE]
 * --hold: print "held" once everything is spooled, then wait to be killed.
 * --rotate-token: deliver the first half, replace the token file (new inode),
 *   then submit the second half.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "user/json.h"
#include "user/ship.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void make_record(struct jbuf *jb, const char *kind, int i, int pad)
{
	char uuid[64], out[128];

	snprintf(uuid, sizeof(uuid), "00000000-0000-4000-8000-%012d", i);
	jbuf_reset(jb);
	jbuf_obj_begin(jb);
	if (!strcmp(kind, "finding")) {
		jbuf_kv_str(jb, "rule", "world-readable service account token");
		jbuf_kv_str(jb, "severity", "high");
		jbuf_kv_str(jb, "message", "token file mode 0644");
		jbuf_kv_str(jb, "cred.path", "/var/lib/kubelet/pods/x/token");
		jbuf_kv_u64(jb, "mode", 0644);
	} else if (!strcmp(kind, "bare")) {
		/* an alert missing most Falco fields: the falcosidekick format fills them */
		jbuf_kv_str(jb, "rule", "Bare alert");
	} else {
		snprintf(out, sizeof(out), "credential read by cat (n=%d)", i);
		jbuf_kv_str(jb, "time", "2026-01-02T03:04:05.000000006Z");
		jbuf_kv_str(jb, "rule", "Service account token read");
		jbuf_kv_str(jb, "priority", "Warning");
		jbuf_kv_str(jb, "output", out);
		jbuf_key(jb, "output_fields");
		jbuf_obj_begin(jb);
		jbuf_kv_str(jb, "proc.name", "cat");
		jbuf_kv_u64(jb, "proc.pid", 1000 + i);
		jbuf_kv_str(jb, "cred.kind", "sa_token");
		jbuf_obj_end(jb);
		jbuf_kv_str(jb, "source", "credwatch");
		jbuf_key(jb, "tags");
		jbuf_arr_begin(jb);
		jbuf_elem(jb);
		jbuf_str(jb, "credentials");
		jbuf_arr_end(jb);
		jbuf_kv_str(jb, "hostname", "node-1");
	}
	if (pad) {
		char *p = malloc(pad + 1);

		memset(p, 'p', pad);
		p[pad] = '\0';
		jbuf_kv_str(jb, "pad", p);
		free(p);
	}
	jbuf_kv_str(jb, "uuid", uuid);
	jbuf_obj_end(jb);
}

static bool wait_delivered(struct ship *s, uint64_t deadline)
{
	struct ship_stats st;

	for (;;) {
		ship_stats(s, &st);
		/* an eviction report is queued after the ack that empties the spool */
		if (st.spool.pending == 0 && st.spool.evicted_unreported == 0)
			return true;
		if (now_ms() >= deadline)
			return false;
		usleep(20000);
	}
}

static int rotate_token(const char *path, const char *value)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%s\n", value);
	fclose(f);
	return rename(tmp, path);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "spool", 1, 0, 's' }, { "backend", 1, 0, 'b' }, { "format", 1, 0, 'f' },
		{ "ca", 1, 0, 'c' }, { "cert", 1, 0, 'C' }, { "key", 1, 0, 'K' },
		{ "token-file", 1, 0, 't' }, { "insecure", 0, 0, 'i' }, { "count", 1, 0, 'n' },
		{ "start", 1, 0, 'S' }, { "kind", 1, 0, 'k' }, { "drain-ms", 1, 0, 'd' },
		{ "timeout-ms", 1, 0, 'T' }, { "retry-base-ms", 1, 0, 'r' },
		{ "retry-max-ms", 1, 0, 'R' }, { "flush-ms", 1, 0, 'F' },
		{ "batch-max", 1, 0, 'B' }, { "spool-max-bytes", 1, 0, 'M' },
		{ "segment-bytes", 1, 0, 'G' }, { "pad", 1, 0, 'p' }, { "hold", 0, 0, 'h' },
		{ "rotate-token", 1, 0, 'o' }, { 0 },
	};
	const char *kind = "alert", *new_token = NULL;
	int count = 10, start = 0, pad = 0, c, i, err, rc;
	unsigned drain_ms = 10000;
	bool hold = false, done;
	struct ship_stats st;
	struct ship_opts o;
	struct ship *s;
	struct jbuf jb;
	uint64_t deadline;

	ship_opts_default(&o);
	o.spool.fsync_ms = 50;
	o.flush_ms = 100;
	o.retry_base_ms = 100;
	o.retry_max_ms = 1000;
	o.timeout_ms = 2000;
	o.connect_timeout_ms = 1000;
	o.hostname = "node-1";
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': o.spool.dir = optarg; break;
		case 'b': o.url = optarg; break;
		case 'f':
			if (ship_format_parse(optarg, &o.format))
				return 2;
			break;
		case 'c': o.ca_file = optarg; break;
		case 'C': o.cert_file = optarg; break;
		case 'K': o.key_file = optarg; break;
		case 't': o.token_file = optarg; break;
		case 'i': o.insecure = true; break;
		case 'n': count = atoi(optarg); break;
		case 'S': start = atoi(optarg); break;
		case 'k': kind = optarg; break;
		case 'd': drain_ms = atoi(optarg); break;
		case 'T': o.timeout_ms = atoi(optarg); break;
		case 'r': o.retry_base_ms = atoi(optarg); break;
		case 'R': o.retry_max_ms = atoi(optarg); break;
		case 'F': o.flush_ms = atoi(optarg); break;
		case 'B': o.batch_max = atoi(optarg); break;
		case 'M': o.spool.max_bytes = strtoull(optarg, NULL, 0); break;
		case 'G': o.spool.segment_bytes = strtoull(optarg, NULL, 0); break;
		case 'p': pad = atoi(optarg); break;
		case 'h': hold = true; break;
		case 'o': new_token = optarg; break;
		default: return 2;
		}
	}
	err = ship_new(&s, &o);
	if (err) {
		fprintf(stderr, "ship_drive: ship_new: %s\n", strerror(-err));
		return 2;
	}
	err = ship_start(s);
	if (err) {
		ship_close(s, 0, NULL);
		return 1;
	}
	jbuf_init(&jb);
	for (i = start; i < start + count; i++) {
		if (new_token && i == start + count / 2) {
			wait_delivered(s, now_ms() + drain_ms);
			if (rotate_token(o.token_file, new_token))
				perror("ship_drive: rotate token");
		}
		make_record(&jb, kind, i, pad);
		ship_submit(s, !strcmp(kind, "finding") ? SPOOL_FINDING : SPOOL_ALERT, jb.buf,
			    jb.len);
	}
	jbuf_free(&jb);
	if (hold) {
		printf("held\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	deadline = now_ms() + drain_ms;
	done = wait_delivered(s, deadline);
	rc = ship_close(s, done ? 1000 : 0, &st);
	printf("{\"submitted\":%" PRIu64 ",\"submit_errors\":%" PRIu64 ",\"requests\":%" PRIu64
	       ",\"sent\":%" PRIu64 ",\"retried\":%" PRIu64 ",\"acked\":%" PRIu64
	       ",\"dead_lettered\":%" PRIu64 ",\"invalid\":%" PRIu64 ",\"summaries\":%" PRIu64
	       ",\"last_status\":%ld,\"pending\":%" PRIu64 ",\"spool_bytes\":%" PRIu64
	       ",\"evicted\":%" PRIu64 ",\"evicted_unreported\":%" PRIu64
	       ",\"disk_full\":%" PRIu64 ",\"torn_tails\":%" PRIu64 "}\n",
	       st.submitted, st.submit_errors, st.requests, st.sent, st.retried, st.acked,
	       st.dead_lettered, st.invalid, st.summaries, st.last_status, st.spool.pending,
	       st.spool.bytes, st.spool.evicted, st.spool.evicted_unreported,
	       st.spool.disk_full, st.spool.torn_tails);
	return rc == 0 && done ? 0 : 3;
}
