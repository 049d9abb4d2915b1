// SPDX-License-Identifier: Apache-2.0
/*
 * cond.c - Falco's condition language parsed and compiled to a node tree
 * (cond.h has the grammar): precedence, macros expanded in place, lists,
 * errors with their position in the rule file. The lexer and constants are
 * in cond_lex.c, evaluation in cond_eval.c, lists and macros in cond_env.c.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "cond_int.h"
#include "fields.h"


static const struct { const char *name; enum cn_op op; bool list; } word_ops[] = {
	{ "contains", OP_CONTAINS, false }, { "icontains", OP_ICONTAINS, false },
	{ "startswith", OP_STARTSWITH, false }, { "endswith", OP_ENDSWITH, false },
	{ "glob", OP_GLOB, false }, { "iglob", OP_IGLOB, false },
	{ "in", OP_IN, true }, { "intersects", OP_INTERSECTS, true },
	{ "pmatch", OP_PMATCH, true }, { "exists", OP_EXISTS, false },
	{ "bcontains", OP_BCONTAINS, false }, { "bstartswith", OP_BSTARTSWITH, false },
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

void cond_pos_from_src(const char *text, const struct cond_src *src, size_t off,
		       struct cond_error *err)
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

void __attribute__((format(printf, 4, 5)))
cond_fail_at(struct compile_ctx *cx, const struct cond_srcseg *at, const char *macro,
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

const char *cond_error_format(const struct cond_error *err, char *buf, size_t size)
{
	if (err->file[0])
		bprintf(buf, size, "%s:%d:%d: %s", err->file, err->line, err->col, err->msg);
	else
		snprintf(buf, size, "%d:%d: %s", err->line, err->col, err->msg);
	return buf;
}

/* ---- parsing --------------------------------------------------------- */

static struct cnode *parse_or(struct parser *p);
static struct cnode *parse_macro(struct parser *p, const char *name, size_t off);

static struct cnode *parse_list_value(struct parser *p, struct cnode *n)
{
	const char *t = p->text;
	size_t off;

	cond_skip_blanks(p);
	off = p->pos;
	if (t[off] != '(') {
		const struct env_list *l;
		size_t len = 0;
		char name[128];

		while (cond_is_word(t[off + len]))
			len++;
		if (len == 0 || len >= sizeof(name)) {
			char tok[40];

			fail(p, off, "expected '(' or a list name after '%s', found '%s'",
			     cond_op_name(n->op), t[off] ? cond_token_at(t, off, tok, sizeof(tok)) : "end");
			goto fail;
		}
		memcpy(name, t + off, len);
		name[len] = '\0';
		l = cond_env_list_find(p->cx->env, name);
		if (!l) {
			fail(p, off, "undefined list '%s'", name);
			goto fail;
		}
		p->pos = off + len;
		if (!cond_add_list(p, n, l, off, 0))
			goto fail;
		return n;
	}
	p->pos++;
	cond_skip_blanks(p);
	if (t[p->pos] == ')') {
		p->pos++;
		return n;
	}
	for (;;) {
		const struct env_list *l;
		bool quoted;
		char *s;

		cond_skip_blanks(p);
		off = p->pos;
		s = cond_lex_value(p, &quoted, cond_op_name(n->op));
		if (!s)
			goto fail;
		l = quoted ? NULL : cond_env_list_find(p->cx->env, s);
		if (l) {
			free(s);
			if (!cond_add_list(p, n, l, off, 0))
				goto fail;
		} else if (!cond_add_value(p, n, s, off, NULL, NULL)) {
			goto fail;
		}
		cond_skip_blanks(p);
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
			     cond_token_at(t, p->pos, tok, sizeof(tok)));
		} else {
			fail(p, p->pos, "unterminated list: expected ')'");
		}
		goto fail;
	}
