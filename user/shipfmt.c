// SPDX-License-Identifier: Apache-2.0
/* shipfmt.c - wire formats for the backend: NDJSON lines, Falco alerts, gzip, keys. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <zlib.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "shipfmt.h"

static const char *const falco_priorities[] = {
	"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational",
	"Debug",
};

/* Exactly one JSON object (and whitespace): a second value would split a record. */
static cJSON *parse_object(const char *json, size_t len)
{
	const char *end = NULL;
	cJSON *o = cJSON_ParseWithLengthOpts(json, len, &end, false);

	if (!o)
		return NULL;
	while (end && end < json + len && isspace((unsigned char)*end))
		end++;
	if (!cJSON_IsObject(o) || !end || end != json + len) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

int shipfmt_ndjson_line(struct jbuf *out, enum spool_kind kind, const char *json, size_t len)
{
	cJSON *o = parse_object(json, len);
	bool has_kind;
	size_t i = 0;

	if (!o)
		return -EINVAL;
	has_kind = cJSON_GetObjectItemCaseSensitive(o, "kind") != NULL;
	cJSON_Delete(o);
	/* drop line breaks around the object: one record, one line */
	while (len && isspace((unsigned char)json[len - 1]))
		len--;
	while (i < len && isspace((unsigned char)json[i]))
		i++;
	if (has_kind) {
		jbuf_raw(out, json + i, len - i);
	} else {
		/* json[i] is '{' since it parsed as an object */
		jbuf_raw(out, "{\"kind\":", 8);
		jbuf_str(out, spool_kind_name(kind));
		i++;
		while (i < len && isspace((unsigned char)json[i]))
			i++;
		if (json[i] != '}')
			jbuf_raw(out, ",", 1);
		jbuf_raw(out, json + i, len - i);
	}
	jbuf_raw(out, "\n", 1);
	return out->oom ? -ENOMEM : 0;
}

static const char *str_member(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

/* RFC 3339 as Go's time.Time accepts it: date T time [.frac] (Z | +hh:mm). */
static bool is_rfc3339(const char *s)
{
	static const char pat[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; pat[i]; i++)
		if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	s += i;
	if (*s == '.') {
		if (!isdigit((unsigned char)*++s))
			return false;
		while (isdigit((unsigned char)*s))
			s++;
	}
	if (s[0] == 'Z')
		return s[1] == '\0';
	return (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
	       isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
	       isdigit((unsigned char)s[5]) && s[6] == '\0';
}

/* A Falco priority name for p (Falco names, common severities), or NULL. */
static const char *falco_priority(const char *p)
{
	static const struct { const char *from, *to; } sev[] = {
		{ "info", "Informational" }, { "high", "Error" }, { "medium", "Warning" },
		{ "low", "Notice" }, { "warn", "Warning" }, { "err", "Error" },
		{ "crit", "Critical" }, { "emerg", "Emergency" },
	};
	size_t i;

	if (!p)
		return NULL;
	for (i = 0; i < sizeof(falco_priorities) / sizeof(falco_priorities[0]); i++)
		if (!strcasecmp(p, falco_priorities[i]))
			return falco_priorities[i];
	for (i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		if (!strcasecmp(p, sev[i].from))
			return sev[i].to;
	return NULL;
}

static bool has_string_tags(const cJSON *o)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tags"), *e;

	if (!cJSON_IsArray(t) || !cJSON_GetArraySize(t))
		return false;
	cJSON_ArrayForEach(e, t)
		if (!cJSON_IsString(e))
			return false;
	return true;
}

/* Everything falcosidekick needs is already there: pass the bytes through. */
static bool is_complete_alert(const cJSON *o)
{
	const char *p = str_member(o, "priority"), *t = str_member(o, "time");

	return str_member(o, "output") && str_member(o, "rule") && str_member(o, "source") &&
	       str_member(o, "hostname") && str_member(o, "uuid") && p && falco_priority(p) &&
	       !strcmp(p, falco_priority(p)) && t && is_rfc3339(t) &&
	       cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(o, "output_fields")) &&
	       has_string_tags(o) && !cJSON_GetObjectItemCaseSensitive(o, "kind");
}

static void set_str(cJSON *o, const char *name, const char *val)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, name);
	cJSON_AddStringToObject(o, name, val);
}

