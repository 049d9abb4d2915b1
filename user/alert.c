// SPDX-License-Identifier: Apache-2.0
/* alert.c - alert rendering (Falco JSON, text) and the rate-limited writer. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "alert.h"
#include "clock.h"
#include "fields.h"
#include "hash.h"
#include "log.h"

#define RL_SLOTS	1024	/* (rule, reader) buckets held at once */
#define RL_RULE_MAX	128
#define RL_READER_MAX	96
#define SUMMARY_TEXT_MAX 20	/* keys named in the summary's output line */

struct bucket {
	bool used;
	uint64_t hash;
	char rule[RL_RULE_MAX];
	char reader[RL_READER_MAX];
	double tokens;
	uint64_t last_ns;
	uint64_t suppressed;	/* since the last summary */
};

struct alert_writer {
	struct alert_opts o;
	char hostname[256];
	FILE *out;
	struct jbuf line, text;
	struct bucket *slots;
	int nused;
	/* When the table is full of busy keys, one shared bucket per writer. */
	struct bucket overflow;
	uint64_t last_summary_ns;
	bool have_summary_time;
	uint64_t written, suppressed;
};

/* ---- rendering -------------------------------------------------------- */

const char *alert_time_format(uint64_t ns, char *buf, size_t size)
{
	return clock_rfc3339(ns, 9, buf, size);
}

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void alert_uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t got = 0;
	int o = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got < sizeof(b)) {		/* no getrandom: still unique per process */
		uint64_t x = wall_ns() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)&got;

		for (size_t i = got; i < sizeof(b); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[i] = (unsigned char)x;
		}
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

void alert_init(struct alert *a, const struct cw_rule *rule, const struct cw_record *rec)
{
	a->rule = rule;
	a->rec = rec;
	a->time_ns = rec && rec->time_ns ? rec->time_ns : wall_ns();
	alert_uuid(a->uuid);
}

/* The common shape of a rule alert and a summary. */
static void render_head(struct jbuf *jb, uint64_t time_ns, const char *rule, int prio,
			const char *output, size_t output_len)
{
	char tbuf[64];

	jbuf_obj_begin(jb);
	jbuf_kv_str(jb, "time", alert_time_format(time_ns, tbuf, sizeof(tbuf)));
	jbuf_kv_str(jb, "rule", rule);
	jbuf_kv_str(jb, "priority", priority_name(prio));
	jbuf_key(jb, "output");
	jbuf_strn(jb, output, output_len);
}

static void render_tail(struct jbuf *jb, const char *hostname, const char *uuid)
{
	jbuf_kv_str(jb, "hostname", hostname);
	jbuf_kv_str(jb, "uuid", uuid);
	jbuf_obj_end(jb);
}

void alert_render_json(const struct alert *a, const char *hostname, struct jbuf *jb)
{
	struct jbuf out;

	jbuf_init(&out);
	rule_output(a->rule, a->rec, &out);
	render_head(jb, a->time_ns, rule_name(a->rule), rule_priority(a->rule),
		    out.buf ? out.buf : "", out.len);
	jbuf_free(&out);
	jbuf_key(jb, "output_fields");
	jbuf_obj_begin(jb);
	rule_output_fields(a->rule, a->rec, jb);
	jbuf_obj_end(jb);
	jbuf_kv_str(jb, "source", "credwatch");
	jbuf_key(jb, "tags");
	jbuf_arr_begin(jb);
	for (int i = 0; i < rule_ntags(a->rule); i++) {
		jbuf_elem(jb);
		jbuf_str(jb, rule_tag(a->rule, i));
	}
	jbuf_arr_end(jb);
	render_tail(jb, hostname, a->uuid);
}

static const char *prio_color(int prio)
{
	switch (prio) {
	case CW_PRIO_EMERGENCY:
	case CW_PRIO_ALERT:
	case CW_PRIO_CRITICAL:
		return "\033[1;31m";
	case CW_PRIO_ERROR:
		return "\033[31m";
	case CW_PRIO_WARNING:
		return "\033[33m";
	case CW_PRIO_NOTICE:
		return "\033[36m";
	case CW_PRIO_INFORMATIONAL:
		return "\033[32m";
	default:
		return "\033[2m";
	}
}

/* Append s escaped for a terminal. */
static void put_escaped(struct jbuf *jb, const char *s)
{
	size_t size = strlen(s) * 4 + 8;	/* \xNN per byte at worst */
	char *dst = malloc(size);

	if (!dst) {
		jb->oom = true;
		return;
	}
	text_escape(s, dst, size);
	jbuf_raw(jb, dst, strlen(dst));
	free(dst);
}

