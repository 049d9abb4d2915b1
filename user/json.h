/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - a small JSON writer that is correct for hostile strings.
 *
 * Strings are written as valid UTF-8 JSON: quotes, backslashes and control
 * characters are escaped, and every byte that is not part of well-formed
 * UTF-8 is written as the four characters \xNN (so the output stays valid
 * JSON and no byte is lost or silently replaced). Memory grows as needed;
 * an allocation failure sets jb->oom and later writes are ignored.
 */
#ifndef CW_JSON_H
#define CW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define JBUF_DEPTH 16

struct jbuf {
	char *buf;
	size_t len, cap;
	bool oom;
	int depth;
	bool need_comma[JBUF_DEPTH];
};

void jbuf_init(struct jbuf *jb);
void jbuf_free(struct jbuf *jb);
void jbuf_reset(struct jbuf *jb);
void jbuf_raw(struct jbuf *jb, const char *s, size_t n);
/* Append s (n bytes) as a quoted, escaped JSON string. */
void jbuf_strn(struct jbuf *jb, const char *s, size_t n);
void jbuf_str(struct jbuf *jb, const char *s);

void jbuf_obj_begin(struct jbuf *jb);
void jbuf_obj_end(struct jbuf *jb);
void jbuf_arr_begin(struct jbuf *jb);
void jbuf_arr_end(struct jbuf *jb);
/* Start a member: writes the separator and "key":. */
void jbuf_key(struct jbuf *jb, const char *key);
/* Separator for an array element. */
void jbuf_elem(struct jbuf *jb);

void jbuf_kv_str(struct jbuf *jb, const char *key, const char *val);
void jbuf_kv_u64(struct jbuf *jb, const char *key, uint64_t val);
void jbuf_kv_s64(struct jbuf *jb, const char *key, int64_t val);
void jbuf_kv_bool(struct jbuf *jb, const char *key, bool val);
void jbuf_kv_null(struct jbuf *jb, const char *key);
/* val as a string, or null when val is NULL or "" (not known). */
void jbuf_kv_str_or_null(struct jbuf *jb, const char *key, const char *val);

/* A field's value under key: null when unset, else string, number or bool. */
struct cw_value;
void jbuf_kv_value(struct jbuf *jb, const char *key, const struct cw_value *v);

/* Write every field of the vocabulary as "name": value (null when unset). */
void jbuf_record_fields(struct jbuf *jb, const struct cw_record *rec);

/*
 * text_escape - copy s for a terminal: control characters, DEL and bytes of
 * invalid UTF-8 become visible escapes (\n, \x1b, ...). Output is always
 * NUL-terminated; a cut is marked with "...". Returns dst.
 */
char *text_escape(const char *s, char *dst, size_t size);

#endif /* CW_JSON_H */
