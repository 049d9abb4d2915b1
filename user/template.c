// SPDX-License-Identifier: Apache-2.0
/* template.c - output templates: %field substitution and output_fields. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "template.h"

struct tmpl_part {
	char *text;		/* literal text, or the field name */
	size_t len;
	int field;		/* -1: literal; -2: unknown field; else the id */
	int index;
};

struct tmpl {
	struct tmpl_part *parts;
	int n;
};

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int add_part(struct tmpl *t, const char *s, size_t len, int field, int index)
{
	struct tmpl_part *p = realloc(t->parts, sizeof(*p) * (size_t)(t->n + 1));

	if (!p)
		return -ENOMEM;
	t->parts = p;
	p = &t->parts[t->n];
	p->text = strndup(s, len);
	if (!p->text)
		return -ENOMEM;
	p->len = len;
	p->field = field;
	p->index = index;
	t->n++;
	return 0;
}

int tmpl_compile(struct tmpl **out, const char *text, char *unknown, size_t size)
{
	struct tmpl *t = calloc(1, sizeof(*t));
	const char *s = text, *lit = text;

	*out = NULL;
	if (unknown && size)
		unknown[0] = '\0';
	if (!t)
		goto oom;
	while (*s) {
		size_t n = 0;
		char name[160];
		int id, idx;

		if (s[0] != '%') {
			s++;
			continue;
		}
		if (s[1] == '%') {		/* "%%": keep one '%' */
			if (add_part(t, lit, (size_t)(s - lit) + 1, -1, 0))
				goto oom;
			s += 2;
			lit = s;
			continue;
		}
		while (is_word(s[1 + n]) || (s[1 + n] == '.' && is_word(s[2 + n])))
			n++;
		if (s[1 + n] == '[' && strchr(s + 1 + n, ']'))
			n = (size_t)(strchr(s + 1 + n, ']') - (s + 1)) + 1;
		if (n == 0 || n >= sizeof(name)) {
			s++;
			continue;
		}
		if (s > lit && add_part(t, lit, (size_t)(s - lit), -1, 0))
			goto oom;
		memcpy(name, s + 1, n);
		name[n] = '\0';
		id = field_lookup(name, &idx);
		if (id < 0 && unknown && size && !unknown[0]) {
			strncpy(unknown, name, size - 1);
			unknown[size - 1] = '\0';
		}
		if (add_part(t, name, n, id < 0 ? -2 : id, idx))
			goto oom;
		s += 1 + n;
		lit = s;
	}
	if (s > lit && add_part(t, lit, (size_t)(s - lit), -1, 0))
		goto oom;
	*out = t;
	return 0;
oom:
	tmpl_free(t);
	return -ENOMEM;
}

void tmpl_render(const struct tmpl *t, const struct cw_record *rec, struct jbuf *out)
{
	for (int i = 0; i < t->n; i++) {
		const struct tmpl_part *p = &t->parts[i];
		struct cw_value v;
		const char *s;
		char num[32];

		if (p->field == -1) {
			jbuf_raw(out, p->text, p->len);
			continue;
		}
		if (p->field == -2) {
			jbuf_raw(out, "<NA>", 4);
			continue;
		}
		field_get(rec, p->field, p->index, &v);
		s = field_format(&v, num, sizeof(num));
		jbuf_raw(out, s, strlen(s));
	}
}

void tmpl_fields_json(const struct tmpl *t, const struct cw_record *rec, struct jbuf *jb)
{
	struct cw_value v;

	/* every alert carries when and how many opens (an aggregated record: several) */
	field_get(rec, CW_F_EVT_TIME, 0, &v);
	jbuf_kv_value(jb, "evt.time", &v);
	field_get(rec, CW_F_EVT_COUNT, 0, &v);
	jbuf_kv_value(jb, "evt.count", &v);
	for (int i = 0; t && i < t->n; i++) {
		const struct tmpl_part *p = &t->parts[i];
		bool seen = !strcmp(p->text, "evt.time") || !strcmp(p->text, "evt.count");

		if (p->field == -1)
			continue;
		for (int j = 0; j < i && !seen; j++)
			seen = t->parts[j].field != -1 && !strcmp(t->parts[j].text, p->text);
		if (seen)
			continue;
		if (p->field == -2) {
			jbuf_kv_null(jb, p->text);
			continue;
		}
		field_get(rec, p->field, p->index, &v);
		jbuf_kv_value(jb, p->text, &v);
	}
}

uint32_t tmpl_wants(const struct tmpl *t)
{
	uint32_t w = 0;

	for (int i = 0; t && i < t->n; i++) {
		const struct tmpl_part *p = &t->parts[i];

		if (p->field < 0)
			continue;
		w |= field_info(p->field)->want;
		if ((p->field == CW_F_PROC_ANAME || p->field == CW_F_PROC_APID) &&
		    (p->index == CW_INDEX_ANY || p->index > CW_ANCESTORS))
			w |= CW_WANT_ANCESTORS;
	}
	return w;
}

void tmpl_free(struct tmpl *t)
{
	if (!t)
		return;
	for (int i = 0; i < t->n; i++)
		free(t->parts[i].text);
	free(t->parts);
	free(t);
}