static void render_text_line(struct jbuf *jb, uint64_t time_ns, int prio, const char *rule,
			     const char *output, bool color)
{
	char tbuf[64];
	const char *p = priority_name(prio);

	alert_time_format(time_ns, tbuf, sizeof(tbuf));
	jbuf_raw(jb, tbuf, strlen(tbuf));
	jbuf_raw(jb, " ", 1);
	if (color)
		jbuf_raw(jb, prio_color(prio), strlen(prio_color(prio)));
	jbuf_raw(jb, p, strlen(p));
	if (color)
		jbuf_raw(jb, "\033[0m", 4);
	jbuf_raw(jb, " ", 1);
	put_escaped(jb, rule);
	jbuf_raw(jb, ": ", 2);
	put_escaped(jb, output);
}

void alert_render_text(const struct alert *a, bool color, struct jbuf *jb)
{
	struct jbuf out;

	jbuf_init(&out);
	rule_output(a->rule, a->rec, &out);
	if (a->rec && a->rec->count > 1) {
		/* an aggregated record: the JSON has it in output_fields, the text here */
		char n[48];

		snprintf(n, sizeof(n), " (evt.count=%" PRIu64 ")", a->rec->count);
		jbuf_raw(&out, n, strlen(n));
	}
	render_text_line(jb, a->time_ns, rule_priority(a->rule), rule_name(a->rule),
			 out.buf ? out.buf : "", color);
	jbuf_free(&out);
}

/* ---- the writer -------------------------------------------------------- */

int alert_writer_new(struct alert_writer **wp, const struct alert_opts *opts, FILE *out)
{
	struct alert_writer *w = calloc(1, sizeof(*w));

	*wp = NULL;
	if (!w)
		return -ENOMEM;
	w->o = *opts;
	w->o.hostname = NULL;
	if (w->o.burst < 1)
		w->o.burst = 1;
	if (!w->o.summary_interval_ns)
		w->o.summary_interval_ns = 60ull * 1000000000ull;
	if (opts->hostname)
		snprintf(w->hostname, sizeof(w->hostname), "%s", opts->hostname);
	else if (gethostname(w->hostname, sizeof(w->hostname) - 1))
		snprintf(w->hostname, sizeof(w->hostname), "unknown");
	w->out = out;
	jbuf_init(&w->line);
	jbuf_init(&w->text);
	w->slots = calloc(RL_SLOTS, sizeof(*w->slots));
	if (!w->slots) {
		free(w);
		return -ENOMEM;
	}
	snprintf(w->overflow.reader, sizeof(w->overflow.reader), "other readers");
	*wp = w;
	return 0;
}

void alert_writer_free(struct alert_writer *w)
{
	if (!w)
		return;
	jbuf_free(&w->line);
	jbuf_free(&w->text);
	free(w->slots);
	free(w);
}

void alert_writer_stats(const struct alert_writer *w, uint64_t *written, uint64_t *suppressed)
{
	*written = w->written;
	*suppressed = w->suppressed;
}

static void refill(const struct alert_writer *w, struct bucket *b, uint64_t now_ns)
{
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * w->o.rate / 1e9;
		if (b->tokens > w->o.burst)
			b->tokens = w->o.burst;
	}
	b->last_ns = now_ns;
}

/* Drop buckets that are full again and owe no summary, then rehash. */
static void gc(struct alert_writer *w, uint64_t now_ns)
{
	struct bucket *old = w->slots, *nw = calloc(RL_SLOTS, sizeof(*nw));

	if (!nw)
		return;
	w->nused = 0;
	for (int i = 0; i < RL_SLOTS; i++) {
		struct bucket *b = &old[i];

		if (!b->used)
			continue;
		refill(w, b, now_ns);
		if (b->suppressed == 0 && b->tokens >= w->o.burst)
			continue;
		for (uint64_t j = b->hash % RL_SLOTS;; j = (j + 1) % RL_SLOTS) {
			if (!nw[j].used) {
				nw[j] = *b;
				w->nused++;
				break;
			}
		}
	}
	free(old);
	w->slots = nw;
}

static struct bucket *bucket_for(struct alert_writer *w, const char *rule, const char *reader,
				 uint64_t now_ns)
{
	uint64_t h = hash_fnv64_str(hash_fnv64_str(HASH_FNV64_INIT, rule), reader);
	struct bucket *b;

	for (int pass = 0; pass < 2; pass++) {
		for (uint64_t j = h % RL_SLOTS, n = 0; n < RL_SLOTS; j = (j + 1) % RL_SLOTS, n++) {
			b = &w->slots[j];
			if (b->used && b->hash == h && !strncmp(b->rule, rule, RL_RULE_MAX - 1) &&
			    !strcmp(b->reader, reader))
				return b;
			if (!b->used)
				break;
		}
		if (w->nused < RL_SLOTS * 3 / 4)
			break;
		if (pass == 0)
			gc(w, now_ns);
	}
	if (w->nused >= RL_SLOTS * 3 / 4) {
		b = &w->overflow;
		snprintf(b->rule, sizeof(b->rule), "(any rule)");
		if (!b->used) {
			b->used = true;
			b->tokens = w->o.burst;
			b->last_ns = now_ns;
		}
		return b;
	}
	for (uint64_t j = h % RL_SLOTS;; j = (j + 1) % RL_SLOTS) {
		b = &w->slots[j];
		if (!b->used)
			break;
	}
	memset(b, 0, sizeof(*b));
	b->used = true;
	b->hash = h;
	snprintf(b->rule, sizeof(b->rule), "%s", rule);
	snprintf(b->reader, sizeof(b->reader), "%s", reader);
	b->tokens = w->o.burst;
	b->last_ns = now_ns;
	w->nused++;
	return b;
}