/* uuid-shaped name derived from the record's bytes, for records that lack one */
static void derived_uuid(const char *json, size_t len, char out[SHIPFMT_UUID_LEN + 1])
{
	struct shipfmt_key k;
	char hex[SHIPFMT_KEY_LEN + 1];
	const char *h;

	shipfmt_key_init(&k);
	shipfmt_key_add(&k, json, len);
	shipfmt_key_final(&k, hex);
	h = hex + 3;
	snprintf(out, SHIPFMT_UUID_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8, h + 12,
		 h + 16, h + 20);
}

/* A finding becomes an alert: its scalar members are the output_fields. */
static cJSON *finding_to_alert(const cJSON *f)
{
	static const char *const own[] = { "rule", "priority", "severity", "output", "message",
					   "time", "uuid", "hostname", "tags", "source",
					   "output_fields", "kind" };
	cJSON *a = cJSON_CreateObject(), *fields, *m;
	const cJSON *v;
	const char *rule, *out;
	size_t i;

	if (!a)
		return NULL;
	rule = str_member(f, "rule");
	if (!rule)
		rule = str_member(f, "check");
	if (!rule)
		rule = str_member(f, "id");
	cJSON_AddStringToObject(a, "rule", rule ? rule : "credwatch finding");
	out = str_member(f, "output");
	if (!out)
		out = str_member(f, "message");
	if (!out)
		out = str_member(f, "summary");
	if (out) {
		cJSON_AddStringToObject(a, "output", out);
	} else {
		char buf[512];

		snprintf(buf, sizeof(buf), "credwatch finding: %s", rule ? rule : "posture");
		cJSON_AddStringToObject(a, "output", buf);
	}
	v = cJSON_GetObjectItemCaseSensitive(f, "priority");
	if (!cJSON_IsString(v))
		v = cJSON_GetObjectItemCaseSensitive(f, "severity");
	if (cJSON_IsString(v))
		cJSON_AddStringToObject(a, "priority", v->valuestring);
	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++) {
		v = cJSON_GetObjectItemCaseSensitive(f, own[i]);
		if (v && (!strcmp(own[i], "time") || !strcmp(own[i], "uuid") ||
			  !strcmp(own[i], "hostname") || !strcmp(own[i], "tags") ||
			  !strcmp(own[i], "output_fields")))
			cJSON_AddItemToObject(a, own[i], cJSON_Duplicate(v, true));
	}
	fields = cJSON_GetObjectItemCaseSensitive(a, "output_fields");
	if (!cJSON_IsObject(fields)) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "output_fields");
		fields = cJSON_AddObjectToObject(a, "output_fields");
		cJSON_ArrayForEach(v, f) {
			for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
				if (!strcmp(v->string, own[i]))
					break;
			if (i < sizeof(own) / sizeof(own[0]))
				continue;
			if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
				/* keep nested values readable in outputs that only take scalars */
				char *s = cJSON_PrintUnformatted(v);

				m = cJSON_CreateString(s ? s : "");
				free(s);
			} else {
				m = cJSON_Duplicate(v, true);
			}
			cJSON_AddItemToObject(fields, v->string, m);
		}
	}
	if (!has_string_tags(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "tags");
		m = cJSON_AddArrayToObject(a, "tags");
		cJSON_AddItemToArray(m, cJSON_CreateString("credwatch"));
		cJSON_AddItemToArray(m, cJSON_CreateString("finding"));
	}
	return a;
}

