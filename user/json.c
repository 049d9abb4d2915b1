// SPDX-License-Identifier: Apache-2.0
/* json.c - JSON writer and terminal escaping for untrusted strings. */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "json.h"

void jbuf_init(struct jbuf *jb)
{
	memset(jb, 0, sizeof(*jb));
}

void jbuf_free(struct jbuf *jb)
{
	free(jb->buf);
	jbuf_init(jb);
}

void jbuf_reset(struct jbuf *jb)
{
	jb->len = 0;
	jb->oom = false;
	jb->depth = 0;
	jb->need_comma[0] = false;
	if (jb->buf)
		jb->buf[0] = '\0';
}

static bool jbuf_reserve(struct jbuf *jb, size_t n)
{
	size_t cap;
	char *p;

	if (jb->oom)
		return false;
	if (jb->len + n + 1 <= jb->cap)
		return true;
	cap = jb->cap ? jb->cap : 1024;
	while (cap < jb->len + n + 1)
		cap *= 2;
	p = realloc(jb->buf, cap);
	if (!p) {
		jb->oom = true;
		return false;
	}
	jb->buf = p;
	jb->cap = cap;
	return true;
}

void jbuf_raw(struct jbuf *jb, const char *s, size_t n)
{
	if (!jbuf_reserve(jb, n))
		return;
	memcpy(jb->buf + jb->len, s, n);
	jb->len += n;
	jb->buf[jb->len] = '\0';
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629: no overlongs,
 * no surrogates, nothing above U+10FFFF), or 0 when it is not one.
 */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return n >= 2 && (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f))
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] > 0x8f))
			return 0;
		return 4;
	}
	return 0;
}

/* Bytes copied as they are: printable ASCII except '"' and '\\'. */
#define PLAIN(c) ((c) >= 0x20 && (c) < 0x7f && (c) != '"' && (c) != '\\')
#define PLAIN4(b) PLAIN(b), PLAIN(b + 1), PLAIN(b + 2), PLAIN(b + 3)
#define PLAIN16(b) PLAIN4(b), PLAIN4(b + 4), PLAIN4(b + 8), PLAIN4(b + 12)
static const unsigned char json_plain[256] = {
	PLAIN16(0x00), PLAIN16(0x10), PLAIN16(0x20), PLAIN16(0x30),
	PLAIN16(0x40), PLAIN16(0x50), PLAIN16(0x60), PLAIN16(0x70),
	PLAIN16(0x80), PLAIN16(0x90), PLAIN16(0xa0), PLAIN16(0xb0),
	PLAIN16(0xc0), PLAIN16(0xd0), PLAIN16(0xe0), PLAIN16(0xf0),
};

void jbuf_strn(struct jbuf *jb, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;

	/* worst case: every byte becomes \\xNN (5 chars) */
	if (!jbuf_reserve(jb, n * 6 + 2))
		return;
	jb->buf[jb->len++] = '"';
	while (i < n) {
		unsigned char c = s[i];
		size_t k, j = i;
		char *o = jb->buf + jb->len;

		/* fast path: copy a run of printable ASCII that needs no escape */
		while (j < n && json_plain[s[j]])
			j++;
		if (j > i) {
			memcpy(o, s + i, j - i);
			jb->len += j - i;
			i = j;
			continue;
		}
		k = utf8_seq_len(s + i, n - i);

		/* C1 controls (U+0080..U+009F; U+009B is CSI): valid JSON, but some
		 * terminals act on them when a log is read there */
		if (k == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[s[i + 1] >> 4];
			o[5] = hex[s[i + 1] & 15];
			jb->len += 6;
			i += 2;
			continue;
		}
		if (k > 1) {
			memcpy(o, s + i, k);
			jb->len += k;
			i += k;
			continue;
		}
		i++;
		if (k == 0) {		/* invalid UTF-8 byte */
			memcpy(o, "\\\\x", 3);
			o[3] = hex[c >> 4];
			o[4] = hex[c & 15];
			jb->len += 5;
			continue;
		}
		switch (c) {
		case '"':  memcpy(o, "\\\"", 2); jb->len += 2; break;
		case '\\': memcpy(o, "\\\\", 2); jb->len += 2; break;
		case '\n': memcpy(o, "\\n", 2); jb->len += 2; break;
		case '\r': memcpy(o, "\\r", 2); jb->len += 2; break;
		case '\t': memcpy(o, "\\t", 2); jb->len += 2; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[c >> 4];
				o[5] = hex[c & 15];
				jb->len += 6;
			} else {
				*o = (char)c;
				jb->len++;
			}
		}
	}
	jb->buf[jb->len++] = '"';
	jb->buf[jb->len] = '\0';
}