fail:
	cond_node_free(n);
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

	cond_skip_blanks(p);
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
			fail(p, off, "operator '%s' is not supported", cond_token_at(t, off, tok, sizeof(tok)));
		else
			fail(p, off, "unknown operator '%s' after field '%s'",
			     cond_token_at(t, off, tok, sizeof(tok)), fname);
		goto fail;
	}
	if (n->field == CW_F_EVT_RES && !cond_op_fits(n->op, n->ftype))
		cond_res_as_text(n);
	if (!cond_op_fits(n->op, n->ftype)) {
		fail(p, off, "operator '%s' is not supported for %s field '%s'",
		     cond_op_name(n->op), cond_type_name(n->ftype), fname);
		goto fail;
	}
	if (n->op == OP_EXISTS)
		return n;
	if (list)
		return parse_list_value(p, n);
	{
		bool quoted;
		char *s;

		cond_skip_blanks(p);
		off = p->pos;
		s = cond_lex_value(p, &quoted, cond_op_name(n->op));
		if (!s || !cond_add_value(p, n, s, off, NULL, NULL))
			goto fail;
	}
	return n;
fail:
	cond_node_free(n);
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
	n = cond_node_new(p, CN_CMP);
	if (!n)
		return NULL;
	n->field = id;
	n->index = idx;
	n->ftype = field_info(id)->type;
	n->fname = strdup(name);
	if (!n->fname) {
		fail(p, off, "out of memory");
		cond_node_free(n);
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

	cond_skip_blanks(p);
	off = p->pos;
	if (t[off] == '(') {
		struct cnode *n;

		p->pos++;
		n = parse_or(p);
		if (!n)
			return NULL;
		cond_skip_blanks(p);
		if (t[p->pos] != ')') {
			if (t[p->pos])
				fail(p, p->pos, "expected ')', found '%s'",
				     cond_token_at(t, p->pos, tok, sizeof(tok)));
			else
				fail(p, off, "unbalanced '(': expected ')' before the end");
			cond_node_free(n);
			return NULL;
		}
		p->pos++;
		return n;
	}
	if (isalpha((unsigned char)t[off]) || t[off] == '_') {
		while (cond_is_word(t[off + len]) || (t[off + len] == '.' && cond_is_word(t[off + len + 1]))) {
			dotted |= t[off + len] == '.';
			len++;
		}
	}
	if (len == 0) {
		if (t[off])
			fail(p, off, "unexpected '%s', expected a field, a macro, 'not' or '('",
			     cond_token_at(t, off, tok, sizeof(tok)));
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

	cond_skip_blanks(p);
	if (!cond_at_keyword(p, "not"))
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
	n = cond_node_new(p, CN_NOT);
	if (!n || !cond_node_add_kid(p, n, kid)) {
		if (!n)
			cond_node_free(kid);
		cond_node_free(n);
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
		cond_skip_blanks(p);
		if (!cond_at_keyword(p, kw))
			break;
		p->pos += strlen(kw);
		if (!n) {
			n = cond_node_new(p, kind);
			if (!n || !cond_node_add_kid(p, n, first)) {
				if (!n)
					cond_node_free(first);
				cond_node_free(n);
				return NULL;
			}
		}
		next = kind == CN_AND ? parse_not(p) : parse_chain(p, CN_AND);
		if (!next || !cond_node_add_kid(p, n, next)) {
			cond_node_free(n);
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
	cond_skip_blanks(&p);
	if (text[p.pos]) {
		char tok[40];

		fail(&p, p.pos, "unexpected '%s' after a complete expression (missing 'and'/'or'?)",
		     cond_token_at(text, p.pos, tok, sizeof(tok)));
		cond_node_free(n);
		return NULL;
	}
	return n;
}

static struct cnode *parse_macro(struct parser *p, const char *name, size_t off)
{
	const struct env_macro *m = cond_env_macro_find(p->cx->env, name);
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

int cond_compile_src(struct cond **out, const char *text, const struct cond_env *env,
		     const struct cond_src *src, struct cond_error *err)
{
	struct compile_ctx cx = { .env = env, .err = err };
	struct cond *c;

	*out = NULL;
	memset(err, 0, sizeof(*err));
	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err->msg, sizeof(err->msg), "out of memory");
		return -ENOMEM;
	}
	c->root = parse_text(&cx, text, src, NULL);
	if (!c->root) {
		free(c);
		return -EINVAL;
	}
	*out = c;
	return 0;
}

int cond_compile(struct cond **out, const char *text, const struct cond_env *env,
		 struct cond_error *err)
{
	return cond_compile_src(out, text, env, NULL, err);
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
	cond_node_free(c->root);
	free(c);
}