int shipfmt_falco(struct jbuf *out, enum spool_kind kind, const char *json, size_t len,
		  const char *hostname)
{
	char tbuf[64], ubuf[SHIPFMT_UUID_LEN + 1];
	cJSON *o = parse_object(json, len), *a, *t;
	const char *p;
	char *s;

	if (!o)
		return -EINVAL;
	if (kind != SPOOL_FINDING && is_complete_alert(o)) {
		cJSON_Delete(o);
		jbuf_raw(out, json, len);
		return out->oom ? -ENOMEM : 0;
	}
	if (kind == SPOOL_FINDING) {
		a = finding_to_alert(o);
		if (!a) {
			cJSON_Delete(o);
			return -ENOMEM;
		}
	} else {
		a = o;
		o = NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(a, "kind");
	if (!str_member(a, "rule"))
		set_str(a, "rule", "credwatch alert");
	if (!str_member(a, "output"))
		set_str(a, "output", str_member(a, "rule"));
	p = falco_priority(str_member(a, "priority"));
	set_str(a, "priority", p ? p : (kind == SPOOL_FINDING ? "Notice" : "Warning"));
	p = str_member(a, "time");
	if (!p || !is_rfc3339(p)) {
		shipfmt_time_now(tbuf, sizeof(tbuf));
		set_str(a, "time", tbuf);
	}
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(a, "output_fields"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "output_fields");
		cJSON_AddObjectToObject(a, "output_fields");
	}
	if (!str_member(a, "source"))
		set_str(a, "source", "credwatch");
	if (!has_string_tags(a)) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "tags");
		t = cJSON_AddArrayToObject(a, "tags");
		cJSON_AddItemToArray(t, cJSON_CreateString("credwatch"));
	}
	if (!str_member(a, "hostname"))
		set_str(a, "hostname", hostname && *hostname ? hostname : "unknown");
	if (!str_member(a, "uuid")) {
		derived_uuid(json, len, ubuf);
		set_str(a, "uuid", ubuf);
	}
	s = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	cJSON_Delete(o);
	if (!s)
		return -ENOMEM;
	jbuf_raw(out, s, strlen(s));
	free(s);
	return out->oom ? -ENOMEM : 0;
}

int shipfmt_gzip(const void *in, size_t n, unsigned char **out, size_t *outlen)
{
	z_stream zs = { 0 };
	unsigned char *buf;
	size_t cap;
	int rc;

	*out = NULL;
	/* windowBits 15 + 16: a gzip wrapper, as Content-Encoding: gzip means */
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	cap = deflateBound(&zs, n) + 32;
	buf = malloc(cap);
	if (!buf) {
		deflateEnd(&zs);
		return -ENOMEM;
	}
	zs.next_in = (unsigned char *)in;
	zs.avail_in = n;
	zs.next_out = buf;
	zs.avail_out = cap;
	rc = deflate(&zs, Z_FINISH);
	deflateEnd(&zs);
	if (rc != Z_STREAM_END) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*outlen = cap - zs.avail_out;
	return 0;
}

void shipfmt_key_init(struct shipfmt_key *k)
{
	k->h1 = 0xcbf29ce484222325ULL;	/* FNV-1a offset basis */
	k->h2 = 0x84222325cbf29ce4ULL;	/* a second, independent lane */
}

void shipfmt_key_add(struct shipfmt_key *k, const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < n; i++) {
		k->h1 = (k->h1 ^ b[i]) * 0x100000001b3ULL;
		k->h2 = (k->h2 ^ b[i] ^ (k->h2 >> 29)) * 0x9e3779b97f4a7c15ULL;
	}
	/* separate records so ("ab","c") and ("a","bc") differ */
	k->h1 = (k->h1 ^ n) * 0x100000001b3ULL;
	k->h2 = (k->h2 ^ n) * 0x9e3779b97f4a7c15ULL;
}

void shipfmt_key_final(const struct shipfmt_key *k, char out[SHIPFMT_KEY_LEN + 1])
{
	snprintf(out, SHIPFMT_KEY_LEN + 1, "cw-%016" PRIx64 "%016" PRIx64, k->h1, k->h2);
}

