// SPDX-License-Identifier: Apache-2.0
/*
 * cond_lex.c - the pieces the condition parser (cond.c) builds with: tree
 * nodes, the lexer (blanks, words, operators, quoted and bare values), and
 * constants converted once for the field they are compared with.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"
#include "fields.h"

/* ---- nodes ----------------------------------------------------------- */

void cond_node_free(struct cnode *n)
{
	if (!n)
		return;
	for (int i = 0; n->kids && i < n->n; i++)
		cond_node_free(n->kids[i]);
	for (int i = 0; n->vals && i < n->n; i++)
		free(n->vals[i].s);
	free(n->fname);
	free(n->kids);
	free(n->vals);
	free(n);
}

struct cnode *cond_node_new(struct parser *p, enum cn_kind kind)
{
	struct cnode *n = calloc(1, sizeof(*n));

	if (!n)
		fail(p, p->pos, "out of memory");
	else
		n->kind = kind;
	return n;
}

bool cond_node_add_kid(struct parser *p, struct cnode *n, struct cnode *kid)
{
	if (n->n == n->cap) {
		int cap = n->cap ? n->cap * 2 : 2;
		struct cnode **k = realloc(n->kids, sizeof(*k) * (size_t)cap);

		if (!k) {
			cond_node_free(kid);
			fail(p, p->pos, "out of memory");
			return false;
		}
		n->kids = k;
		n->cap = cap;
	}
	n->kids[n->n++] = kid;
	return true;
}

static struct cval *node_add_val(struct parser *p, struct cnode *n)
{
	if (n->n == n->cap) {
		int cap = n->cap ? n->cap * 2 : 2;
		struct cval *v = realloc(n->vals, sizeof(*v) * (size_t)cap);

		if (!v) {
			fail(p, p->pos, "out of memory");
			return NULL;
		}
		n->vals = v;
		n->cap = cap;
	}
	memset(&n->vals[n->n], 0, sizeof(n->vals[0]));
	return &n->vals[n->n++];
}

/* ---- lexing ---------------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\b' ||
	       c == '\f' || c == '\v';
}

bool cond_is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool is_bare(char c)
{
	return c && !is_blank(c) && !strchr("(),=\"'", c);
}

void cond_skip_blanks(struct parser *p)
{
	while (is_blank(p->text[p->pos]))
		p->pos++;
}

/* Keyword at the cursor, ending at a blank, '(' or the end. */
bool cond_at_keyword(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);
	char next;

	if (strncmp(p->text + p->pos, kw, n))
		return false;
	next = p->text[p->pos + n];	/* only now known to be in the string */
	return next == '\0' || next == '(' || is_blank(next);
}

/* Short quotable view of the token at off, for messages. */
const char *cond_token_at(const char *text, size_t off, char *buf, size_t size)
{
	size_t n = 0;

	while (text[off + n] && !is_blank(text[off + n]) && n < 32 && n + 1 < size)
		n++;
	if (n == 0 && text[off])
		n = 1;
	memcpy(buf, text + off, n);
	buf[n] = '\0';
	return buf;
}

/*
 * A value at the cursor: quoted (escapes \" \' \\ resolved) or bare.
 * Returns a malloc'd string, *quoted says which; NULL after fail().
 */
char *cond_lex_value(struct parser *p, bool *quoted, const char *after)
{
	const char *t = p->text;
	size_t start = p->pos, n = 0;
	char *out;

	*quoted = false;
	if (t[start] == '"' || t[start] == '\'') {
		char q = t[start];
		size_t i = start + 1;

		*quoted = true;
		out = malloc(strlen(t + i) + 1);
		if (!out) {
			fail(p, start, "out of memory");
			return NULL;
		}
		for (; t[i] && t[i] != q; i++) {
			if (t[i] == '\\' && (t[i + 1] == q || t[i + 1] == '\\' ||
					     t[i + 1] == '"' || t[i + 1] == '\''))
				i++;
			out[n++] = t[i];
		}
		if (!t[i]) {
			free(out);
			fail(p, start, "unterminated string");
			return NULL;
		}
		out[n] = '\0';
		p->pos = i + 1;
		return out;
	}
	while (is_bare(t[start + n]))
		n++;
	if (n == 0) {
		char tok[40];

		if (t[start])
			fail(p, start, "expected a value after '%s', found '%s'", after,
			     cond_token_at(t, start, tok, sizeof(tok)));
		else
			fail(p, start, "expected a value after '%s'", after);
		return NULL;
	}
	out = strndup(t + start, n);
	if (!out)
		fail(p, start, "out of memory");
	p->pos = start + n;
	return out;
}

/* ---- values ---------------------------------------------------------- */

const char *cond_op_name(enum cn_op op)
{
	static const char *const names[] = {
		[OP_EQ] = "=", [OP_NE] = "!=", [OP_LT] = "<", [OP_LE] = "<=",
		[OP_GT] = ">", [OP_GE] = ">=", [OP_CONTAINS] = "contains",
		[OP_ICONTAINS] = "icontains", [OP_STARTSWITH] = "startswith",
		[OP_ENDSWITH] = "endswith", [OP_GLOB] = "glob", [OP_IGLOB] = "iglob",
		[OP_IN] = "in", [OP_INTERSECTS] = "intersects", [OP_PMATCH] = "pmatch",
		[OP_EXISTS] = "exists", [OP_BCONTAINS] = "bcontains",
		[OP_BSTARTSWITH] = "bstartswith",
	};
	return names[op];
}

