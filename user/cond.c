// SPDX-License-Identifier: Apache-2.0
/* cond.c - Falco condition parser, compiler to a node tree, and evaluator. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"
#include "fields.h"
#include "glob.h"

/* Parentheses, `not` chains and macro nesting share one recursion budget. */
#define COND_MAX_DEPTH	100
#define COND_MAX_LISTS	16	/* lists referencing lists */

static const struct { const char *name; enum cn_op op; bool list; } word_ops[] = {
	{ "contains", OP_CONTAINS, false }, { "icontains", OP_ICONTAINS, false },
	{ "startswith", OP_STARTSWITH, false }, { "endswith", OP_ENDSWITH, false },
	{ "glob", OP_GLOB, false }, { "iglob", OP_IGLOB, false },
	{ "in", OP_IN, true }, { "intersects", OP_INTERSECTS, true },
	{ "pmatch", OP_PMATCH, true }, { "exists", OP_EXISTS, false },
	{ "bcontains", OP_BCONTAINS, false }, { "bstartswith", OP_BSTARTSWITH, false },
};

struct env_list {
	char *name;
	char **items;
	struct cond_srcseg *pos;	/* NULL or one per item */
	int n;
};

struct env_macro {
	char *name;
	char *text;
	struct cond_srcseg *segs;
	int nsegs;
};

struct cond_env {
	struct env_list *lists;
	int nlists;
	struct env_macro *macros;
	int nmacros;
};

/* What the macros being expanded share: the error and the recursion guards. */
struct compile_ctx {
	const struct cond_env *env;
	struct cond_error *err;
	bool failed;
	int depth;
	const char *stack[COND_MAX_DEPTH];	/* macros being expanded */
	int nstack;
};

struct parser {
	struct compile_ctx *cx;
	const char *text;
	size_t pos;
	const struct cond_src *src;
	const char *macro;		/* name, when parsing a macro's text */
};

/* ---- errors ---------------------------------------------------------- */

/* snprintf for messages that may be cut (they are bounded by design). */
static void __attribute__((format(printf, 3, 4)))
bprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

static void pos_from_src(const char *text, const struct cond_src *src,
			 size_t off, struct cond_error *err)
{
	if (src && src->nsegs > 0) {
		const struct cond_srcseg *seg = &src->segs[0];

		for (int i = 1; i < src->nsegs; i++)
			if (src->segs[i].off <= off)
				seg = &src->segs[i];
		snprintf(err->file, sizeof(err->file), "%s", seg->file ? seg->file : "");
		err->line = seg->line;
		err->col = seg->col + (int)(off >= seg->off ? off - seg->off : 0);
		return;
	}
	err->file[0] = '\0';
	err->line = 1;
	err->col = 1;
	for (size_t i = 0; i < off && text[i]; i++) {
		if (text[i] == '\n') {
			err->line++;
			err->col = 1;
		} else {
			err->col++;
		}
	}
}

static void __attribute__((format(printf, 4, 5)))
fail_at(struct compile_ctx *cx, const struct cond_srcseg *at, const char *macro,
	const char *fmt, ...)
{
	struct cond_error *err = cx->err;
	char msg[sizeof(err->msg)];
	va_list ap;

	if (cx->failed)
		return;
	cx->failed = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (macro)
		bprintf(err->msg, sizeof(err->msg), "macro '%s': %s", macro, msg);
	else
		snprintf(err->msg, sizeof(err->msg), "%s", msg);
	if (at) {
		snprintf(err->file, sizeof(err->file), "%s", at->file ? at->file : "");
		err->line = at->line;
		err->col = at->col;
	}
}

#define fail(p, off, ...) do {						\
	if (!(p)->cx->failed) {						\
		pos_from_src((p)->text, (p)->src, (off), (p)->cx->err);	\
		fail_at((p)->cx, NULL, (p)->macro, __VA_ARGS__);	\
	}								\
} while (0)

const char *cond_error_format(const struct cond_error *err, char *buf, size_t size)
{
	if (err->file[0])
		bprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else
		snprintf(buf, size, "%d:%d: %s", err->line, err->col, err->msg);
	return buf;
}

/* ---- nodes ----------------------------------------------------------- */