static void reader_key(const struct cw_record *rec, char *buf, size_t size)
{
	/* per suppressed alert: by hand, not snprintf (same text) */
	static const char ctr[] = "container ";
	char digits[24];
	size_t o, n = 0;
	uint64_t pid = rec->pid;

	if (size < sizeof(ctr) + 65)
		return;
	if (rec->container_id[0] && strcmp(rec->container_id, "host")) {
		memcpy(buf, ctr, sizeof(ctr) - 1);
		o = sizeof(ctr) - 1;
		n = strnlen(rec->container_id, 64);
		memcpy(buf + o, rec->container_id, n);
		buf[o + n] = '\0';
		return;
	}
	do {
		digits[n++] = (char)('0' + pid % 10);
		pid /= 10;
	} while (pid);
	memcpy(buf, "pid ", 4);
	for (o = 4; n; )
		buf[o++] = digits[--n];
	buf[o] = '\0';
}

static int write_line(struct alert_writer *w, const struct cw_record *rec, const struct jbuf *json,
		      const struct jbuf *text)
{
	const struct jbuf *jb = text ? text : json;

	if (json->oom || (text && text->oom)) {
		log_error("alert: render: out of memory");
		return -ENOMEM;
	}
	if (w->o.sink)
		w->o.sink(w->o.sink_ctx, rec, json->buf, json->len);
	if (!w->out)
		return 1;
	if (fwrite(jb->buf, 1, jb->len, w->out) != jb->len || fputc('\n', w->out) == EOF ||
	    fflush(w->out) == EOF) {
		log_error("alert: output: write: %s", strerror(errno));
		return -EIO;
	}
	return 1;
}

int alert_writer_emit(struct alert_writer *w, const struct cw_rule *rule,
		      const struct cw_record *rec, uint64_t now_ns)
{
	struct alert a;
	int ret;

	if (w->o.rate > 0) {
		char reader[RL_READER_MAX];
		struct bucket *b;

		reader_key(rec, reader, sizeof(reader));
		b = bucket_for(w, rule_name(rule), reader, now_ns);
		refill(w, b, now_ns);
		if (b->tokens < 1) {
			b->suppressed++;
			w->suppressed++;
			return 0;
		}
		b->tokens -= 1;
	}
	alert_init(&a, rule, rec);
	jbuf_reset(&w->line);
	alert_render_json(&a, w->hostname, &w->line);
	if (w->o.text) {
		jbuf_reset(&w->text);
		alert_render_text(&a, w->o.color, &w->text);
	}
	ret = write_line(w, rec, &w->line, w->o.text ? &w->text : NULL);
	if (ret > 0)
		w->written++;
	return ret;
}

int alert_writer_emit_builtin(struct alert_writer *w, const struct alert_builtin *b)
{
	uint64_t t = b->time_ns ? b->time_ns : wall_ns();
	char uuid[37];
	int ret;

	alert_uuid(uuid);
	jbuf_reset(&w->line);
	render_head(&w->line, t, b->rule, b->priority, b->output, strlen(b->output));
	jbuf_key(&w->line, "output_fields");
	jbuf_obj_begin(&w->line);
	jbuf_kv_u64(&w->line, "evt.time", t);
	if (b->fields)
		b->fields(b->ctx, &w->line);
	jbuf_obj_end(&w->line);
	jbuf_kv_str(&w->line, "source", "credwatch");
	jbuf_key(&w->line, "tags");
	jbuf_arr_begin(&w->line);
	for (int i = 0; i < b->ntags; i++) {
		jbuf_elem(&w->line);
		jbuf_str(&w->line, b->tags[i]);
	}
	jbuf_arr_end(&w->line);
	render_tail(&w->line, w->hostname, uuid);
	if (w->o.text) {
		jbuf_reset(&w->text);
		render_text_line(&w->text, t, b->priority, b->rule, b->output, w->o.color);
	}
	ret = write_line(w, NULL, &w->line, w->o.text ? &w->text : NULL);
	if (ret > 0)
		w->written++;
	return ret;
}