/* Which operators a field type takes (libsinsp flt_is_comparable). */
bool cond_op_fits(enum cn_op op, enum cw_field_type t)
{
	switch (t) {
	case CW_FT_STR:
		return true;
	case CW_FT_U64:
	case CW_FT_S64:
		return op <= OP_GE || op == OP_IN || op == OP_INTERSECTS || op == OP_EXISTS;
	case CW_FT_BOOL:
		return op == OP_EQ || op == OP_NE || op == OP_IN ||
		       op == OP_INTERSECTS || op == OP_EXISTS;
	}
	return false;
}

const char *cond_type_name(enum cw_field_type t)
{
	return t == CW_FT_STR ? "string" : t == CW_FT_BOOL ? "boolean" : "numeric";
}

/* bcontains/bstartswith: "cafebabe" (hex digits, even count) to its bytes, in place. */
static const char *hex_bytes(char *s, struct cval *v)
{
	size_t n = strlen(s), o = 0;

	if (n == 0 || n % 2)
		return "is not an even number of hex digits";
	for (size_t i = 0; i < n; i += 2) {
		char pair[3] = { s[i], s[i + 1], '\0' };
		char *end;

		if (!isxdigit((unsigned char)s[i]) || !isxdigit((unsigned char)s[i + 1]))
			return "is not an even number of hex digits";
		s[o++] = (char)strtoul(pair, &end, 16);
	}
	s[o] = '\0';
	v->len = o;
	return NULL;
}

static bool is_integer(const char *s)
{
	char *end;

	if (!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']))
		return false;
	errno = 0;
	(void)strtoll(s, &end, 0);
	return !errno && !*end;
}

/*
 * Falco's evt.res is text ("SUCCESS", "ENOENT"); credwatch's is the number
 * (the fd), which evt.rawres also is. A comparison with a word, or with a
 * text-only operator, reads Falco's text form instead.
 */
void cond_res_as_text(struct cnode *n)
{
	n->field = CW_F_EVT_RES_STR;
	n->ftype = CW_FT_STR;
}

/* Convert s for node n. Returns an error message, or NULL when it fits. */
static const char *convert(const struct cnode *n, char *s, struct cval *v)
{
	char *end;

	switch (n->ftype) {
	case CW_FT_STR:
		return n->op == OP_BCONTAINS || n->op == OP_BSTARTSWITH ? hex_bytes(s, v) : NULL;
	case CW_FT_U64:
		/* Falco's user.loginuid is signed: -1 is the unset audit uid */
		if (n->field == CW_F_USER_LOGINUID && !strcmp(s, "-1")) {
			v->u = UINT32_MAX;
			return NULL;
		}
		if (!isdigit((unsigned char)s[0]))
			return "is not an unsigned integer";
		errno = 0;
		v->u = strtoull(s, &end, 0);
		if (errno || *end)
			return "is not an unsigned integer";
		return NULL;
	case CW_FT_S64:
		if (!isdigit((unsigned char)s[s[0] == '-' || s[0] == '+']))
			return "is not an integer";
		errno = 0;
		v->i = strtoll(s, &end, 0);
		if (errno || *end)
			return "is not an integer";
		return NULL;
	case CW_FT_BOOL:
		if (!strcmp(s, "true"))
			v->u = 1;
		else if (!strcmp(s, "false"))
			v->u = 0;
		else
			return "is not true or false";
		return NULL;
	}
	return "has an unknown type";
}

/*
 * Add value s (ownership taken) to n. at_pos, when non-NULL, is where s was
 * written outside this text (a list item); otherwise off in the text.
 */
bool cond_add_value(struct parser *p, struct cnode *n, char *s, size_t off,
		      const struct cond_srcseg *at_pos, const char *list)
{
	struct cval *v;
	const char *why;

	if (n->op == OP_PMATCH) {	/* "/etc/" matches like "/etc" */
		size_t len = strlen(s);

		while (len > 1 && s[len - 1] == '/')
			s[--len] = '\0';
	}
	v = node_add_val(p, n);
	if (!v) {
		free(s);
		return false;
	}
	if (n->field == CW_F_EVT_RES && !is_integer(s))
		cond_res_as_text(n);		/* evt.res = SUCCESS, as Falco writes it */
	why = convert(n, s, v);
	if (why) {
		const char *fname = n->fname ? n->fname : field_info(n->field)->name;

		if (at_pos)
			cond_fail_at(p->cx, at_pos, NULL, "list '%s': value '%s' for %s field '%s' %s",
				list, s, cond_type_name(n->ftype), fname, why);
		else if (list)
			fail(p, off, "list '%s': value '%s' for %s field '%s' %s",
			     list, s, cond_type_name(n->ftype), fname, why);
		else
			fail(p, off, "value '%s' for %s field '%s' %s",
			     s, cond_type_name(n->ftype), fname, why);
		free(s);
		n->n--;
		return false;
	}
	v->s = s;		/* kept for every type: messages, evt.res as text */
	if (n->op != OP_BCONTAINS && n->op != OP_BSTARTSWITH)
		v->len = strlen(s);
	return true;
}