void jbuf_str(struct jbuf *jb, const char *s)
{
	jbuf_strn(jb, s, strlen(s));
}

static void jbuf_sep(struct jbuf *jb)
{
	if (jb->need_comma[jb->depth])
		jbuf_raw(jb, ",", 1);
	jb->need_comma[jb->depth] = true;
}

static void jbuf_open(struct jbuf *jb, char c)
{
	jbuf_raw(jb, &c, 1);
	if (jb->depth < JBUF_DEPTH - 1)
		jb->depth++;
	jb->need_comma[jb->depth] = false;
}

static void jbuf_close(struct jbuf *jb, char c)
{
	jbuf_raw(jb, &c, 1);
	if (jb->depth > 0)
		jb->depth--;
}

void jbuf_obj_begin(struct jbuf *jb) { jbuf_open(jb, '{'); }
void jbuf_obj_end(struct jbuf *jb) { jbuf_close(jb, '}'); }
void jbuf_arr_begin(struct jbuf *jb) { jbuf_open(jb, '['); }
void jbuf_arr_end(struct jbuf *jb) { jbuf_close(jb, ']'); }
void jbuf_elem(struct jbuf *jb) { jbuf_sep(jb); }

void jbuf_key(struct jbuf *jb, const char *key)
{
	size_t n = strlen(key), i = 0;
	char *o;

	while (i < n && json_plain[(unsigned char)key[i]])
		i++;
	if (i < n || !jbuf_reserve(jb, n + 4)) {
		jbuf_sep(jb);
		jbuf_str(jb, key);
		jbuf_raw(jb, ":", 1);
		return;
	}
	/* a plain key (every field name) in one copy: the hot path of --events */
	o = jb->buf + jb->len;
	if (jb->need_comma[jb->depth])
		*o++ = ',';
	jb->need_comma[jb->depth] = true;
	*o++ = '"';
	memcpy(o, key, n);
	o += n;
	*o++ = '"';
	*o++ = ':';
	*o = '\0';
	jb->len = (size_t)(o - jb->buf);
}

void jbuf_kv_str(struct jbuf *jb, const char *key, const char *val)
{
	jbuf_key(jb, key);
	jbuf_str(jb, val);
}