void shipfmt_uuid4(char out[SHIPFMT_UUID_LEN + 1])
{
	unsigned char b[16];
	size_t got = 0;
	ssize_t r;

	while (got < sizeof(b)) {
		r = getrandom(b + got, sizeof(b) - got, 0);
		if (r > 0)
			got += r;
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, SHIPFMT_UUID_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

void shipfmt_time_now(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;
	char date[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, size, "%s.%09ldZ", date, ts.tv_nsec);
}

void shipfmt_summary(struct jbuf *out, uint64_t evicted, const char *spool_dir,
		     uint64_t max_bytes, const char *hostname)
{
	char t[64], uuid[SHIPFMT_UUID_LEN + 1], msg[256];

	shipfmt_time_now(t, sizeof(t));
	shipfmt_uuid4(uuid);
	snprintf(msg, sizeof(msg),
		 "credwatch: spool evicted %" PRIu64 " alerts/findings before the backend "
		 "acknowledged them (spool full at %" PRIu64 " bytes)", evicted, max_bytes);
	jbuf_obj_begin(out);
	jbuf_kv_str(out, "time", t);
	jbuf_kv_str(out, "rule", "credwatch spool eviction");
	jbuf_kv_str(out, "priority", "Critical");
	jbuf_kv_str(out, "output", msg);
	jbuf_key(out, "output_fields");
	jbuf_obj_begin(out);
	jbuf_kv_u64(out, "credwatch.spool.evicted", evicted);
	jbuf_kv_str(out, "credwatch.spool.dir", spool_dir);
	jbuf_kv_u64(out, "credwatch.spool.max_bytes", max_bytes);
	jbuf_obj_end(out);
	jbuf_kv_str(out, "source", "credwatch");
	jbuf_key(out, "tags");
	jbuf_arr_begin(out);
	jbuf_elem(out);
	jbuf_str(out, "credwatch");
	jbuf_elem(out);
	jbuf_str(out, "data_loss");
	jbuf_arr_end(out);
	jbuf_kv_str(out, "hostname", hostname && *hostname ? hostname : "unknown");
	jbuf_kv_str(out, "uuid", uuid);
	jbuf_obj_end(out);
}

char *shipfmt_url_redact(const char *url)
{
	const char *p = strstr(url, "://"), *host, *end, *at, *q;
	size_t n = strlen(url), o = 0;
	char *r;

	r = malloc(n + 16 + n * 3 / 2 + 1);	/* "***" per value is at most 1.5x */
	if (!r)
		return NULL;
	host = p ? p + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	/* scheme:// and the host, without user:password@ */
	memcpy(r, url, (size_t)(host - url));
	o = (size_t)(host - url);
	if (at) {
		memcpy(r + o, "***@", 4);
		o += 4;
		host = at + 1;
	}
	q = host + strcspn(host, "?#");
	memcpy(r + o, host, (size_t)(q - host));
	o += (size_t)(q - host);
	if (*q == '?') {
		/* names kept, values hidden: ?a=***&b=*** */
		const char *e = q + 1 + strcspn(q + 1, "#");

		r[o++] = '?';
		for (const char *f = q + 1; f < e;) {
			const char *amp = memchr(f, '&', (size_t)(e - f)), *fe = amp ? amp : e;
			const char *eq = memchr(f, '=', (size_t)(fe - f));

			memcpy(r + o, f, (size_t)((eq ? eq : fe) - f));
			o += (size_t)((eq ? eq : fe) - f);
			if (eq) {
				memcpy(r + o, "=***", 4);
				o += 4;
			}
			if (amp)
				r[o++] = '&';
			f = fe + (amp ? 1 : 0);
		}
	}
	r[o] = '\0';
	return r;
}

long shipfmt_retry_after_ms(const char *value, time_t now, long max_ms)
{
	char *end;
	long long secs;
	time_t when;

	while (*value == ' ' || *value == '\t')
		value++;
	errno = 0;
	secs = strtoll(value, &end, 10);
	if (end != value && (*end == '\0' || *end == ' ' || *end == '\t')) {
		if (secs < 0)
			return -1;
		/* clamp in seconds first: secs * 1000 overflows long long near 9.2e15 */
		if (errno == ERANGE || secs > max_ms / 1000)
			return max_ms;
		return (long)secs * 1000;
	}
	when = curl_getdate(value, NULL);
	if (when == -1)
		return -1;
	if (when <= now)
		return 0;
	if (when - now > max_ms / 1000)
		return max_ms;
	return (long)(when - now) * 1000;
}