static void node_free(struct cnode *n)
{
	if (!n)
		return;
	for (int i = 0; n->kids && i < n->n; i++)
		node_free(n->kids[i]);
	for (int i = 0; n->vals && i < n->n; i++)
		free(n->vals[i].s);
	free(n->fname);
	free(n->kids);
	free(n->vals);
	free(n);
}

static struct cnode *node_new(struct parser *p, enum cn_kind kind)
{
	struct cnode *n = calloc(1, sizeof(*n));

	if (!n)
		fail(p, p->pos, "out of memory");
	else
		n->kind = kind;
	return n;
}

static bool node_add_kid(struct parser *p, struct cnode *n, struct cnode *kid)
{
	if (n->n == n->cap) {
		int cap = n->cap ? n->cap * 2 : 2;
		struct cnode **k = realloc(n->kids, sizeof(*k) * (size_t)cap);

		if (!k) {
			node_free(kid);
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

static bool is_word(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static bool is_bare(char c)
{
	return c && !is_blank(c) && !strchr("(),=\"'", c);
}

static void skip_blanks(struct parser *p)
{
	while (is_blank(p->text[p->pos]))
		p->pos++;
}

/* Keyword at the cursor, ending at a blank, '(' or the end. */
static bool at_keyword(struct parser *p, const char *kw)
{
	size_t n = strlen(kw);
	char next;

	if (strncmp(p->text + p->pos, kw, n))
		return false;
	next = p->text[p->pos + n];	/* only now known to be in the string */
	return next == '\0' || next == '(' || is_blank(next);
}

/* Short quotable view of the token at off, for messages. */
static const char *token_at(const char *text, size_t off, char *buf, size_t size)
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
static char *lex_value(struct parser *p, bool *quoted, const char *after)
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
			     token_at(t, start, tok, sizeof(tok)));
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
static bool op_fits(enum cn_op op, enum cw_field_type t)
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

static const char *type_name(enum cw_field_type t)
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
static void res_as_text(struct cnode *n)
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
static bool add_value(struct parser *p, struct cnode *n, char *s, size_t off,
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
		res_as_text(n);		/* evt.res = SUCCESS, as Falco writes it */
	why = convert(n, s, v);
	if (why) {
		const char *fname = n->fname ? n->fname : field_info(n->field)->name;

		if (at_pos)
			fail_at(p->cx, at_pos, NULL, "list '%s': value '%s' for %s field '%s' %s",
				list, s, type_name(n->ftype), fname, why);
		else if (list)
			fail(p, off, "list '%s': value '%s' for %s field '%s' %s",
			     list, s, type_name(n->ftype), fname, why);
		else
			fail(p, off, "value '%s' for %s field '%s' %s",
			     s, type_name(n->ftype), fname, why);
		free(s);
		n->n--;
		return false;
	}
	v->s = s;		/* kept for every type: messages, evt.res as text */
	if (n->op != OP_BCONTAINS && n->op != OP_BSTARTSWITH)
		v->len = strlen(s);
	return true;
}

static const struct env_list *env_list_find(const struct cond_env *env, const char *name)
{
	for (int i = 0; env && i < env->nlists; i++)
		if (!strcmp(env->lists[i].name, name))
			return &env->lists[i];
	return NULL;
}

static const struct env_macro *env_macro_find(const struct cond_env *env, const char *name)
{
	for (int i = 0; env && i < env->nmacros; i++)
		if (!strcmp(env->macros[i].name, name))
			return &env->macros[i];
	return NULL;
}

/* Add every item of list l (and of lists it names) to n. */
static bool add_list(struct parser *p, struct cnode *n, const struct env_list *l,
		     size_t off, int depth)
{
	if (depth > COND_MAX_LISTS) {
		fail(p, off, "list '%s': lists nested too deeply (a list names itself?)", l->name);
		return false;
	}
	for (int i = 0; i < l->n; i++) {
		const struct env_list *sub = env_list_find(p->cx->env, l->items[i]);
		char *s;

		if (sub) {
			if (!add_list(p, n, sub, off, depth + 1))
				return false;
			continue;
		}
		s = strdup(l->items[i]);
		if (!s) {
			fail(p, off, "out of memory");
			return false;
		}
		if (!add_value(p, n, s, off, l->pos ? &l->pos[i] : NULL, l->name))
			return false;
	}
	return true;
}

/* ---- parsing --------------------------------------------------------- */

static struct cnode *parse_or(struct parser *p);
static struct cnode *parse_macro(struct parser *p, const char *name, size_t off);

static struct cnode *parse_list_value(struct parser *p, struct cnode *n)
{
	const char *t = p->text;
	size_t off;

	skip_blanks(p);
	off = p->pos;
	if (t[off] != '(') {
		const struct env_list *l;
		size_t len = 0;
		char name[128];

		while (is_word(t[off + len]))
			len++;
		if (len == 0 || len >= sizeof(name)) {
			char tok[40];

			fail(p, off, "expected '(' or a list name after '%s', found '%s'",
			     cond_op_name(n->op), t[off] ? token_at(t, off, tok, sizeof(tok)) : "end");
			goto fail;
		}
		memcpy(name, t + off, len);
		name[len] = '\0';
		l = env_list_find(p->cx->env, name);
		if (!l) {
			fail(p, off, "undefined list '%s'", name);
			goto fail;
		}
		p->pos = off + len;
		if (!add_list(p, n, l, off, 0))
			goto fail;
		return n;
	}
	p->pos++;
	skip_blanks(p);
	if (t[p->pos] == ')') {
		p->pos++;
		return n;
	}
	for (;;) {
		const struct env_list *l;
		bool quoted;
		char *s;

		skip_blanks(p);
		off = p->pos;
		s = lex_value(p, &quoted, cond_op_name(n->op));
		if (!s)
			goto fail;
		l = quoted ? NULL : env_list_find(p->cx->env, s);
		if (l) {
			free(s);
			if (!add_list(p, n, l, off, 0))
				goto fail;
		} else if (!add_value(p, n, s, off, NULL, NULL)) {
			goto fail;
		}
		skip_blanks(p);
		if (t[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (t[p->pos] == ')') {
			p->pos++;
			return n;
		}
		if (t[p->pos]) {
			char tok[40];

			fail(p, p->pos, "expected ',' or ')' in list, found '%s'",
			     token_at(t, p->pos, tok, sizeof(tok)));
		} else {
			fail(p, p->pos, "unterminated list: expected ')'");
		}
		goto fail;
	}
fail:
	node_free(n);
	return NULL;
}

static struct cnode *parse_condition(struct parser *p, struct cnode *n, const char *fname)
{
	static const struct { const char *sym; enum cn_op op; } sym_ops[] = {
		{ "==", OP_EQ }, { "!=", OP_NE }, { "<=", OP_LE }, { ">=", OP_GE },
		{ "=", OP_EQ }, { "<", OP_LT }, { ">", OP_GT },
	};
	const char *t = p->text;
	size_t off, len = 0;
	bool list = false, found = false;
	char tok[40];

	skip_blanks(p);
	off = p->pos;
	for (size_t i = 0; i < sizeof(sym_ops) / sizeof(sym_ops[0]); i++) {
		size_t sl = strlen(sym_ops[i].sym);

		if (!strncmp(t + off, sym_ops[i].sym, sl)) {
			n->op = sym_ops[i].op;
			p->pos += sl;
			found = true;
			break;
		}
	}
	if (!found) {
		while (isalpha((unsigned char)t[off + len]))
			len++;
		for (size_t i = 0; len && i < sizeof(word_ops) / sizeof(word_ops[0]); i++) {
			if (strlen(word_ops[i].name) == len && !strncmp(t + off, word_ops[i].name, len)) {
				n->op = word_ops[i].op;
				list = word_ops[i].list;
				p->pos += len;
				found = true;
				break;
			}
		}
	}
	if (!found) {
		if (!t[off])
			fail(p, off, "expected an operator after field '%s'", fname);
		else if (len && !strncmp(t + off, "regex", len))
			fail(p, off, "operator '%s' is not supported", token_at(t, off, tok, sizeof(tok)));
		else
			fail(p, off, "unknown operator '%s' after field '%s'",
			     token_at(t, off, tok, sizeof(tok)), fname);
		goto fail;
	}
	if (n->field == CW_F_EVT_RES && !op_fits(n->op, n->ftype))
		res_as_text(n);
	if (!op_fits(n->op, n->ftype)) {
		fail(p, off, "operator '%s' is not supported for %s field '%s'",
		     cond_op_name(n->op), type_name(n->ftype), fname);
		goto fail;
	}
	if (n->op == OP_EXISTS)
		return n;
	if (list)
		return parse_list_value(p, n);
	{
		bool quoted;
		char *s;

		skip_blanks(p);
		off = p->pos;
		s = lex_value(p, &quoted, cond_op_name(n->op));
		if (!s || !add_value(p, n, s, off, NULL, NULL))
			goto fail;
	}
	return n;
fail:
	node_free(n);
	return NULL;
}

static struct cnode *parse_field(struct parser *p, size_t off, size_t len)
{
	const char *t = p->text;
	char name[160];
	struct cnode *n;
	int id, idx;

	if (t[off + len] == '[') {
		const char *close = strchr(t + off + len, ']');

		if (!close) {
			fail(p, off + len, "missing ']' after field index");
			return NULL;
		}
		len = (size_t)(close - (t + off)) + 1;
	}
	if (len >= sizeof(name)) {
		fail(p, off, "field name too long");
		return NULL;
	}
	memcpy(name, t + off, len);
	name[len] = '\0';
	id = field_lookup(name, &idx);
	if (id == -ENOENT) {
		fail(p, off, "unknown field '%s'", name);
		return NULL;
	}
	if (id < 0) {
		fail(p, off, "bad index in field '%s' (indexed fields take [0..%d], others none)",
		     name, CW_REC_ANC_MAX);
		return NULL;
	}
	p->pos = off + len;
	n = node_new(p, CN_CMP);
	if (!n)
		return NULL;
	n->field = id;
	n->index = idx;
	n->ftype = field_info(id)->type;
	n->fname = strdup(name);
	if (!n->fname) {
		fail(p, off, "out of memory");
		node_free(n);
		return NULL;
	}
	return parse_condition(p, n, name);
}

static struct cnode *parse_check(struct parser *p)
{
	const char *t = p->text;
	size_t off, len = 0;
	bool dotted = false;
	char tok[40];

	skip_blanks(p);
	off = p->pos;
	if (t[off] == '(') {
		struct cnode *n;

		p->pos++;
		n = parse_or(p);
		if (!n)
			return NULL;
		skip_blanks(p);
		if (t[p->pos] != ')') {
			if (t[p->pos])
				fail(p, p->pos, "expected ')', found '%s'",
				     token_at(t, p->pos, tok, sizeof(tok)));
			else
				fail(p, off, "unbalanced '(': expected ')' before the end");
			node_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (isalpha((unsigned char)t[off]) || t[off] == '_') {
		while (is_word(t[off + len]) || (t[off + len] == '.' && is_word(t[off + len + 1]))) {
			dotted |= t[off + len] == '.';
			len++;
		}
	}
	if (len == 0) {
		if (t[off])
			fail(p, off, "unexpected '%s', expected a field, a macro, 'not' or '('",
			     token_at(t, off, tok, sizeof(tok)));
		else
			fail(p, off, "unexpected end of condition, expected a field, a macro, 'not' or '('");
		return NULL;
	}
	if (dotted)
		return parse_field(p, off, len);
	{
		char name[128];

		if (len >= sizeof(name)) {
			fail(p, off, "macro name too long");
			return NULL;
		}
		memcpy(name, t + off, len);
		name[len] = '\0';
		if (!strcmp(name, "and") || !strcmp(name, "or")) {
			fail(p, off, "unexpected '%s', expected a field, a macro, 'not' or '('", name);
			return NULL;
		}
		p->pos = off + len;
		return parse_macro(p, name, off);
	}
}

static struct cnode *parse_not(struct parser *p)
{
	struct cnode *n, *kid;

	skip_blanks(p);
	if (!at_keyword(p, "not"))
		return parse_check(p);
	p->pos += 3;
	if (++p->cx->depth > COND_MAX_DEPTH) {
		fail(p, p->pos, "condition nested too deeply");
		return NULL;
	}
	kid = parse_not(p);
	p->cx->depth--;
	if (!kid)
		return NULL;
	n = node_new(p, CN_NOT);
	if (!n || !node_add_kid(p, n, kid)) {
		if (!n)
			node_free(kid);
		node_free(n);
		return NULL;
	}
	return n;
}

/* AND and OR chains become one node with n kids. */
static struct cnode *parse_chain(struct parser *p, enum cn_kind kind)
{
	const char *kw = kind == CN_AND ? "and" : "or";
	struct cnode *first, *n = NULL, *next;

	first = kind == CN_AND ? parse_not(p) : parse_chain(p, CN_AND);
	if (!first)
		return NULL;
	for (;;) {
		skip_blanks(p);
		if (!at_keyword(p, kw))
			break;
		p->pos += strlen(kw);
		if (!n) {
			n = node_new(p, kind);
			if (!n || !node_add_kid(p, n, first)) {
				if (!n)
					node_free(first);
				node_free(n);
				return NULL;
			}
		}
		next = kind == CN_AND ? parse_not(p) : parse_chain(p, CN_AND);
		if (!next || !node_add_kid(p, n, next)) {
			node_free(n);
			return NULL;
		}
	}
	return n ? n : first;
}

static struct cnode *parse_or(struct parser *p)
{
	struct cnode *n;

	if (++p->cx->depth > COND_MAX_DEPTH) {
		fail(p, p->pos, "condition nested too deeply");
		return NULL;
	}
	n = parse_chain(p, CN_OR);
	p->cx->depth--;
	return n;
}

/* Parse text as a whole expression: nothing may follow it. */
static struct cnode *parse_text(struct compile_ctx *cx, const char *text,
				const struct cond_src *src, const char *macro)
{
	struct parser p = { .cx = cx, .text = text, .src = src, .macro = macro };
	struct cnode *n;

	n = parse_or(&p);
	if (!n)
		return NULL;
	skip_blanks(&p);
	if (text[p.pos]) {
		char tok[40];

		fail(&p, p.pos, "unexpected '%s' after a complete expression (missing 'and'/'or'?)",
		     token_at(text, p.pos, tok, sizeof(tok)));
		node_free(n);
		return NULL;
	}
	return n;
}

static struct cnode *parse_macro(struct parser *p, const char *name, size_t off)
{
	const struct env_macro *m = env_macro_find(p->cx->env, name);
	struct compile_ctx *cx = p->cx;
	struct cond_src src;
	struct cnode *n;

	if (!m) {
		fail(p, off, "undefined macro '%s'", name);
		return NULL;
	}
	for (int i = 0; i < cx->nstack; i++) {
		if (!strcmp(cx->stack[i], name)) {
			fail(p, off, "macro '%s' references itself", name);
			return NULL;
		}
	}
	if (cx->nstack >= COND_MAX_DEPTH || ++cx->depth > COND_MAX_DEPTH) {
		fail(p, off, "macros nested too deeply");
		return NULL;
	}
	cx->stack[cx->nstack++] = m->name;
	src.segs = m->segs;
	src.nsegs = m->nsegs;
	n = parse_text(cx, m->text, &src, m->name);
	cx->nstack--;
	cx->depth--;
	return n;
}

/* ---- public ---------------------------------------------------------- */

struct cond *cond_compile_src(const char *text, const struct cond_env *env,
			      const struct cond_src *src, struct cond_error *err)
{
	struct compile_ctx cx = { .env = env, .err = err };
	struct cond *c;

	memset(err, 0, sizeof(*err));
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	c->root = parse_text(&cx, text, src, NULL);
	if (!c->root) {
		free(c);
		errno = EINVAL;
		return NULL;
	}
	return c;
}

struct cond *cond_compile(const char *text, const struct cond_env *env,
			  struct cond_error *err)
{
	return cond_compile_src(text, env, NULL, err);
}

struct cond *cond_and_not(struct cond *a, struct cond *b)
{
	struct cnode *not = calloc(1, sizeof(*not));
	struct cnode *and = calloc(1, sizeof(*and));
	struct cnode **nk = calloc(1, sizeof(*nk));
	struct cnode **ak = calloc(2, sizeof(*ak));

	if (!not || !and || !nk || !ak) {
		free(not);
		free(and);
		free(nk);
		free(ak);
		cond_free(a);
		cond_free(b);
		errno = ENOMEM;
		return NULL;
	}
	not->kind = CN_NOT;
	not->kids = nk;
	not->n = not->cap = 1;
	nk[0] = b->root;
	and->kind = CN_AND;
	and->kids = ak;
	and->n = and->cap = 2;
	ak[0] = a->root;
	ak[1] = not;
	a->root = and;
	free(b);
	return a;
}

void cond_free(struct cond *c)
{
	if (!c)
		return;
	node_free(c->root);
	free(c);
}

/* inlined in both callers of cmp_value: per comparison per event */
static inline __attribute__((always_inline)) bool
cmp_str(const struct cnode *n, const char *s)
{
	size_t len;

	switch (n->op) {
	case OP_EQ:
		return !strcmp(s, n->vals[0].s);
	case OP_NE:
		return strcmp(s, n->vals[0].s) != 0;
	case OP_LT:
		return strcmp(s, n->vals[0].s) < 0;
	case OP_LE:
		return strcmp(s, n->vals[0].s) <= 0;
	case OP_GT:
		return strcmp(s, n->vals[0].s) > 0;
	case OP_GE:
		return strcmp(s, n->vals[0].s) >= 0;
	case OP_CONTAINS:
		return strstr(s, n->vals[0].s) != NULL;
	case OP_ICONTAINS:
		return strcasestr(s, n->vals[0].s) != NULL;
	case OP_STARTSWITH:
		return !strncmp(s, n->vals[0].s, n->vals[0].len);
	case OP_ENDSWITH:
		len = strlen(s);
		return len >= n->vals[0].len &&
		       !memcmp(s + len - n->vals[0].len, n->vals[0].s, n->vals[0].len);
	case OP_GLOB:
		return glob_match(n->vals[0].s, s, false, NULL);
	case OP_IGLOB:
		return glob_match(n->vals[0].s, s, true, NULL);
	case OP_BCONTAINS:
		return memmem(s, strlen(s), n->vals[0].s, n->vals[0].len) != NULL;
	case OP_BSTARTSWITH:
		return !strncmp(s, n->vals[0].s, n->vals[0].len);
	case OP_IN:
	case OP_INTERSECTS:
		/* per event over long lists: the length rules out most items */
		len = strlen(s);
		for (int i = 0; i < n->n; i++)
			if (n->vals[i].len == len && !memcmp(s, n->vals[i].s, len))
				return true;
		return false;
	case OP_PMATCH:
		for (int i = 0; i < n->n; i++) {
			const struct cval *v = &n->vals[i];

			if (!strncmp(s, v->s, v->len) &&
			    (s[v->len] == '\0' || s[v->len] == '/' ||
			     (v->len == 1 && v->s[0] == '/')))
				return true;
		}
		return false;
	case OP_EXISTS:
		return true;
	}
	return false;
}

#define CMP_NUM(n, x, m) do {						\
	switch ((n)->op) {						\
	case OP_EQ: return (x) == (n)->vals[0].m;			\
	case OP_NE: return (x) != (n)->vals[0].m;			\
	case OP_LT: return (x) < (n)->vals[0].m;			\
	case OP_LE: return (x) <= (n)->vals[0].m;			\
	case OP_GT: return (x) > (n)->vals[0].m;			\
	case OP_GE: return (x) >= (n)->vals[0].m;			\
	case OP_IN:							\
	case OP_INTERSECTS:						\
		for (int i_ = 0; i_ < (n)->n; i_++)			\
			if ((x) == (n)->vals[i_].m)			\
				return true;				\
		return false;						\
	default: return false;						\
	}								\
} while (0)

/* inlined in both callers: per comparison per event */
static inline __attribute__((always_inline)) bool
cmp_value(const struct cnode *n, const struct cw_value *v)
{
	if (n->op == OP_EXISTS || !v->is_set)
		return v->is_set;
	switch (n->ftype) {
	case CW_FT_STR:
		return cmp_str(n, v->str);
	case CW_FT_U64:
	case CW_FT_BOOL:
		CMP_NUM(n, v->u64, u);
	case CW_FT_S64:
		CMP_NUM(n, v->s64, i);
	}
	return false;
}

bool cond_eval_node(const struct cnode *n, const struct cw_record *rec)
{
	struct cw_value v;

	switch (n->kind) {
	case CN_AND:
		for (int i = 0; i < n->n; i++)
			if (!cond_eval_node(n->kids[i], rec))
				return false;
		return true;
	case CN_OR:
		for (int i = 0; i < n->n; i++)
			if (cond_eval_node(n->kids[i], rec))
				return true;
		return false;
	case CN_NOT:
		return !cond_eval_node(n->kids[0], rec);
	case CN_CMP:
		break;
	}
	if (n->index == CW_INDEX_ANY) {	/* any ancestor, nearest first */
		for (int i = 1; i <= CW_REC_ANC_MAX; i++) {
			field_get(rec, n->field, i, &v);
			if (!v.is_set)
				break;
			if (cmp_value(n, &v))
				return true;
		}
		return false;
	}
	field_get(rec, n->field, n->index, &v);
	return cmp_value(n, &v);
}

bool cond_eval(const struct cond *c, const struct cw_record *rec)
{
	return c && cond_eval_node(c->root, rec);
}

/* ---- environment ----------------------------------------------------- */

struct cond_env *cond_env_new(void)
{
	return calloc(1, sizeof(struct cond_env));
}

static void env_list_clear(struct env_list *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	free(l->pos);
	l->items = NULL;
	l->pos = NULL;
	l->n = 0;
}

void cond_env_free(struct cond_env *env)
{
	if (!env)
		return;
	for (int i = 0; i < env->nlists; i++) {
		env_list_clear(&env->lists[i]);
		free(env->lists[i].name);
	}
	for (int i = 0; i < env->nmacros; i++) {
		free(env->macros[i].name);
		free(env->macros[i].text);
		free(env->macros[i].segs);
	}
	free(env->lists);
	free(env->macros);
	free(env);
}

int cond_env_set_list(struct cond_env *env, const char *name,
		      const char *const *items, const struct cond_srcseg *pos,
		      int nitems)
{
	struct env_list *l = (struct env_list *)env_list_find(env, name);
	struct env_list nl = { 0 };

	nl.items = calloc((size_t)nitems + 1, sizeof(char *));
	if (pos)
		nl.pos = calloc((size_t)nitems + 1, sizeof(*pos));
	if (!nl.items || (pos && !nl.pos))
		goto oom;
	for (int i = 0; i < nitems; i++) {
		nl.items[i] = strdup(items[i]);
		if (!nl.items[i])
			goto oom;
		nl.n++;
		if (pos)
			nl.pos[i] = pos[i];
	}
	if (!l) {
		struct env_list *ls = realloc(env->lists, sizeof(*ls) * (size_t)(env->nlists + 1));

		if (!ls)
			goto oom;
		env->lists = ls;
		nl.name = strdup(name);
		if (!nl.name)
			goto oom;
		env->lists[env->nlists++] = nl;
		return 0;
	}
	env_list_clear(l);
	l->items = nl.items;
	l->pos = nl.pos;
	l->n = nl.n;
	return 0;
oom:
	env_list_clear(&nl);
	return -ENOMEM;
}

int cond_env_set_macro(struct cond_env *env, const char *name,
		       const char *text, const struct cond_src *src)
{
	char *t = strdup(text);
	struct cond_srcseg *segs = NULL;
	int nsegs = src ? src->nsegs : 0, i;

	if (nsegs > 0) {
		segs = malloc(sizeof(*segs) * (size_t)nsegs);
		if (segs)
			memcpy(segs, src->segs, sizeof(*segs) * (size_t)nsegs);
	}
	if (!t || (nsegs > 0 && !segs))
		goto oom;
	for (i = 0; i < env->nmacros; i++)
		if (!strcmp(env->macros[i].name, name))
			break;
	if (i == env->nmacros) {
		struct env_macro *ms = realloc(env->macros, sizeof(*ms) * (size_t)(i + 1));

		if (!ms)
			goto oom;
		env->macros = ms;
		ms[i] = (struct env_macro){ .name = strdup(name) };
		if (!ms[i].name)
			goto oom;
		env->nmacros++;
	}
	free(env->macros[i].text);
	free(env->macros[i].segs);
	env->macros[i].text = t;
	env->macros[i].segs = segs;
	env->macros[i].nsegs = nsegs;
	return 0;
oom:
	free(t);
	free(segs);
	return -ENOMEM;
}