/* Decimal digits of v, right-aligned ending at end; returns the first. */
static char *fmt_u64(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

/* Numbers without snprintf: credwatch-inspect writes millions of them. */
void jbuf_kv_u64(struct jbuf *jb, const char *key, uint64_t val)
{
	char num[24], *p = fmt_u64(val, num + sizeof(num));

	jbuf_key(jb, key);
	jbuf_raw(jb, p, (size_t)(num + sizeof(num) - p));
}

void jbuf_kv_s64(struct jbuf *jb, const char *key, int64_t val)
{
	char num[24], *p = fmt_u64(val < 0 ? -(uint64_t)val : (uint64_t)val, num + sizeof(num));

	if (val < 0)
		*--p = '-';
	jbuf_key(jb, key);
	jbuf_raw(jb, p, (size_t)(num + sizeof(num) - p));
}

void jbuf_kv_bool(struct jbuf *jb, const char *key, bool val)
{
	jbuf_key(jb, key);
	jbuf_raw(jb, val ? "true" : "false", val ? 4 : 5);
}

void jbuf_kv_str_or_null(struct jbuf *jb, const char *key, const char *val)
{
	if (val && val[0])
		jbuf_kv_str(jb, key, val);
	else
		jbuf_kv_null(jb, key);
}

void jbuf_kv_null(struct jbuf *jb, const char *key)
{
	jbuf_key(jb, key);
	jbuf_raw(jb, "null", 4);
}

void jbuf_kv_value(struct jbuf *jb, const char *key, const struct cw_value *v)
{
	if (!v->is_set) {
		jbuf_kv_null(jb, key);
		return;
	}
	switch (v->type) {
	case CW_FT_STR:
		jbuf_kv_str(jb, key, v->str);
		break;
	case CW_FT_U64:
		jbuf_kv_u64(jb, key, v->u64);
		break;
	case CW_FT_S64:
		jbuf_kv_s64(jb, key, v->s64);
		break;
	case CW_FT_BOOL:
		jbuf_kv_bool(jb, key, v->u64 != 0);
		break;
	}
}

/*
 * Every key jbuf_record_fields() writes, quoted and with its colon, built
 * once: field names are plain ASCII, so the per-event work is one memcpy a
 * key instead of a length scan and an escape check (credwatch-inspect
 * writes 60 keys an event).
 */
#define RECORD_KEYS	(CW_F__COUNT * (CW_ANCESTORS + 1))

struct record_key {
	enum cw_field_id id;
	int index;
	uint8_t len;
	char text[48];		/* "name[N]": */
};

static struct record_key record_keys[RECORD_KEYS];
static int nrecord_keys;
static pthread_once_t record_keys_once = PTHREAD_ONCE_INIT;

static void record_keys_build(void)
{
	for (int id = 0; id < CW_F__COUNT; id++) {
		const struct cw_field_info *fi = field_info(id);
		int first = fi->indexed ? 1 : 0, last = fi->indexed ? CW_ANCESTORS : 0;

		for (int n = first; n <= last; n++) {
			struct record_key *k = &record_keys[nrecord_keys++];
			int len = fi->indexed ?
				snprintf(k->text, sizeof(k->text), "\"%s[%d]\":", fi->name, n) :
				snprintf(k->text, sizeof(k->text), "\"%s\":", fi->name);

			k->id = id;
			k->index = n;
			k->len = (uint8_t)len;
		}
	}
}

void jbuf_record_fields(struct jbuf *jb, const struct cw_record *rec)
{
	struct cw_value v;
	char num[24], *p, *o;
	size_t n;

	pthread_once(&record_keys_once, record_keys_build);
	for (int i = 0; i < nrecord_keys; i++) {
		const struct record_key *k = &record_keys[i];

		field_get(rec, k->id, k->index, &v);
		/* separator, key and any non-string value in one reservation */
		if (!jbuf_reserve(jb, sizeof(k->text) + sizeof(num) + 2))
			return;
		o = jb->buf + jb->len;
		if (jb->need_comma[jb->depth])
			*o++ = ',';
		jb->need_comma[jb->depth] = true;
		/* a fixed-size copy (the tail is overwritten): no rep movs for 10 bytes */
		memcpy(o, k->text, sizeof(k->text));
		o += k->len;
		if (!v.is_set) {
			memcpy(o, "null", 4);
			o += 4;
		} else if (v.type == CW_FT_STR) {
			jb->len = (size_t)(o - jb->buf);
			jbuf_str(jb, v.str);
			continue;
		} else if (v.type == CW_FT_BOOL) {
			n = v.u64 ? 4 : 5;
			memcpy(o, v.u64 ? "true" : "false", n);
			o += n;
		} else {
			uint64_t mag = v.type == CW_FT_S64 && v.s64 < 0 ? -(uint64_t)v.s64 :
				       v.type == CW_FT_S64 ? (uint64_t)v.s64 : v.u64;

			p = fmt_u64(mag, num + sizeof(num));
			if (v.type == CW_FT_S64 && v.s64 < 0)
				*--p = '-';
			n = (size_t)(num + sizeof(num) - p);
			memcpy(o, p, n);
			o += n;
		}
		*o = '\0';
		jb->len = (size_t)(o - jb->buf);
	}
}

char *text_escape(const char *str, char *dst, size_t size)
{
	const unsigned char *s = (const unsigned char *)str;
	static const char hex[] = "0123456789abcdef";
	size_t n = strlen(str), i = 0, o = 0;

	if (size < 8) {
		if (size)
			dst[0] = '\0';
		return dst;
	}
	while (i < n) {
		size_t k = utf8_seq_len(s + i, n - i);
		unsigned char c = s[i];
		char esc[5];
		size_t elen;

		if (k == 1 && c >= 0x20 && c != 0x7f && c != '\\') {
			esc[0] = (char)c;
			elen = 1;
		} else if (k > 1) {
			/* C1 controls (U+0080..U+009F) are terminal controls too */
			if (k == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
				memcpy(esc, "\\x", 2);
				esc[2] = hex[s[i + 1] >> 4];
				esc[3] = hex[s[i + 1] & 15];
				elen = 4;
			} else {
				memcpy(esc, s + i, k);
				elen = k;
			}
		} else if (c == '\\') {
			memcpy(esc, "\\\\", 2);
			elen = 2;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			elen = 2;
		} else {
			memcpy(esc, "\\x", 2);
			esc[2] = hex[c >> 4];
			esc[3] = hex[c & 15];
			elen = 4;
		}
		if (o + elen + 4 > size) {	/* room for "..." and NUL */
			memcpy(dst + o, "...", 3);
			o += 3;
			break;
		}
		memcpy(dst + o, esc, elen);
		o += elen;
		i += k ? k : 1;
	}
	dst[o] = '\0';
	return dst;
}