static void summary_entry(struct jbuf *jb, const struct bucket *b)
{
	jbuf_elem(jb);
	jbuf_obj_begin(jb);
	jbuf_kv_str(jb, "rule", b->rule);
	jbuf_kv_str(jb, "reader", b->reader);
	jbuf_kv_u64(jb, "count", b->suppressed);
	jbuf_obj_end(jb);
}

int alert_writer_flush(struct alert_writer *w, uint64_t now_ns)
{
	uint64_t total = 0, keys = 0, secs;
	uint64_t t = wall_ns();
	struct jbuf out;
	char uuid[37], line[RL_RULE_MAX + RL_READER_MAX + 48];
	int ret, named = 0;

	for (int i = 0; i < RL_SLOTS; i++) {
		total += w->slots[i].suppressed;
		keys += w->slots[i].suppressed > 0;
	}
	total += w->overflow.suppressed;
	keys += w->overflow.suppressed > 0;
	secs = w->have_summary_time && now_ns > w->last_summary_ns ?
	       (now_ns - w->last_summary_ns) / 1000000000ull : 0;
	w->last_summary_ns = now_ns;
	w->have_summary_time = true;
	if (total == 0)
		return 0;

	jbuf_init(&out);
	snprintf(line, sizeof(line), "%" PRIu64 " alerts suppressed by rate limiting", total);
	jbuf_raw(&out, line, strlen(line));
	if (secs) {
		snprintf(line, sizeof(line), " in the last %" PRIu64 "s", secs);
		jbuf_raw(&out, line, strlen(line));
	}
	jbuf_raw(&out, ":", 1);
	for (int i = 0; i <= RL_SLOTS; i++) {
		const struct bucket *b = i < RL_SLOTS ? &w->slots[i] : &w->overflow;

		if (!b->suppressed)
			continue;
		if (named++ == SUMMARY_TEXT_MAX) {
			snprintf(line, sizeof(line), " and %" PRIu64 " more", keys - SUMMARY_TEXT_MAX);
			jbuf_raw(&out, line, strlen(line));
			break;
		}
		snprintf(line, sizeof(line), "%s %s (%s): %" PRIu64, named > 1 ? ";" : "",
			 b->rule, b->reader, b->suppressed);
		jbuf_raw(&out, line, strlen(line));
	}

	alert_uuid(uuid);
	jbuf_reset(&w->line);
	render_head(&w->line, t, ALERT_SUPPRESSED_RULE, CW_PRIO_NOTICE,
		    out.buf ? out.buf : "", out.len);
	jbuf_key(&w->line, "output_fields");
	jbuf_obj_begin(&w->line);
	jbuf_kv_u64(&w->line, "evt.time", t);
	jbuf_kv_u64(&w->line, "credwatch.suppressed", total);
	jbuf_kv_u64(&w->line, "credwatch.suppressed_window_s", secs);
	jbuf_key(&w->line, "credwatch.suppressed_by");
	jbuf_arr_begin(&w->line);
	for (int i = 0; i < RL_SLOTS; i++)
		if (w->slots[i].suppressed)
			summary_entry(&w->line, &w->slots[i]);
	if (w->overflow.suppressed)
		summary_entry(&w->line, &w->overflow);
	jbuf_arr_end(&w->line);
	jbuf_obj_end(&w->line);
	jbuf_kv_str(&w->line, "source", "credwatch");
	jbuf_key(&w->line, "tags");
	jbuf_arr_begin(&w->line);
	jbuf_elem(&w->line);
	jbuf_str(&w->line, "credwatch");
	jbuf_elem(&w->line);
	jbuf_str(&w->line, "rate_limit");
	jbuf_arr_end(&w->line);
	render_tail(&w->line, w->hostname, uuid);
	if (w->o.text) {
		jbuf_reset(&w->text);
		render_text_line(&w->text, t, CW_PRIO_NOTICE, ALERT_SUPPRESSED_RULE,
				 out.buf ? out.buf : "", w->o.color);
	}
	jbuf_free(&out);
	ret = write_line(w, NULL, &w->line, w->o.text ? &w->text : NULL);
	if (ret < 0)
		return ret;	/* counts kept: the next summary reports them */
	for (int i = 0; i < RL_SLOTS; i++)
		w->slots[i].suppressed = 0;
	w->overflow.suppressed = 0;
	return 1;
}

int alert_writer_tick(struct alert_writer *w, uint64_t now_ns)
{
	if (!w->have_summary_time) {
		w->last_summary_ns = now_ns;
		w->have_summary_time = true;
		return 0;
	}
	if (now_ns < w->last_summary_ns ||
	    now_ns - w->last_summary_ns < w->o.summary_interval_ns)
		return 0;
	return alert_writer_flush(w, now_ns);
}
